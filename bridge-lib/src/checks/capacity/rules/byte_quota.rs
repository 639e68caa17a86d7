//! CAP012: a namespace's bytes against its tier's byte quota (`BRIDGE_TIER_QUOTA_BYTES`).

use super::{human_bytes, pct, Ctx};
use crate::checks::capacity::WARN_RATIO;
use crate::finding::{Finding, Rule, Status};
use crate::report::data::TenantStores;
use crate::report::CheckId;
use serde_json::json;

/// A namespace at or over 80% of its tier's byte quota.
pub static BYTE_QUOTA: Rule = Rule {
    check: CheckId::Capacity,
    code: "CAP012",
    name: "namespace-near-byte-quota",
    title: "a tenant's namespace is near or over its byte quota",
    checks: "For every tenant whose tier has a byte quota (BRIDGE_TIER_QUOTA_BYTES, e.g. starter=2GiB) and whose \
             namespace size is known (`size_bytes` of the namespace listing, API 2026-07 and later): warns from \
             80%, fails at 100%. Judged apart from the record quota (CAP001, CAP002).",
    why: "Storage is billed by the byte, and records differ in size (dimension, metadata): a tenant under its \
          record quota may still store far more than its tier pays for.",
    remedy: "Move the tenant to the next tier: UPDATE <tenants table> SET tier = '<next tier>' WHERE id::text = \
             '<id>'; raise the tier's byte quota in BRIDGE_TIER_QUOTA_BYTES, or trim its metadata and stale \
             vectors.",
    limits: "Without `size_bytes` (describe_index_stats, API versions before 2026-07, pod indexes, snapshots saved \
             without it) nothing is judged. Pinecone's size counts its own storage format, not what was upserted.",
};

/// Fires for a namespace at or over 80% of its tier's byte quota.
pub fn byte_quota(ctx: &Ctx, s: &TenantStores) -> Option<Finding> {
    let (b, q) = s.bytes.zip(s.byte_quota).filter(|(b, q)| *b as f64 >= *q as f64 * WARN_RATIO)?;
    let status = if b >= q { Status::Fail } else { Status::Warn };
    let tier = s.tier.as_deref().unwrap_or("");
    let next = super::next_tier(ctx.cap(), tier);
    Some(
        BYTE_QUOTA
            .finding(
                status,
                &s.tenant,
                format!(
                    "expected namespace `{}` (tenant `{}`, tier `{tier}`) under 80% of its byte quota, found {} of {} ({:.1}%)",
                    s.namespace,
                    s.tenant,
                    human_bytes(b),
                    human_bytes(q),
                    pct(b, q)
                ),
            )
            .with_evidence(json!(TenantStores { status, ..s.clone() }))
            .with_remedy(match next {
                Some(n) => format!(
                    "move it to tier `{n}`: UPDATE {} SET tier = {} WHERE id::text = {}; or raise the `{tier}` byte quota in BRIDGE_TIER_QUOTA_BYTES",
                    ctx.cfg.tenancy.table_sql(),
                    crate::db::quote_literal(n),
                    crate::db::quote_literal(&s.tenant)
                ),
                None => format!("raise the `{tier}` byte quota in BRIDGE_TIER_QUOTA_BYTES, or trim its metadata and stale vectors"),
            }),
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{empty, stores};
    use super::*;
    use crate::config::Config;

    fn sized(bytes: u64) -> TenantStores {
        TenantStores {
            bytes: Some(bytes),
            byte_quota: Some(1_000_000_000),
            tier: Some("starter".into()),
            ..stores("big", true, true, Some(10), None)
        }
    }

    #[test]
    fn cap012_namespace_near_byte_quota_fires() {
        let (cfg, usage) = (Config::default(), empty());
        let ctx = Ctx { cfg: &cfg, usage: &usage };
        let f = byte_quota(&ctx, &sized(850_000_000)).expect("85% warns");
        assert_eq!((f.key.as_str(), f.status), ("CAP012:big", Status::Warn));
        assert!(f.detail.contains("found 850.0 MB of 1.0 GB (85.0%)"), "{}", f.detail);
        assert!(f.remedy.as_deref().unwrap().contains("SET tier = 'pro'"));
        assert_eq!(byte_quota(&ctx, &sized(1_000_000_000)).unwrap().status, Status::Fail);
    }

    #[test]
    fn cap012_namespace_near_byte_quota_quiet() {
        let (cfg, usage) = (Config::default(), empty());
        let ctx = Ctx { cfg: &cfg, usage: &usage };
        assert!(byte_quota(&ctx, &sized(799_999_999)).is_none());
        assert!(byte_quota(&ctx, &TenantStores { byte_quota: None, ..sized(5) }).is_none(), "no byte quota");
    }
}
