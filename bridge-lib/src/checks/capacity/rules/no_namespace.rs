//! CAP005: an active tenant whose namespace does not exist.

use super::{evidence, Ctx};
use crate::finding::{Finding, Rule, Status};
use crate::report::data::TenantUsage;
use crate::report::CheckId;

/// An active tenant without a namespace.
pub static NO_NAMESPACE: Rule = Rule {
    check: CheckId::Capacity,
    code: "CAP005",
    name: "tenant-without-namespace",
    title: "an active tenant has no namespace",
    checks: "For every active tenant in the tenants table, that the namespace BRIDGE_NAMESPACE_PREFIX + tenant id \
             exists in the index's describe_index_stats (and, on serverless indexes, in the namespace list). \
             Passes once, naming the number of active tenants, when every one has its namespace.",
    why: "An active tenant whose namespace does not exist gets empty retrieval results: its RAG answers \
                silently lose their grounding, and its capacity cannot be monitored.",
    remedy: "Run the tenant's ingestion: Pinecone creates a namespace on the first upsert into it \
             (`index.upsert(vectors, namespace=\"<prefix><tenant id>\")`). If the namespaces are named \
             differently, set BRIDGE_NAMESPACE_PREFIX to the prefix in front of the tenant id. If the tenant has left, \
             mark it inactive in the tenants table so it is no longer expected to have one.",
    limits: "Inactive tenants are not expected to have a namespace. Only the naming convention prefix + id is \
             matched, not other schemes (a hash, a suffix). The stats are eventually consistent: a namespace \
             created seconds ago may not show yet.",
};

/// Fires for an active tenant whose namespace is not in the index.
pub fn no_namespace(_ctx: &Ctx, row: &TenantUsage) -> Option<Finding> {
    if !row.active || row.vectors.is_some() {
        return None;
    }
    let namespace = &row.namespace;
    Some(
        NO_NAMESPACE
            .finding(
                Status::Fail,
                &row.tenant,
                format!("expected namespace `{namespace}` for active tenant `{}`, found none in the index", row.tenant),
            )
            .with_evidence(evidence(row, Status::Fail))
            .with_remedy(format!(
                "run the tenant's ingestion so its vectors are upserted into namespace `{namespace}` (Pinecone creates a namespace on first upsert); if the naming differs, set BRIDGE_NAMESPACE_PREFIX"
            )),
    )
}

/// The pass finding when every active tenant has its namespace (none without tenants).
pub fn every_tenant_has_a_namespace(_ctx: &Ctx, rows: &[TenantUsage]) -> Option<Finding> {
    if rows.is_empty() || rows.iter().any(|r| r.active && r.vectors.is_none()) {
        return None;
    }
    Some(NO_NAMESPACE.finding(
        Status::Pass,
        "",
        format!("every active tenant has a namespace ({} tenants)", rows.iter().filter(|r| r.active).count()),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{empty, row};
    use super::*;
    use crate::config::Config;

    #[test]
    fn cap005_tenant_without_namespace_fires() {
        let (cfg, usage) = (Config::default(), empty());
        let ctx = Ctx { cfg: &cfg, usage: &usage };
        let missing = row("umbrella", "pro", true, None, Some(1_000_000));
        let f = no_namespace(&ctx, &missing).expect("an active tenant without a namespace fails");
        assert_eq!((f.key.as_str(), f.status), ("CAP005:umbrella", Status::Fail));
        assert_eq!(f.evidence["status"], "fail");
        assert!(f.remedy.as_deref().unwrap().contains("namespace `umbrella`"));
        assert!(every_tenant_has_a_namespace(&ctx, &[missing]).is_none());
    }

    #[test]
    fn cap005_tenant_without_namespace_quiet() {
        let (cfg, usage) = (Config::default(), empty());
        let ctx = Ctx { cfg: &cfg, usage: &usage };
        let rows = [row("a", "pro", true, Some(1), Some(10)), row("old-co", "pro", false, None, Some(10))];
        assert!(rows.iter().all(|r| no_namespace(&ctx, r).is_none()), "inactive tenants need no namespace");
        let pass = every_tenant_has_a_namespace(&ctx, &rows).unwrap();
        assert_eq!(
            (pass.status, pass.detail.as_str()),
            (Status::Pass, "every active tenant has a namespace (1 tenants)")
        );
        assert!(every_tenant_has_a_namespace(&ctx, &[]).is_none(), "no tenants, no pass");
    }
}
