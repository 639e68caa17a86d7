//! RLS030, RLS031: a table with no tenant column that a trigger on a tenant table fills with
//! copies of tenant rows (an audit or history table, often `jsonb` row images), readable by
//! the application.

use crate::checks::rls::catalog::{Catalog, TenantCopy};
use crate::checks::rls::probe::Observations;
use crate::config::Config;
use crate::db::quote_ident;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// A table filled with copies of tenant rows is readable without a tenant policy.
pub static COPY_UNPROTECTED: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS030",
    name: "tenant-copy-unprotected",
    title: "a table filled with copies of tenant rows is readable without a tenant policy",
    checks: "Tables with no tenant key that a trigger on a tenant table writes to (the relations a SQL-standard \
             trigger function depends on, and every `INSERT INTO name` in its source), and that the application \
             can SELECT (any column): row level security must apply to the application there (on, forced where \
             the application has the owner's privileges) with a SELECT policy that reads the tenant setting, or \
             with no policy for the application at all (deny-all).",
    why: "Audit and history tables receive every tenant's rows, often whole row images in `jsonb`: a table the application reads \
          without a tenant policy hands one tenant the history of all the others, whatever the tenant tables' own policies say.",
    remedy: "`REVOKE SELECT ON audit_log FROM app;` when the application does not read it; otherwise `ALTER TABLE \
             audit_log ENABLE ROW LEVEL SECURITY; ALTER TABLE audit_log FORCE ROW LEVEL SECURITY; CREATE POLICY \
             tenant_isolation ON audit_log TO app USING (row_data->>'tenant_id' = \
             current_setting('app.current_tenant', true));` (better: add a real tenant column the trigger fills).",
    limits: "Targets are read from the trigger function's text: dynamic SQL (`EXECUTE format('INSERT INTO %I', …)`), \
             writes through another function or a view, and `COPY` are not seen; an `INSERT INTO` in a comment \
             counts; a name is resolved with the application's search_path, not the function's. A policy that \
             reads the tenant setting passes without its comparison being judged; the live probe (RLS031) checks \
             the row images.",
};

/// Rows of another tenant's copies are readable under a tenant's context.
pub static COPY_READ: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS031",
    name: "tenant-copy-read",
    title: "copies of another tenant's rows are readable under a tenant's context",
    checks: "Under each probe tenant's context, the rows of each table filled by a trigger on a tenant table whose \
             `json`/`jsonb` row image carries another tenant's key (`row_data->>'tenant_id'`, by the source \
             table's tenant key).",
    why: "A row image of another tenant's row is that tenant's data: seeing it under one tenant's context is a cross-tenant leak, \
          even though the table has no tenant column for the static rules to judge.",
    remedy: "The RLS030 remedy: revoke SELECT, or RLS on and forced with a policy on the image's tenant key.",
    limits: "Only tables with a readable `json`/`jsonb` column are probed, by the top-level key named like the source \
             table's tenant key; images stored as text, nested, or under another key are not attributed. Counts at \
             most 100,000 rows per table.",
};

/// RLS030 for each copy table the application reads without a tenant policy.
pub fn copy_unprotected(cfg: &Config, cat: &Catalog) -> Vec<Finding> {
    cat.copies
        .iter()
        .filter(|c| !c.protected())
        .map(|c| {
            let why = if !c.rls {
                "row level security is off".to_string()
            } else if c.app_has_owner_privs && !c.force {
                format!("the application has its owner `{}`'s privileges and FORCE is off", c.owner)
            } else {
                "no SELECT policy for the application reads the tenant setting".to_string()
            };
            COPY_UNPROTECTED
                .finding(
                    Status::Fail,
                    &c.table,
                    format!(
                        "expected `{}`, filled with copies of tenant rows by {}, to be tenant-scoped for `{}`, found {why}",
                        c.table,
                        c.triggers.join(", "),
                        cat.role.name
                    ),
                )
                .with_evidence(json!(c))
                .with_remedy(remedy(cfg, cat, c))
        })
        .collect()
}

fn remedy(cfg: &Config, cat: &Catalog, c: &TenantCopy) -> String {
    let (t, app) = (&c.table, quote_ident(&cat.role.name));
    let mut out = format!("REVOKE SELECT ON {t} FROM {app};  -- when the application does not read it; otherwise:\n");
    out.push_str(&format!("ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;\nALTER TABLE {t} FORCE ROW LEVEL SECURITY;"));
    if !c.image_columns.is_empty() && !c.source_keys.is_empty() {
        out.push_str(&format!(
            "\nCREATE POLICY tenant_isolation ON {t} TO {app} USING ({} = {});",
            c.image_key_expr(),
            cfg.tenancy.context.read_expr()
        ));
    }
    out
}

/// RLS031 for each copy table where a probe tenant saw another tenant's row images.
pub fn copy_read(cat: &Catalog, obs: &Observations) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in &cat.copies {
        let leaking: Vec<(&String, i64)> = obs
            .copies
            .iter()
            .filter_map(|(t, m)| super::shared::rows(m.get(&c.table)).filter(|(_, o)| *o > 0).map(|(_, o)| (t, o)))
            .collect();
        if leaking.is_empty() {
            continue;
        }
        let what = leaking.iter().map(|(t, n)| format!("{n} under `{t}`")).collect::<Vec<_>>().join(", ");
        out.push(
            COPY_READ
                .finding(
                    Status::Fail,
                    &c.table,
                    format!(
                        "expected 0 copies of other tenants' rows in `{}` (filled by {}), found {what}",
                        c.table,
                        c.triggers.join(", ")
                    ),
                )
                .with_evidence(json!({"table": c.table, "triggers": c.triggers, "image_key": c.image_key_expr(),
                    "other_tenant_rows": leaking.iter().map(|(t, n)| json!({"tenant": t, "rows": n})).collect::<Vec<_>>()}))
                .with_remedy(format!(
                    "ALTER TABLE {0} ENABLE ROW LEVEL SECURITY;\nALTER TABLE {0} FORCE ROW LEVEL SECURITY;  -- with a tenant policy, or REVOKE SELECT ON {0} FROM {1};",
                    c.table,
                    quote_ident(&cat.role.name)
                )),
        );
    }
    out
}

#[cfg(test)]
fn audit_log() -> TenantCopy {
    TenantCopy {
        table: "public.audit_log".into(),
        triggers: vec!["documents_audit on documents (audit_row())".into()],
        source_keys: vec!["tenant_id".into()],
        image_columns: vec!["row_data".into()],
        owner: "owner".into(),
        ..Default::default()
    }
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    use super::fixtures::{self, count};
    let mut cat = fixtures::catalog();
    cat.copies = vec![audit_log()];
    let mut obs = fixtures::observations();
    obs.copies.insert("a".into(), [("public.audit_log".to_string(), count(1, 4))].into());
    let mut out = copy_unprotected(&fixtures::cfg(), &cat);
    out.extend(copy_read(&cat, &obs));
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, count, problems};
    use super::*;

    #[test]
    fn rls030_tenant_copy_unprotected_fires() {
        let mut cat = fixtures::catalog();
        cat.copies = vec![audit_log()];
        let f = copy_unprotected(&fixtures::cfg(), &cat);
        assert_eq!(problems(&f, "RLS030"), ["RLS030:public.audit_log"]);
        assert!(f[0].detail.contains("by documents_audit on documents (audit_row())"), "{}", f[0].detail);
        assert!(f[0].detail.ends_with("found row level security is off"), "{}", f[0].detail);
        let remedy = f[0].remedy.as_deref().unwrap();
        assert!(
            remedy.contains(
                "USING (coalesce((\"row_data\"->>'tenant_id')) = current_setting('app.current_tenant', true))"
            ),
            "{remedy}"
        );
        cat.copies[0].rls = true;
        cat.copies[0].open_for_app = true;
        assert_eq!(
            problems(&copy_unprotected(&fixtures::cfg(), &cat), "RLS030").len(),
            1,
            "a policy that ignores the context"
        );
    }

    #[test]
    fn rls030_tenant_copy_unprotected_quiet() {
        let mut cat = fixtures::catalog();
        assert!(copy_unprotected(&fixtures::cfg(), &cat).is_empty(), "no copy table");
        cat.copies =
            vec![TenantCopy { rls: true, force: true, open_for_app: true, reads_context: true, ..audit_log() }];
        assert!(copy_unprotected(&fixtures::cfg(), &cat).is_empty());
    }

    #[test]
    fn rls031_tenant_copy_read_fires() {
        let f: Vec<Finding> = triggers().into_iter().filter(|f| f.code == "RLS031").collect();
        assert_eq!(problems(&f, "RLS031"), ["RLS031:public.audit_log"]);
        assert_eq!(
            f[0].detail,
            "expected 0 copies of other tenants' rows in `public.audit_log` (filled by documents_audit on documents (audit_row())), found 4 under `a`"
        );
    }

    #[test]
    fn rls031_tenant_copy_read_quiet() {
        let mut cat = fixtures::catalog();
        cat.copies = vec![audit_log()];
        let mut obs = fixtures::observations();
        obs.copies.insert("a".into(), [("public.audit_log".to_string(), count(3, 0))].into());
        assert!(copy_read(&cat, &obs).is_empty(), "own images only");
    }
}
