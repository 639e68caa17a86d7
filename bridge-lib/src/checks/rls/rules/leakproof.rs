//! RLS017: a user function marked LEAKPROOF.

use crate::checks::rls::catalog::Catalog;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;

/// A user function is marked LEAKPROOF.
pub static LEAKPROOF: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS017",
    name: "leakproof-user-function",
    title: "a user function is marked LEAKPROOF",
    checks: "Functions outside pg_catalog and information_schema with `proleakproof` set.",
    why: "The planner may run LEAKPROOF functions before the RLS filter; a function wrongly marked so can reveal other tenants' rows \
          through errors.",
    remedy: "`ALTER FUNCTION f(args) NOT LEAKPROOF;` (only a superuser can set LEAKPROOF; keep it only on functions \
             proven to raise no error that depends on their arguments).",
    limits: "Does not read the function to judge whether it can leak, nor whether any policy or query uses it: every \
             user function so marked is reported, in every schema.",
};

/// RLS017 for each user function marked LEAKPROOF.
pub fn leakproof(cat: &Catalog) -> Vec<Finding> {
    cat.leakproof
        .iter()
        .map(|f| {
            LEAKPROOF
                .finding(Status::Warn, f, format!("expected no user function marked LEAKPROOF, found `{f}`"))
                .with_remedy(format!("ALTER FUNCTION {f} NOT LEAKPROOF;"))
        })
        .collect()
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    let mut cat = super::fixtures::catalog();
    cat.leakproof = vec!["tenant_eq(text,text)".into()];
    leakproof(&cat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rls017_leakproof_user_function_fires() {
        let f = triggers();
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].key.as_str(), f[0].status), ("RLS017:tenant_eq(text,text)", Status::Warn));
        assert_eq!(f[0].remedy.as_deref(), Some("ALTER FUNCTION tenant_eq(text,text) NOT LEAKPROOF;"));
    }

    #[test]
    fn rls017_leakproof_user_function_quiet() {
        assert!(leakproof(&super::super::fixtures::catalog()).is_empty());
    }
}
