//! CAP004: the namespace count against the plan's namespaces-per-index limit.

use super::{pct, Ctx};
use crate::checks::capacity::WARN_RATIO;
use crate::finding::{fmt_count, Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// Namespace count near the plan's limit.
pub static NAMESPACE_LIMIT: Rule = Rule {
    check: CheckId::Capacity,
    code: "CAP004",
    name: "namespace-count-near-limit",
    title: "the index is near its plan's namespace limit",
    checks: "The number of namespaces in the index against the plan's namespaces-per-index limit \
             (BRIDGE_NAMESPACE_LIMIT: a number, or starter 100, builder 1000, standard/enterprise 100000; default \
             100000): warns from 80%, fails at the limit. Always reported, with the number of orphan namespaces.",
    why: "With one namespace per tenant, the plan's namespaces-per-index limit caps the number of tenants; \
                past it Pinecone answers 403 QUOTA_EXCEEDED and new tenants cannot be onboarded.",
    remedy: "Delete orphan namespaces (CAP006), move to a plan with a higher namespace limit (or ask Pinecone \
             support), or spread tenants over several indexes; set BRIDGE_NAMESPACE_LIMIT to your plan's limit \
             (e.g. BRIDGE_NAMESPACE_LIMIT=builder).",
    limits: "The limit is not read from Pinecone: it is what BRIDGE_NAMESPACE_LIMIT says, so a wrong setting \
             gives a wrong verdict. Counts the namespaces the stats (or the namespace list) show, including \
             empty ones Pinecone has not yet dropped.",
};

/// The namespace count against the limit (pass, warn or fail); `orphans` is reported with it.
pub fn namespace_limit(ctx: &Ctx, orphans: usize) -> Finding {
    let count = ctx.usage.stats.namespaces.len() as u64;
    let limit = ctx.cap().namespace_limit.max(1);
    let detail = format!(
        "expected under 80% of the plan's {} namespaces per index, found {} ({:.1}%)",
        fmt_count(limit),
        fmt_count(count),
        pct(count, limit)
    );
    let status = if count >= limit {
        Status::Fail
    } else if count as f64 >= limit as f64 * WARN_RATIO {
        Status::Warn
    } else {
        Status::Pass
    };
    let f = NAMESPACE_LIMIT
        .finding(status, "index", detail)
        .with_evidence(json!({ "namespaces": count, "limit": limit, "orphans": orphans }));
    if status == Status::Pass {
        return f;
    }
    f.with_remedy("delete orphan namespaces, move to a plan with a higher namespace limit (or ask Pinecone support), or spread tenants over several indexes; set BRIDGE_NAMESPACE_LIMIT to your plan's limit")
}

#[cfg(test)]
mod tests {
    use super::super::fixture::usage;
    use super::*;
    use crate::config::Config;
    use crate::pinecone::IndexKind;

    const FIVE: [(&str, u64); 5] = [("a", 1), ("b", 1), ("c", 1), ("d", 1), ("e", 1)];

    #[test]
    fn cap004_namespace_count_near_limit_fires() {
        let mut cfg = Config::default();
        cfg.capacity.namespace_limit = 6;
        let u = usage(IndexKind::Serverless, None, &FIVE);
        let f = namespace_limit(&Ctx { cfg: &cfg, usage: &u }, 1);
        assert_eq!((f.key.as_str(), f.status), ("CAP004:index", Status::Warn), "5 of 6");
        assert_eq!(f.evidence, json!({ "namespaces": 5, "limit": 6, "orphans": 1 }));
        assert!(f.remedy.is_some());
        cfg.capacity.namespace_limit = 5;
        assert_eq!(namespace_limit(&Ctx { cfg: &cfg, usage: &u }, 0).status, Status::Fail, "5 of 5");
    }

    #[test]
    fn cap004_namespace_count_near_limit_quiet() {
        let mut cfg = Config::default();
        cfg.capacity.namespace_limit = 7;
        let u = usage(IndexKind::Serverless, None, &FIVE);
        let f = namespace_limit(&Ctx { cfg: &cfg, usage: &u }, 0);
        assert_eq!((f.status, f.remedy.is_none()), (Status::Pass, true), "5 of 7 is 71%");
        assert!(f.detail.ends_with("found 5 (71.4%)"), "{}", f.detail);
    }
}
