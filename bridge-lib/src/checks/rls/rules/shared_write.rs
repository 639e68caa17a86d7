//! RLS040: under a tenant's context, the application can change the shared rows every tenant
//! reads (a NULL tenant, or a `BRIDGE_SHARED_TENANT` marker).

use crate::checks::rls::catalog::Catalog;
use crate::checks::rls::probe::{WriteOutcome, WriteProbe};
use crate::checks::rls::writes::is_shared_action;
use crate::config::Config;
use crate::db::quote_ident;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// A tenant can update or delete the shared rows.
pub static SHARED_ROW_WRITE: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS040",
    name: "shared-rows-writable",
    title: "a tenant can change the shared rows every tenant reads",
    checks: "On every tenant table where the first probe tenant sees shared rows (a NULL tenant, or a value listed \
             in BRIDGE_SHARED_TENANT), under that tenant's context: UPDATE and DELETE of the shared rows, each in a \
             savepoint that is rolled back. Reading shared rows is not a leak: they are counted apart (the \
             `shared_rows` column of the access matrix), never as another tenant's.",
    why: "A policy like `USING (tenant_id = current_setting(...) OR tenant_id IS NULL)` on ALL commands, without a \
          separate WITH CHECK, lets any tenant rewrite or delete the prompts, templates or settings every other \
          tenant reads: one tenant's request changes what all tenants get.",
    remedy: "Split the policy by command: `CREATE POLICY read_own_or_shared ON t FOR SELECT TO app USING (tenant_id = \
             current_setting('app.current_tenant', true) OR tenant_id IS NULL);` and `CREATE POLICY write_own ON t FOR \
             ALL TO app USING (tenant_id = current_setting('app.current_tenant', true)) WITH CHECK (tenant_id = \
             current_setting('app.current_tenant', true));`, then `DROP POLICY tenant_or_shared ON t;`.",
    limits: "Probed only where the first probe tenant sees shared rows, and only when BRIDGE_PROBE_WRITES lets the \
             statement run (RLS044 otherwise). INSERT of a new shared row is not tried. A marker other than NULL must \
             be listed in BRIDGE_SHARED_TENANT to be treated as shared.",
};

/// RLS040 for a shared-row write that row level security let through.
pub fn shared_write(cfg: &Config, cat: &Catalog, w: &WriteProbe) -> Option<Finding> {
    let WriteOutcome::Allowed { how } = &w.outcome else { return None };
    if !is_shared_action(&w.action) {
        return None;
    }
    let key = cat.relations.iter().find(|r| r.name == w.relation).map_or(cfg.tenancy.column.as_str(), |r| r.key(cfg));
    let (t, app, col) = (&w.relation, &cat.role.name, quote_ident(key));
    let ctx = cfg.tenancy.context.read_expr();
    Some(
        SHARED_ROW_WRITE
            .finding(
                Status::Fail,
                &format!("{t}/{}", w.action),
                format!(
                    "expected `{}` on `{t}` under `{}` to be refused, found it allowed: {how}",
                    w.action, w.as_tenant
                ),
            )
            .with_evidence(json!(w))
            .with_remedy(format!(
                "-- let every tenant read the shared rows, and write only its own:\n\
                 CREATE POLICY read_own_or_shared ON {t} FOR SELECT TO {app} USING ({col} = {ctx} OR {col} IS NULL);\n\
                 CREATE POLICY write_own ON {t} FOR ALL TO {app} USING ({col} = {ctx}) WITH CHECK ({col} = {ctx});\n\
                 -- then drop the policies whose USING lets a tenant reach the shared rows for UPDATE or DELETE",
                app = quote_ident(app)
            )),
    )
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    let (cfg, cat) = (super::fixtures::cfg(), super::fixtures::catalog());
    let mut w = super::fixtures::write("update shared rows", WriteOutcome::Allowed { how: "2 rows".into() });
    w.other_tenant = "(shared)".into();
    shared_write(&cfg, &cat, &w).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn rls040_shared_rows_writable_fires() {
        let f = triggers();
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].key.as_str(), f[0].status), ("RLS040:public.docs/update shared rows", Status::Fail));
        assert!(f[0].remedy.as_deref().unwrap().contains("FOR SELECT TO \"app\""), "{:?}", f[0].remedy);
    }

    #[test]
    fn rls040_shared_rows_writable_quiet() {
        let (cfg, cat) = (fixtures::cfg(), fixtures::catalog());
        let refused = fixtures::write("delete shared rows", WriteOutcome::Denied { how: "0 rows".into() });
        assert!(shared_write(&cfg, &cat, &refused).is_none());
        let other = fixtures::write("delete other tenant's rows", WriteOutcome::Allowed { how: "1 rows".into() });
        assert!(shared_write(&cfg, &cat, &other).is_none(), "another tenant's rows are RLS023's");
    }
}
