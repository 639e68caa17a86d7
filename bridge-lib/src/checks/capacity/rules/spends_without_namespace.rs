//! CAP009: a tenant that spends (the cost ledger) but has no namespace (the index).

use super::Ctx;
use crate::db::quote_literal;
use crate::finding::{Finding, Rule, Status};
use crate::report::data::TenantStores;
use crate::report::CheckId;
use serde_json::json;

/// A tenant with spend in the ledger and no namespace.
pub static SPENDS_WITHOUT_NAMESPACE: Rule = Rule {
    check: CheckId::Capacity,
    code: "CAP009",
    name: "tenant-spends-without-namespace",
    title: "a tenant spends but has no namespace",
    checks: "The three-way join of the tenants table, the index's namespaces and the cost ledger \
             (BRIDGE_COST_TABLE, default usage_events, aggregated in the database): fails for every tenant with \
             ledger spend in the last BRIDGE_DORMANT_DAYS days (default 30) whose namespace \
             (BRIDGE_NAMESPACE_PREFIX + id) is not in the index, whether the tenant is active, inactive or not \
             in the tenants table at all. Passes once, naming the tenants in the ledger, when none does.",
    why: "Spend means the application is serving the tenant: LLM calls are billed for it while its retrieval \
          has no namespace to read, so its answers lose their grounding. A tenant the registry does not know, or \
          has offboarded, that still spends is metering under a wrong id or traffic that should have stopped.",
    remedy: "Registered and active: run its ingestion so its namespace is created \
             (`index.upsert(vectors, namespace=\"<prefix><tenant id>\")`), or set BRIDGE_NAMESPACE_PREFIX. \
             Offboarded: stop its traffic (revoke its keys). Not registered: fix the tenant id the metering \
             writes, or add the tenant: INSERT INTO <tenants table> (id, name, tier) VALUES ('<id>', '<name>', \
             'starter');",
    limits: "Spend is the ledger's sum over the window; a tenant billed elsewhere (another ledger, files in \
             BRIDGE_ALLOCATED_FILES) is not seen. When row-level security hides the ledger from the connected \
             role it is read per registered tenant, so unregistered tenants' rows stay hidden: use \
             BRIDGE_ADMIN_DATABASE_URL. Namespaces named by another scheme than prefix + id are not matched.",
};

/// Fires for a tenant with spend over the window and no namespace.
pub fn spends_without_namespace(ctx: &Ctx, s: &TenantStores) -> Option<Finding> {
    let spend = s.spend.filter(|v| *v > 0.0 && s.records.is_none())?;
    let days = ctx.cap().dormant_days;
    let who = match (s.registered, s.active) {
        (false, _) => "a tenant the tenants table does not have",
        (true, false) => "an inactive tenant",
        (true, true) => "an active tenant",
    };
    let detail = format!(
        "expected namespace `{}` for tenant `{}` ({who}) that spent {spend:.2} over the last {days} days ({} ledger rows), found none in the index",
        s.namespace,
        s.tenant,
        s.events.unwrap_or(0)
    );
    let remedy = match (s.registered, s.active) {
        (true, true) => format!(
            "run the tenant's ingestion so its vectors are upserted into namespace `{}` (Pinecone creates it on first upsert); if the naming differs, set BRIDGE_NAMESPACE_PREFIX",
            s.namespace
        ),
        (true, false) => format!("the tenant is offboarded but still spends: stop its traffic (revoke its API keys) and find what still calls for `{}`", s.tenant),
        (false, _) => format!(
            "fix the tenant id the metering writes, or register the tenant: {}",
            ctx.cfg.tenancy.add_tenant_remedy(&quote_literal(&s.tenant), &quote_literal(&s.tenant))
        ),
    };
    Some(
        SPENDS_WITHOUT_NAMESPACE
            .finding(Status::Fail, &s.tenant, detail)
            .with_evidence(json!(TenantStores { status: Status::Fail, ..s.clone() }))
            .with_remedy(remedy),
    )
}

/// The pass finding when the ledger was read and no tenant spends without a namespace.
pub fn every_spender_has_a_namespace(rows: &[TenantStores]) -> Option<Finding> {
    let spenders = rows.iter().filter(|s| s.spend.is_some_and(|v| v > 0.0)).count();
    if rows.iter().all(|s| s.spend.is_none()) || rows.iter().any(|s| s.status == Status::Fail && s.records.is_none()) {
        return None;
    }
    Some(SPENDS_WITHOUT_NAMESPACE.finding(
        Status::Pass,
        "",
        format!("every tenant that spends has a namespace ({spenders} tenants with spend in the window)"),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{empty, stores};
    use super::*;
    use crate::config::Config;

    #[test]
    fn cap009_tenant_spends_without_namespace_fires() {
        let (cfg, usage) = (Config::default(), empty());
        let ctx = Ctx { cfg: &cfg, usage: &usage };
        let f = spends_without_namespace(&ctx, &stores("umbrella", true, true, None, Some(12.5))).expect("fails");
        assert_eq!((f.key.as_str(), f.status), ("CAP009:umbrella", Status::Fail));
        assert!(f.detail.contains("spent 12.50 over the last 30 days"), "{}", f.detail);
        let ghost = spends_without_namespace(&ctx, &stores("ghost", false, false, None, Some(1.0))).unwrap();
        assert!(ghost.remedy.as_deref().unwrap().contains("INSERT INTO \"tenants\""), "{:?}", ghost.remedy);
        assert_eq!(ghost.evidence["registered"], false);
    }

    #[test]
    fn cap009_tenant_spends_without_namespace_quiet() {
        let (cfg, usage) = (Config::default(), empty());
        let ctx = Ctx { cfg: &cfg, usage: &usage };
        assert!(spends_without_namespace(&ctx, &stores("a", true, true, Some(10), Some(5.0))).is_none(), "has one");
        assert!(spends_without_namespace(&ctx, &stores("b", true, true, None, Some(0.0))).is_none(), "no spend");
        assert!(spends_without_namespace(&ctx, &stores("c", true, true, None, None)).is_none(), "no ledger");
        assert!(every_spender_has_a_namespace(&[stores("a", true, true, Some(10), Some(5.0))]).is_some());
    }
}
