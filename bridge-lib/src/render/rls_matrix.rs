//! The RLS check's access matrix: one row per relation, what the application role saw and could
//! write under its own tenant's context, another tenant's, and none. Drawn from the typed
//! [`RlsData`].

use crate::render::html::{badge, esc, warning};
use crate::report::data::{parse, MatrixRow, RlsData};
use crate::report::CheckOutcome;
use std::fmt::Write;

/// One cell: `–` when there is no value, the value with a fail badge when it is bad.
fn cell<T: ToString>(v: Option<T>, bad: impl Fn(&T) -> bool) -> String {
    match v {
        None => "–".to_string(),
        Some(v) if bad(&v) => format!("{} {}", badge("fail"), esc(&v.to_string())),
        Some(v) => esc(&v.to_string()),
    }
}

/// The access matrix of an RLS outcome as an HTML table (empty when there is none; a warning
/// when its data has another shape).
pub fn rls_matrix_html(outcome: &CheckOutcome) -> String {
    match parse::<RlsData>(&outcome.data) {
        Some(Ok(d)) => matrix_html(&d),
        Some(Err(e)) => warning(&format!("the rls data could not be read: {e}")),
        None => String::new(),
    }
}

/// The access matrix of [`RlsData`] (empty when it has no rows).
pub fn matrix_html(d: &RlsData) -> String {
    if d.matrix.is_empty() {
        return String::new();
    }
    let mut h = format!(
        "<p><b>Access matrix</b> for role <code>{}</code>, probe tenants {}: rows each tenant saw of its own and of \
         other tenants, rows with no tenant context, and cross-tenant writes (all rolled back).</p>\
         <table><thead><tr><th style=\"text-align:left\">relation</th><th>kind</th><th>RLS</th><th>FORCE</th>\
         <th>active</th><th>own rows</th><th>other tenants' rows</th><th>no context</th><th>insert for other</th>\
         <th>move to other</th><th>update other</th><th>delete other</th></tr></thead><tbody>",
        esc(&d.app_role.name),
        esc(&d.probe_tenants.join(", "))
    );
    for r in &d.matrix {
        row_html(&mut h, r);
    }
    h.push_str("</tbody></table>");
    h
}

fn row_html(h: &mut String, r: &MatrixRow) {
    let positive = |n: &i64| *n > 0;
    let allowed = |s: &String| s.starts_with("ALLOWED");
    let falsy = |b: &bool| !*b;
    let _ = write!(
        h,
        "<tr><td style=\"text-align:left\"><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
         <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        esc(&r.relation),
        esc(&r.kind),
        cell(Some(r.rls), falsy),
        cell(Some(r.force), |_: &bool| false),
        cell(r.row_security_active, falsy),
        cell(r.own_rows, |_: &i64| false),
        cell(r.other_tenant_rows, positive),
        cell(r.no_context_rows, positive),
        cell(r.insert_for_other.clone(), allowed),
        cell(r.move_to_other.clone(), allowed),
        cell(r.update_other.clone(), allowed),
        cell(r.delete_other.clone(), allowed),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::data::AppRoleData;
    use crate::report::CheckId;

    fn row(relation: &str, rls: bool, other: Option<i64>, insert: Option<&str>) -> MatrixRow {
        MatrixRow {
            relation: relation.into(),
            kind: "table".into(),
            rls,
            force: false,
            row_security_active: Some(rls),
            own_rows: Some(3),
            other_tenant_rows: other,
            no_context_rows: None,
            insert_for_other: insert.map(str::to_string),
            move_to_other: None,
            update_other: None,
            delete_other: None,
            shared_rows: 0,
            update_shared: None,
            delete_shared: None,
        }
    }

    #[test]
    fn the_matrix_flags_leaks_and_allowed_writes() {
        let d = RlsData {
            app_role: AppRoleData {
                name: "app".into(),
                superuser: false,
                bypassrls: false,
                bypassing_memberships: Vec::new(),
            },
            probe_tenants: vec!["acme".into(), "globex".into()],
            settings_read_by_policies: vec!["app.tenant_id".into()],
            matrix: vec![
                row("public.documents", true, Some(0), Some("denied (42501)")),
                row("public.notes", false, Some(4), Some("ALLOWED (1 row)")),
            ],
            mutants: Vec::new(),
        };
        let o = CheckOutcome::from_findings(CheckId::Rls, vec![]).with_data(serde_json::to_value(&d).unwrap());
        let h = rls_matrix_html(&o);
        assert!(h.contains("role <code>app</code>, probe tenants acme, globex"), "{h}");
        assert_eq!(h.matches("<tr>").count(), 1 + 2, "a header and two rows");
        assert_eq!(h.matches(">fail</span>").count(), 4, "RLS off, active off, 4 rows seen, the insert allowed");
        assert!(h.contains("<td>–</td>") && h.contains("denied (42501)"));
        assert_eq!(rls_matrix_html(&CheckOutcome::from_findings(CheckId::Rls, vec![])), "");
    }
}
