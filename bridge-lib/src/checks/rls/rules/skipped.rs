//! RLS000: no application connection, so nothing to audit.

use crate::checks::skipped;
use crate::config::{Config, DbTarget};
use crate::finding::Rule;
use crate::report::{CheckId, CheckOutcome};

/// RLS isolation not checked.
pub static SKIPPED: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS000",
    name: "rls-check-skipped",
    title: "RLS isolation not checked",
    checks: "Whether DATABASE_URL names a connection to audit; without it no other RLS rule runs.",
    why: "Without DATABASE_URL (the application's own connection) there is no role to audit, so the check is skipped.",
    remedy: "Set DATABASE_URL to the connection string the application itself uses (its real role, not a superuser \
             or the schema owner), e.g. `DATABASE_URL=postgres://app_user@db.internal/app`, or run with --demo.",
    limits: "A skip is not a pass: the verdict says isolation was not checked. Nothing tells the check which role \
             production really connects as; it trusts DATABASE_URL.",
};

/// The connection to audit, or the skip outcome when DATABASE_URL is not set.
pub fn database(cfg: &Config) -> std::result::Result<&DbTarget, CheckOutcome> {
    cfg.database.as_ref().ok_or_else(|| {
        skipped(
            CheckId::Rls,
            &SKIPPED,
            "DATABASE_URL is not set",
            "set DATABASE_URL to the application's own connection string (its real role), or run with --demo",
        )
    })
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<crate::finding::Finding> {
    database(&Config::default()).err().map(|o| o.findings).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Status;

    #[test]
    fn rls000_rls_check_skipped_fires() {
        let f = triggers();
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].code.as_str(), f[0].status), ("RLS000", Status::Skip));
        assert_eq!(f[0].detail, "skipped: DATABASE_URL is not set");
    }

    #[test]
    fn rls000_rls_check_skipped_quiet() {
        let cfg =
            Config { database: Some(DbTarget::parse("postgres://app@localhost/app").unwrap()), ..Default::default() };
        assert!(database(&cfg).is_ok());
    }
}
