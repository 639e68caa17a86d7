//! The RLS check's access matrix: one row per relation, what the application role saw and could
//! write under its own tenant's context, another tenant's, and none.

use crate::render::html::{badge, esc};
use crate::report::CheckOutcome;
use serde_json::Value;
use std::fmt::Write;

fn cell(v: &Value, bad: impl Fn(&Value) -> bool) -> String {
    let text = match v {
        Value::Null => "–".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if v.is_null() {
        text
    } else if bad(v) {
        format!("{} {}", badge("fail"), esc(&text))
    } else {
        esc(&text)
    }
}

/// The access matrix of an RLS outcome as an HTML table (empty when there is none).
pub fn rls_matrix_html(outcome: &CheckOutcome) -> String {
    let Some(rows) = outcome.data.get("matrix").and_then(Value::as_array).filter(|r| !r.is_empty()) else {
        return String::new();
    };
    let tenants = outcome.data["probe_tenants"]
        .as_array()
        .map(|t| t.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "));
    let mut h = format!(
        "<p><b>Access matrix</b> for role <code>{}</code>, probe tenants {}: rows each tenant saw of its own and of \
         other tenants, rows with no tenant context, and cross-tenant writes (all rolled back).</p>\
         <table><thead><tr><th style=\"text-align:left\">relation</th><th>kind</th><th>RLS</th><th>FORCE</th>\
         <th>active</th><th>own rows</th><th>other tenants' rows</th><th>no context</th><th>insert for other</th>\
         <th>move to other</th><th>update other</th><th>delete other</th></tr></thead><tbody>",
        esc(outcome.data["app_role"]["name"].as_str().unwrap_or("?")),
        esc(&tenants.unwrap_or_default())
    );
    let positive = |v: &Value| v.as_i64().is_some_and(|n| n > 0);
    let allowed = |v: &Value| v.as_str().is_some_and(|s| s.starts_with("ALLOWED"));
    let falsy = |v: &Value| v.as_bool() == Some(false);
    for r in rows {
        let _ = write!(
            h,
            "<tr><td style=\"text-align:left\"><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(r["relation"].as_str().unwrap_or("")),
            esc(r["kind"].as_str().unwrap_or("")),
            cell(&r["rls"], falsy),
            cell(&r["force"], |_| false),
            cell(&r["row_security_active"], falsy),
            cell(&r["own_rows"], |_| false),
            cell(&r["other_tenant_rows"], positive),
            cell(&r["no_context_rows"], positive),
            cell(&r["insert_for_other"], allowed),
            cell(&r["move_to_other"], allowed),
            cell(&r["update_other"], allowed),
            cell(&r["delete_other"], allowed),
        );
    }
    h.push_str("</tbody></table>");
    h
}
