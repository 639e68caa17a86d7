//! RLS026: a tenant relation the application reaches but cannot SELECT, so cannot be probed.

use crate::checks::rls::catalog::Catalog;
use crate::checks::rls::probe::Observations;
use crate::db;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;

/// The application role cannot read a tenant relation.
pub static NOT_READABLE: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS026",
    name: "probe-not-readable",
    title: "the application role cannot read a tenant relation",
    checks: "Tenant relations the application role can INSERT, UPDATE, DELETE or TRUNCATE but not SELECT.",
    why: "Without SELECT the probe cannot count rows through it; the relation is reported and the audit goes on.",
    remedy: "`GRANT SELECT ON t TO app;` when the application reads it; otherwise suppress the finding \
             (`RLS026:schema.t`): the static rules still judge the table.",
    limits: "Such a relation gets no live read count and no write probe (copying or moving a row needs SELECT), so \
             a write-only leak there is seen only by the static rules.",
};

/// RLS026 for each relation the probe could not read.
pub fn not_readable(cat: &Catalog, obs: &Observations) -> Vec<Finding> {
    obs.not_readable
        .iter()
        .map(|r| {
            NOT_READABLE
                .finding(Status::Warn, r, format!("expected SELECT on `{r}` to probe it, found none: not probed"))
                .with_remedy(format!(
                    "GRANT SELECT ON {r} TO {};  -- or ignore if the application never reads it",
                    db::quote_ident(&cat.role.name)
                ))
        })
        .collect()
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    let mut obs = super::fixtures::observations();
    obs.not_readable = vec!["public.chunks".into()];
    not_readable(&super::fixtures::catalog(), &obs)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn rls026_probe_not_readable_fires() {
        let f = triggers();
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].key.as_str(), f[0].status), ("RLS026:public.chunks", Status::Warn));
    }

    #[test]
    fn rls026_probe_not_readable_quiet() {
        assert!(not_readable(&fixtures::catalog(), &fixtures::observations()).is_empty());
    }
}
