//! The RLS check's pictures: the tenant × relation grid (what each probe tenant read of each
//! relation under its own context, and what no context read) and the access matrix (one row per
//! relation, what the application role saw and could write under its own tenant's context,
//! another tenant's, and none). Drawn from the typed [`RlsData`].

use crate::render::html::{badge, colour, esc, fmt_count, warning};
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

/// The grid and the access matrix of an RLS outcome (empty when there is none; a warning when
/// its data has another shape).
pub fn rls_matrix_html(outcome: &CheckOutcome) -> String {
    match parse::<RlsData>(&outcome.data) {
        Some(Ok(d)) => access_grid(&d) + &matrix_html(&d),
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

/// The most relations the grid draws; leaking ones first, the rest are counted in a note.
const GRID_COLUMNS: usize = 10;

/// The tenant × relation grid as inline SVG: one row per probe tenant and one for no tenant
/// context, one column per relation; a cell is green with the tenant's own rows, or red with
/// the rows it should not see. Empty when the probe read nothing.
pub fn access_grid(d: &RlsData) -> String {
    let leaks = |rel: &str| {
        d.tenant_reads.iter().any(|t| t.relation == rel && t.other_rows > 0)
            || d.matrix.iter().any(|m| m.relation == rel && m.no_context_rows.unwrap_or(0) > 0)
    };
    let mut relations: Vec<&str> = Vec::new();
    for t in &d.tenant_reads {
        if !relations.contains(&t.relation.as_str()) {
            relations.push(&t.relation);
        }
    }
    if relations.is_empty() {
        return String::new();
    }
    relations.sort_by_key(|r| !leaks(r)); // stable: leaking relations first, otherwise in order
    let hidden = relations.len().saturating_sub(GRID_COLUMNS);
    relations.truncate(GRID_COLUMNS);
    let (label, cw, ch, top) = (150.0, 112.0, 30.0, 58.0);
    let width = (label + cw * relations.len() as f64 + 10.0).max(560.0);
    let rows = d.probe_tenants.len() + 1;
    let height = top + ch * rows as f64 + if hidden > 0 { 34.0 } else { 8.0 };
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
         font-family=\"sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"rows each tenant reads per relation\">\
         <text x=\"4\" y=\"14\" fill=\"#24292f\">rows each tenant reads under its own context, as role {}</text>\
         <text x=\"4\" y=\"30\" fill=\"#57606a\">green: only its own rows; red: rows of another tenant or of none (a leak)</text>",
        esc(&d.app_role.name)
    );
    for (j, rel) in relations.iter().enumerate() {
        let short = rel.strip_prefix("public.").unwrap_or(rel);
        let short = if short.chars().count() > 16 {
            format!("{}…", short.chars().take(15).collect::<String>())
        } else {
            short.to_string()
        };
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#24292f\"><title>{}</title>{}</text>",
            label + cw * (j as f64 + 0.5),
            top - 8.0,
            esc(rel),
            esc(&short)
        );
    }
    let cell = |s: &mut String, i: usize, j: usize, seen: Option<(i64, i64)>| {
        let (x, y) = (label + cw * j as f64 + 2.0, top + ch * i as f64 + 2.0);
        let (fill, ink, text) = match seen {
            None => ("#eaeef2", "#57606a", "–".to_string()),
            Some((_, other)) if other > 0 => {
                (colour("fail"), "white", format!("{} not its own", fmt_count(other as u64)))
            }
            Some((0, _)) => ("#dff3e4", colour("pass"), "0 rows".to_string()),
            Some((own, _)) => ("#dff3e4", colour("pass"), format!("{} own", fmt_count(own.max(0) as u64))),
        };
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"3\" fill=\"{fill}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{ink}\">{}</text>",
            cw - 4.0,
            ch - 4.0,
            x + (cw - 4.0) / 2.0,
            y + ch / 2.0 + 2.0,
            esc(&text)
        );
    };
    let names = d.probe_tenants.iter().map(String::as_str).chain(["no tenant context"]);
    for (i, name) in names.enumerate() {
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#24292f\">{}</text>",
            label - 8.0,
            top + ch * i as f64 + ch / 2.0 + 4.0,
            if i < d.probe_tenants.len() { esc(name) } else { format!("<tspan font-style=\"italic\">{name}</tspan>") }
        );
        for (j, rel) in relations.iter().enumerate() {
            let seen = if i < d.probe_tenants.len() {
                d.tenant_reads
                    .iter()
                    .find(|t| t.tenant == name && t.relation == *rel)
                    .map(|t| (t.own_rows, t.other_rows))
            } else {
                // with no context nothing is anyone's own: every row seen is a leak
                d.matrix.iter().find(|m| m.relation == *rel).and_then(|m| m.no_context_rows).map(|n| (0, n))
            };
            cell(&mut s, i, j, seen);
        }
    }
    if hidden > 0 {
        let _ = write!(
            s,
            "<text x=\"4\" y=\"{:.1}\" fill=\"#57606a\">{hidden} more relation(s) not drawn (leaking ones come first); the table below lists them all</text>",
            height - 10.0
        );
    }
    s.push_str("</svg>");
    s
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
            tenant_reads: Vec::new(),
            mutants: Vec::new(),
        };
        let o = CheckOutcome::from_findings(CheckId::Rls, vec![]).with_data(serde_json::to_value(&d).unwrap());
        let h = rls_matrix_html(&o);
        assert!(h.contains("role <code>app</code>, probe tenants acme, globex"), "{h}");
        assert_eq!(h.matches("<tr>").count(), 1 + 2, "a header and two rows");
        assert_eq!(h.matches(">fail</span>").count(), 4, "RLS off, active off, 4 rows seen, the insert allowed");
        assert!(h.contains("<td>–</td>") && h.contains("denied (42501)"));
        assert_eq!(rls_matrix_html(&CheckOutcome::from_findings(CheckId::Rls, vec![])), "");
        assert_eq!(access_grid(&d), "", "no per-tenant reads: no grid");
    }

    #[test]
    fn the_grid_shows_each_tenant_and_no_context_per_relation() {
        use crate::report::data::TenantReads;
        let reads = |tenant: &str, relation: &str, own: i64, other: i64| TenantReads {
            tenant: tenant.into(),
            relation: relation.into(),
            own_rows: own,
            other_rows: other,
        };
        let mut leaky = row("public.notes", false, Some(4), None);
        leaky.no_context_rows = Some(1200);
        let mut clean = row("public.documents", true, Some(0), None);
        clean.no_context_rows = Some(0);
        let d = RlsData {
            app_role: AppRoleData {
                name: "app".into(),
                superuser: false,
                bypassrls: false,
                bypassing_memberships: Vec::new(),
            },
            probe_tenants: vec!["acme".into(), "a<b".into()],
            settings_read_by_policies: Vec::new(),
            matrix: vec![clean, leaky],
            tenant_reads: vec![
                reads("acme", "public.documents", 12, 0),
                reads("acme", "public.notes", 3, 4),
                reads("a<b", "public.documents", 1500, 0),
            ],
            mutants: Vec::new(),
        };
        let svg = access_grid(&d);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert!(svg.find(">notes</text>") < svg.find(">documents</text>"), "leaking relations first: {svg}");
        assert!(svg.contains(">12 own<") && svg.contains(">1,500 own<") && svg.contains(">4 not its own<"), "{svg}");
        assert!(svg.contains(">1,200 not its own<") && svg.contains(">0 rows<"), "no context: {svg}");
        assert!(svg.contains(">–<"), "a relation a tenant did not read: {svg}");
        assert!(svg.contains("a&lt;b") && !svg.contains("a<b"), "{svg}");
        let h = rls_matrix_html(
            &CheckOutcome::from_findings(CheckId::Rls, vec![]).with_data(serde_json::to_value(&d).unwrap()),
        );
        assert!(h.starts_with("<svg") && h.contains("<table>"), "the grid, then the table: {h}");
        let mut many = d.clone();
        many.tenant_reads = (0..GRID_COLUMNS + 2).map(|i| reads("acme", &format!("public.t{i}"), 1, 0)).collect();
        let svg = access_grid(&many);
        assert_eq!(svg.matches(" own<").count(), GRID_COLUMNS, "{svg}");
        assert!(svg.contains("2 more relation(s) not drawn"), "{svg}");
    }
}
