//! CAP000: the check cannot run here (no Pinecone source, or no database).

use crate::checks::skipped;
use crate::config::Config;
use crate::finding::Rule;
use crate::report::{CheckId, CheckOutcome};

/// Skipped: Pinecone or the database not configured.
pub static SKIPPED: Rule = Rule {
    check: CheckId::Capacity,
    code: "CAP000",
    name: "capacity-check-skipped",
    title: "namespace capacity not checked",
    checks: "Whether the check has what it needs: a Pinecone source (PINECONE_API_KEY with PINECONE_INDEX or \
             PINECONE_INDEX_HOST, or a saved describe_index_stats response in BRIDGE_PINECONE_SNAPSHOT) and \
             DATABASE_URL, the application's connection, to read the tenants and their tiers.",
    why: "Without PINECONE_API_KEY (or a saved snapshot in BRIDGE_PINECONE_SNAPSHOT) and DATABASE_URL, \
                namespaces cannot be matched to tenants, so the check is skipped with a warning.",
    remedy: "Set PINECONE_API_KEY and PINECONE_INDEX=<index name> (or PINECONE_INDEX_HOST=<host>); or, offline, save \
             the index once with `bridge capacity snapshot --out stats.json` and set \
             BRIDGE_PINECONE_SNAPSHOT=stats.json. Set DATABASE_URL=postgres://<app role>@<host>/<db>, or run \
             `bridge check --demo` to try the check on the embedded demo.",
    limits: "A skip is a warning, not a pass: the verdict is at best `ready with warnings` while capacity is \
             unchecked. It only looks at whether settings are present; a wrong key, index or connection string \
             shows up as the check's error when it runs.",
};

/// The skip outcome when the check lacks a Pinecone source or the database; `None` when it can
/// run.
pub fn not_configured(cfg: &Config) -> Option<CheckOutcome> {
    if cfg.pinecone.is_none() && cfg.capacity.snapshot.is_none() {
        return Some(skipped(
            CheckId::Capacity,
            &SKIPPED,
            "PINECONE_API_KEY is not set and no saved snapshot is configured",
            "set PINECONE_API_KEY and PINECONE_INDEX (or PINECONE_INDEX_HOST), or BRIDGE_PINECONE_SNAPSHOT to a file saved by `bridge capacity snapshot`",
        ));
    }
    if cfg.database.is_none() {
        return Some(skipped(
            CheckId::Capacity,
            &SKIPPED,
            "DATABASE_URL is not set, so namespaces cannot be matched to tenants and tiers",
            "set DATABASE_URL to the application's connection string, or run with --demo",
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Status;

    #[test]
    fn cap000_capacity_check_skipped_fires() {
        let mut cfg = Config::default();
        let o = not_configured(&cfg).expect("no Pinecone source: skip");
        assert_eq!((o.findings[0].code.as_str(), o.findings[0].status), ("CAP000", Status::Skip));
        assert!(o.findings[0].detail.contains("PINECONE_API_KEY"), "{}", o.findings[0].detail);
        cfg.capacity.snapshot = Some("stats.json".into());
        let o = not_configured(&cfg).expect("no database: skip");
        assert!(o.findings[0].detail.contains("DATABASE_URL"), "{}", o.findings[0].detail);
        assert!(o.findings[0].remedy.as_deref().unwrap().contains("--demo"));
    }

    #[test]
    fn cap000_capacity_check_skipped_quiet() {
        let mut cfg = Config::default();
        cfg.capacity.snapshot = Some("stats.json".into());
        cfg.database = Some(crate::config::DbTarget::parse("postgres://app@localhost/app").unwrap());
        assert!(not_configured(&cfg).is_none());
    }
}
