//! CAP006: a namespace that belongs to no tenant.

use super::{shown, Ctx};
use crate::db::quote_literal;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// A namespace with no tenant.
pub static ORPHAN: Rule = Rule {
    check: CheckId::Capacity,
    code: "CAP006",
    name: "orphan-namespace",
    title: "a namespace belongs to no tenant",
    checks: "Every namespace in the index (describe_index_stats, and on serverless indexes the namespace list) \
             against the tenants table: a namespace that is not BRIDGE_NAMESPACE_PREFIX + the id of any tenant, \
             active or not, warns. The default namespace (`\"\"`, `__default__`) counts too.",
    why: "A namespace with no tenant row is data that outlived an offboarding (or a naming mismatch): it costs \
                storage, counts against the namespace limit, and may hold a former customer's data.",
    remedy: "If the tenant was offboarded, delete the namespace: curl -X DELETE \
             \"https://<index host>/namespaces/<namespace>\" -H \"Api-Key: $PINECONE_API_KEY\" -H \
             \"X-Pinecone-Api-Version: <version>\"; if it is a tenant, add its row to the tenants table \
             (INSERT … (id, name, tier) VALUES ('<tenant id>', '<name>', '<tier>')); if the names differ by a \
             prefix, set BRIDGE_NAMESPACE_PREFIX.",
    limits: "A tenant row that is kept after offboarding (active = false) still owns its namespace, so its data \
             is not reported here. The check cannot tell a test namespace from a forgotten one; suppress a \
             deliberate one with its key CAP006:<namespace>.",
};

/// The finding about one namespace that no tenant owns.
pub fn orphan(ctx: &Ctx, ns: &str, vectors: u64) -> Finding {
    let host = ctx.usage.index.as_ref().map(|i| i.host.as_str()).unwrap_or("INDEX_HOST");
    let tenant_guess = ns.strip_prefix(ctx.cap().namespace_prefix.as_str()).unwrap_or(ns);
    ORPHAN
        .finding(
            Status::Warn,
            shown(ns),
            format!("expected every namespace to belong to a tenant, found `{}` ({vectors} records) with no tenant", shown(ns)),
        )
        .with_evidence(json!({ "namespace": ns, "vectors": vectors }))
        .with_remedy(if ns.is_empty() {
            "move the default namespace's vectors into tenant namespaces and delete them: the default namespace is shared by no tenant".to_string()
        } else {
            format!(
                "if the tenant is offboarded: curl -X DELETE \"https://{host}/namespaces/{ns}\" -H \"Api-Key: $PINECONE_API_KEY\" -H \"X-Pinecone-Api-Version: {}\"; otherwise add its row: {}",
                ctx.api_version(),
                ctx.cfg.tenancy.add_tenant_remedy(&quote_literal(tenant_guess), &quote_literal(tenant_guess))
            )
        })
}

#[cfg(test)]
mod tests {
    use super::super::fixture::empty;
    use super::*;
    use crate::checks::capacity::evaluate::table;
    use crate::checks::capacity::Tenant;
    use crate::config::Config;
    use crate::pinecone::IndexKind;

    #[test]
    fn cap006_orphan_namespace_fires() {
        let (cfg, usage) = (Config::default(), empty());
        let ctx = Ctx { cfg: &cfg, usage: &usage };
        let f = orphan(&ctx, "old-customer", 42);
        assert_eq!((f.key.as_str(), f.status), ("CAP006:old-customer", Status::Warn));
        assert_eq!(f.evidence["vectors"], 42);
        assert!(f.remedy.as_deref().unwrap().contains("https://INDEX_HOST/namespaces/old-customer"));
        let default = orphan(&ctx, "", 7);
        assert_eq!(default.key, "CAP006:(default)");
        assert!(default.remedy.as_deref().unwrap().contains("default namespace"));
    }

    #[test]
    fn cap006_orphan_namespace_quiet() {
        let mut cfg = Config::default();
        cfg.capacity.namespace_prefix = "t-".into();
        let usage = super::super::fixture::usage(IndexKind::Serverless, None, &[("t-a", 1), ("t-gone", 2)]);
        let tenants = [
            Tenant { id: "a".into(), tier: "pro".into(), active: true, ..Tenant::default() },
            Tenant { id: "gone".into(), tier: "pro".into(), active: false, ..Tenant::default() },
        ];
        let (_, orphans) = table(&cfg.capacity, &usage.stats, &tenants, &[]);
        assert!(orphans.is_empty(), "an inactive tenant still owns its namespace: {orphans:?}");
    }
}
