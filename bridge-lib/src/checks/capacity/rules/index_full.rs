//! CAP003: index fullness over 80% (pod indexes and dedicated read nodes).

use super::Ctx;
use crate::checks::capacity::WARN_RATIO;
use crate::finding::{Finding, Rule, Status};
use crate::pinecone::IndexKind;
use crate::report::CheckId;
use serde_json::json;

/// Index fullness over 80%.
pub static INDEX_FULL: Rule = Rule {
    check: CheckId::Capacity,
    code: "CAP003",
    name: "index-nearly-full",
    title: "index fullness is over 80%",
    checks: "The index's fullness from describe_index_stats (the largest of indexFullness, memoryFullness and \
             storageFullness): warns over 80%, fails at 100%. Reported for pod indexes, and for any index whose \
             fullness is above zero (dedicated read nodes).",
    why: "Pod-based indexes (and dedicated read nodes) have a fixed capacity reported as index fullness; \
                a full index rejects upserts for every tenant at once. Pinecone's own alert example fires at 0.8.",
    remedy: "Scale the pods up a size or add pods: curl -X PATCH \"https://api.pinecone.io/indexes/<index>\" \
             -H \"Api-Key: $PINECONE_API_KEY\" -H \"X-Pinecone-Api-Version: <version>\" -H \"Content-Type: \
             application/json\" -d '{\"spec\":{\"pod\":{\"pod_type\":\"p1.x2\"}}}'; on dedicated read nodes add \
             shards; or move to a serverless index.",
    limits: "Serverless indexes report fullness 0 and are not judged here (their limit is per tenant: CAP001, \
             CAP002). Fullness is Pinecone's own estimate, sampled when the stats are read; offline it is as old \
             as the snapshot.",
};

/// The index's fullness finding (pass, warn or fail); `None` for an index that reports none
/// (serverless).
pub fn index_full(ctx: &Ctx) -> Option<Finding> {
    let (usage, stats) = (ctx.usage, &ctx.usage.stats);
    let f = stats.fullness().filter(|f| *f > 0.0 || usage.kind == IndexKind::Pod)?;
    let detail =
        format!("expected index fullness at most 80%, found {:.0}% ({} index)", f * 100.0, usage.kind.as_str());
    let evidence = json!({
        "kind": usage.kind.as_str(),
        "index_fullness": stats.index_fullness,
        "memory_fullness": stats.memory_fullness,
        "storage_fullness": stats.storage_fullness,
        "pod_type": usage.index.as_ref().and_then(|i| i.pod_type.clone()),
        "pods": usage.index.as_ref().and_then(|i| i.pods),
    });
    let status = if f >= 1.0 {
        Status::Fail
    } else if f > WARN_RATIO {
        Status::Warn
    } else {
        Status::Pass
    };
    let finding = INDEX_FULL.finding(status, "index", detail).with_evidence(evidence);
    if status == Status::Pass {
        return Some(finding);
    }
    let name = usage.index.as_ref().map(|i| i.name.as_str()).unwrap_or("INDEX");
    let api_version = ctx.api_version();
    Some(finding.with_remedy(format!(
        "scale the index up a pod size or add pods: curl -X PATCH \"https://api.pinecone.io/indexes/{name}\" -H \"Api-Key: $PINECONE_API_KEY\" -H \"X-Pinecone-Api-Version: {api_version}\" -H \"Content-Type: application/json\" -d '{{\"spec\":{{\"pod\":{{\"pod_type\":\"p1.x2\"}}}}}}' (or add shards on dedicated read nodes, or move to serverless)"
    )))
}

#[cfg(test)]
mod tests {
    use super::super::fixture::usage;
    use super::*;
    use crate::config::Config;

    #[test]
    fn cap003_index_nearly_full_fires() {
        let cfg = Config::default();
        let warn = usage(IndexKind::Pod, Some(0.85), &[]);
        let f = index_full(&Ctx { cfg: &cfg, usage: &warn }).unwrap();
        assert_eq!((f.key.as_str(), f.status), ("CAP003:index", Status::Warn));
        assert_eq!(f.detail, "expected index fullness at most 80%, found 85% (pod index)");
        assert!(f.remedy.as_deref().unwrap().contains("indexes/INDEX"));
        let full = usage(IndexKind::Pod, Some(1.0), &[]);
        assert_eq!(index_full(&Ctx { cfg: &cfg, usage: &full }).unwrap().status, Status::Fail);
    }

    #[test]
    fn cap003_index_nearly_full_quiet() {
        let cfg = Config::default();
        let serverless = usage(IndexKind::Serverless, Some(0.0), &[]);
        assert!(index_full(&Ctx { cfg: &cfg, usage: &serverless }).is_none(), "serverless reports 0: not judged");
        let roomy = usage(IndexKind::Pod, Some(0.8), &[]);
        let f = index_full(&Ctx { cfg: &cfg, usage: &roomy }).unwrap();
        assert_eq!((f.status, f.remedy.is_none()), (Status::Pass, true), "80% exactly passes");
    }
}
