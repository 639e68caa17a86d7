//! CAP011: a dormant tenant: active, with no ledger activity for `BRIDGE_DORMANT_DAYS` days.

use super::{shown_bytes, Ctx};
use crate::finding::{Finding, Rule, Status};
use crate::report::data::TenantStores;
use crate::report::CheckId;
use serde_json::json;

/// An active tenant with no recent ledger activity.
pub static DORMANT: Rule = Rule {
    check: CheckId::Capacity,
    code: "CAP011",
    name: "dormant-tenant",
    title: "an active tenant has had no activity for the dormancy window",
    checks: "Tenant temperature: for every active tenant, its rows in the cost ledger (BRIDGE_COST_TABLE, \
             aggregated in the database) in the last BRIDGE_DORMANT_DAYS days (default 30) before \
             BRIDGE_CAPACITY_AS_OF (default now): none warns, with the tenant's last activity and its storage \
             (records and bytes). Reported apart from orphans (CAP006) and from full namespaces (CAP001, CAP002).",
    why: "A dormant tenant pays (or costs) for storage it does not use, and is the likeliest to churn: its \
          namespace is the first candidate for cheaper storage or offboarding, and capacity plans that count it \
          as growing are wrong.",
    remedy: "Ask the tenant's owner whether it still uses the product. If it left: mark it inactive (UPDATE \
             <tenants table> SET active = false WHERE id::text = '<id>';) and delete its namespace (curl -X \
             DELETE \"https://<index host>/namespaces/<namespace>\" -H \"Api-Key: $PINECONE_API_KEY\"). If it is \
             seasonal, raise BRIDGE_DORMANT_DAYS.",
    limits: "Activity is what the ledger meters: a tenant served only from a cache, or metered elsewhere, looks \
             dormant. Needs the ledger table; without it no tenant is judged. Under row-level security the \
             ledger is read per registered tenant.",
};

/// Fires for an active tenant with no ledger rows in the window.
pub fn dormant(ctx: &Ctx, s: &TenantStores) -> Option<Finding> {
    if !s.dormant {
        return None;
    }
    let days = ctx.cap().dormant_days;
    let since = match (&s.last_activity, s.idle_days) {
        (Some(at), Some(idle)) => format!("its last ledger row is {at}, {idle:.0} days ago"),
        _ => "it has no ledger row at all".to_string(),
    };
    let storage = match s.records {
        Some(r) => format!("namespace `{}` keeps {r} records{}", s.namespace, shown_bytes(s.bytes)),
        None => "it has no namespace".to_string(),
    };
    Some(
        DORMANT
            .finding(
                Status::Warn,
                &s.tenant,
                format!("expected activity from active tenant `{}` within {days} days, found none: {since}; {storage}", s.tenant),
            )
            .with_evidence(json!(TenantStores { status: Status::Warn, ..s.clone() }))
            .with_remedy(format!(
                "ask whether `{}` still uses the product; if it left, mark it inactive ({}) and delete namespace `{}`; if it is seasonal, raise BRIDGE_DORMANT_DAYS",
                s.tenant,
                format_args!(
                    "UPDATE {} SET active = false WHERE id::text = {};",
                    ctx.cfg.tenancy.table_sql(),
                    crate::db::quote_literal(&s.tenant)
                ),
                s.namespace
            )),
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{empty, stores};
    use super::*;
    use crate::config::Config;

    #[test]
    fn cap011_dormant_tenant_fires() {
        let (cfg, usage) = (Config::default(), empty());
        let ctx = Ctx { cfg: &cfg, usage: &usage };
        let quiet = TenantStores {
            dormant: true,
            last_activity: Some("2026-09-01T00:00:00Z".into()),
            idle_days: Some(91.0),
            ..stores("quiet", true, true, Some(5_000), Some(0.0))
        };
        let f = dormant(&ctx, &quiet).expect("warns");
        assert_eq!((f.key.as_str(), f.status), ("CAP011:quiet", Status::Warn));
        assert!(f.detail.contains("91 days ago; namespace `quiet` keeps 5000 records"), "{}", f.detail);
        assert!(f.remedy.as_deref().unwrap().contains("SET active = false WHERE id::text = 'quiet'"));
    }

    #[test]
    fn cap011_dormant_tenant_quiet() {
        let (cfg, usage) = (Config::default(), empty());
        let ctx = Ctx { cfg: &cfg, usage: &usage };
        assert!(dormant(&ctx, &stores("busy", true, true, Some(5_000), Some(3.0))).is_none());
    }
}
