//! RLS010: a SECURITY DEFINER function that reads tenant tables as a role that bypasses RLS.

use crate::checks::rls::catalog::{Catalog, DefinerFunction, Relation};
use crate::checks::rls::policy::mentions_ident;
use crate::db::quote_ident;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// A SECURITY DEFINER function reads tenant tables as a role that bypasses RLS.
pub static DEFINER_BYPASSES: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS010",
    name: "definer-function-bypasses-rls",
    title: "a SECURITY DEFINER function reads tenant tables as a role that bypasses RLS",
    checks: "SECURITY DEFINER functions the application can EXECUTE whose body names a tenant table on which the \
             owner bypasses RLS (superuser, BYPASSRLS, owner of the table without FORCE — or a role that \
             inherits the table owner, compared by membership, not by name — or the table has RLS off); notes a search_path the function does not pin.",
    why: "A SECURITY DEFINER function runs as its owner; when the owner bypasses RLS, any caller reads every tenant's rows through it \
          (and a mutable search_path lets a caller redirect it).",
    remedy: "`ALTER FUNCTION f(args) SECURITY INVOKER;`, or `REVOKE EXECUTE ON FUNCTION f(args) FROM PUBLIC, app;`; \
             pin `ALTER FUNCTION f(args) SET search_path = pg_catalog, public;` on definers that stay.",
    limits: "Reads the body as text: a table reached through dynamic SQL (`EXECUTE format(…)`), a view or another \
             function is not seen, and a table name in a comment counts. C functions have no readable body. \
             Whether the function filters by tenant itself is not judged; the live probe (RLS021) calls the ones \
             it safely can.",
};

/// `f` runs with the privileges of `owner` (its own owner, or a role its owner inherits): the
/// table owner's RLS exemption is by membership, not by name.
fn owns(f: &DefinerFunction, owner: &str) -> bool {
    f.owner == owner || f.owner_privs_of.iter().any(|r| r == owner)
}

/// The tenant tables `f` names on which its owner bypasses RLS.
fn bypassed<'a>(cat: &'a Catalog, f: &DefinerFunction) -> Vec<&'a str> {
    let reads: Vec<&Relation> =
        cat.relations.iter().filter(|r| r.is_table() && mentions_ident(&f.body, &r.relname)).collect();
    reads
        .iter()
        .filter(|r| f.owner_bypasses || !r.rls || (owns(f, &r.owner) && !r.force))
        .map(|r| r.name.as_str())
        .collect()
}

/// RLS010 for each definer function whose owner bypasses RLS on a tenant table it names.
pub fn definer_bypasses(cat: &Catalog) -> Vec<Finding> {
    let app = &cat.role.name;
    let mut out = Vec::new();
    for f in &cat.definers {
        let bypass_on = bypassed(cat, f);
        if bypass_on.is_empty() {
            continue;
        }
        out.push(
            DEFINER_BYPASSES
                .finding(
                    Status::Fail,
                    &f.signature,
                    format!(
                        "expected SECURITY DEFINER function `{}` not to bypass RLS, found its owner `{}` bypasses it on {}{}",
                        f.signature,
                        f.owner,
                        bypass_on.join(", "),
                        if f.search_path_fixed { "" } else { " (and its search_path is mutable)" }
                    ),
                )
                .with_evidence(json!({"function": f.signature, "owner": f.owner, "owner_bypasses": f.owner_bypasses, "reads": bypass_on, "search_path_fixed": f.search_path_fixed}))
                .with_remedy(format!(
                    "ALTER FUNCTION {} SECURITY INVOKER;  -- or REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC, {};",
                    f.signature,
                    f.signature,
                    quote_ident(app)
                )),
        );
    }
    out
}

#[cfg(test)]
fn definer(owner: &str, owner_bypasses: bool, body: &str) -> DefinerFunction {
    DefinerFunction {
        signature: "all_docs()".into(),
        owner: owner.into(),
        owner_bypasses,
        body: body.into(),
        ..Default::default()
    }
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    let mut cat = super::fixtures::catalog();
    cat.definers = vec![definer("postgres", true, "SELECT * FROM docs")];
    definer_bypasses(&cat)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn rls010_definer_function_bypasses_rls_fires() {
        let f = triggers();
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].key.as_str(), f[0].status), ("RLS010:all_docs()", Status::Fail));
        assert!(
            f[0].detail.ends_with("bypasses it on public.docs (and its search_path is mutable)"),
            "{}",
            f[0].detail
        );
    }

    #[test]
    fn rls010_definer_owned_by_a_member_of_the_table_owner_fires() {
        let mut cat = fixtures::catalog();
        cat.relations[0].force = false;
        let mut f = definer("report_owner", false, "SELECT * FROM docs");
        f.owner_privs_of = vec!["owner".into(), "report_owner".into()];
        cat.definers = vec![f.clone()];
        let found = definer_bypasses(&cat);
        assert_eq!(found.len(), 1, "inherits the owner of an un-forced table");
        cat.relations[0].force = true;
        assert!(definer_bypasses(&cat).is_empty(), "FORCE binds the owner and its members");
        cat.relations[0].force = false;
        f.owner_privs_of = vec!["report_owner".into()];
        cat.definers = vec![f];
        assert!(definer_bypasses(&cat).is_empty(), "not a member of the table owner");
    }

    #[test]
    fn rls010_definer_function_bypasses_rls_quiet() {
        let mut cat = fixtures::catalog();
        cat.definers = vec![
            definer("postgres", true, "SELECT 1 FROM my_docs_archive"),
            definer("owner", false, "SELECT * FROM docs"),
        ];
        assert!(definer_bypasses(&cat).is_empty(), "names no tenant table / owner bound by FORCE");
    }
}
