//! CAP010: a namespace whose tenant is inactive or offboarded (its storage is still billed).

use super::{shown_bytes, Ctx};
use crate::finding::{Finding, Rule, Status};
use crate::report::data::TenantStores;
use crate::report::CheckId;
use serde_json::json;

/// A namespace kept for an inactive tenant.
pub static OFFBOARDED_NAMESPACE: Rule = Rule {
    check: CheckId::Capacity,
    code: "CAP010",
    name: "inactive-tenant-keeps-namespace",
    title: "an inactive tenant still has a namespace",
    checks: "For every tenant the tenants table marks inactive (active = false, or status other than 'active'), \
             whether its namespace (BRIDGE_NAMESPACE_PREFIX + id) is still in the index: warns with its records \
             and, where the namespace listing gives them, its bytes.",
    why: "Serverless Pinecone bills storage per GB-month: the namespace of a tenant that left keeps costing money \
          every month, counts against the namespace limit, and holds a former customer's data past its \
          offboarding (a retention and deletion-request problem).",
    remedy:
        "Delete the namespace once its data may go: curl -X DELETE \"https://<index host>/namespaces/<namespace>\" \
             -H \"Api-Key: $PINECONE_API_KEY\" -H \"X-Pinecone-Api-Version: <version>\"; for a test tenant, \
             `bridge tenants deprovision <id>` removes its rows and its namespace. If it is back, mark it active: \
             UPDATE <tenants table> SET active = true WHERE id::text = '<id>';",
    limits: "Says nothing about retention rules: a namespace kept on purpose (a legal hold) is reported too; \
             suppress it with its key CAP010:<tenant>. Bytes need the namespace listing of API 2026-07 or later; \
             otherwise only records are shown. A namespace with no tenant row at all is CAP006's.",
};

/// Fires for an inactive registered tenant whose namespace exists.
pub fn offboarded_namespace(ctx: &Ctx, s: &TenantStores) -> Option<Finding> {
    let records = s.records.filter(|_| s.registered && !s.active)?;
    let host = ctx.usage.index.as_ref().map(|i| i.host.as_str()).unwrap_or("INDEX_HOST");
    Some(
        OFFBOARDED_NAMESPACE
            .finding(
                Status::Warn,
                &s.tenant,
                format!(
                    "expected no namespace for inactive tenant `{}`, found `{}` with {records} records{} still stored (and billed)",
                    s.tenant,
                    s.namespace,
                    shown_bytes(s.bytes)
                ),
            )
            .with_evidence(json!(TenantStores { status: Status::Warn, ..s.clone() }))
            .with_remedy(format!(
                "once its data may go: curl -X DELETE \"https://{host}/namespaces/{}\" -H \"Api-Key: $PINECONE_API_KEY\" -H \"X-Pinecone-Api-Version: {}\" (a test tenant: bridge tenants deprovision {})",
                s.namespace,
                ctx.api_version(),
                s.tenant
            )),
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{empty, stores};
    use super::*;
    use crate::config::Config;

    #[test]
    fn cap010_inactive_tenant_keeps_namespace_fires() {
        let (cfg, usage) = (Config::default(), empty());
        let ctx = Ctx { cfg: &cfg, usage: &usage };
        let gone = TenantStores { bytes: Some(3_000_000), ..stores("gone", true, false, Some(42), None) };
        let f = offboarded_namespace(&ctx, &gone).expect("warns");
        assert_eq!((f.key.as_str(), f.status), ("CAP010:gone", Status::Warn));
        assert!(f.detail.contains("42 records (3.0 MB) still stored"), "{}", f.detail);
        assert!(f.remedy.as_deref().unwrap().contains("namespaces/gone"));
    }

    #[test]
    fn cap010_inactive_tenant_keeps_namespace_quiet() {
        let (cfg, usage) = (Config::default(), empty());
        let ctx = Ctx { cfg: &cfg, usage: &usage };
        assert!(offboarded_namespace(&ctx, &stores("a", true, true, Some(42), None)).is_none(), "active");
        assert!(offboarded_namespace(&ctx, &stores("b", true, false, None, None)).is_none(), "no namespace");
        assert!(offboarded_namespace(&ctx, &stores("c", false, false, Some(1), Some(1.0))).is_none(), "unregistered");
    }
}
