//! Hand-built catalogs and observations for the rule tests: a clean baseline (one forced tenant
//! table with a tenant policy, two probe tenants that see only their own rows, writes refused)
//! that each test bends until one rule fires.

use crate::checks::rls::catalog::{Catalog, Policy, Relation};
use crate::checks::rls::probe::{Count, Observations, WriteOutcome, WriteProbe};
use crate::config::Config;
use crate::finding::{Finding, Status};
use std::collections::BTreeMap;

/// The clean tenant table's name.
pub const DOCS: &str = "public.docs";
/// A tenant-scoped clause, as `pg_get_expr` prints it.
pub const TENANT: &str = "(tenant_id = current_setting('app.current_tenant'::text, true))";

/// The default configuration: column `tenant_id`, setting `app.current_tenant`.
pub fn cfg() -> Config {
    Config::default()
}

/// A forced table `public.<name>` owned by `owner`, readable and writable by the application.
pub fn table(name: &str) -> Relation {
    Relation {
        name: format!("public.{name}"),
        relname: name.into(),
        kind: "r".into(),
        rls: true,
        force: true,
        owner: "owner".into(),
        select: true,
        insert: true,
        update: true,
        delete: true,
        policies: 1,
        ..Default::default()
    }
}

/// A policy on `table` that applies to the application.
pub fn policy(
    table: &str,
    name: &str,
    cmd: &str,
    permissive: bool,
    using: Option<&str>,
    check: Option<&str>,
) -> Policy {
    Policy {
        table: table.into(),
        name: name.into(),
        permissive,
        cmd: cmd.into(),
        roles: vec!["app".into()],
        applies_to_app: true,
        using: using.map(str::to_string),
        with_check: check.map(str::to_string),
    }
}

/// The clean catalog: role `app`, one forced table with a tenant policy.
pub fn catalog() -> Catalog {
    Catalog {
        role: crate::checks::rls::catalog::AppRole { name: "app".into(), ..Default::default() },
        relations: vec![table("docs")],
        policies: vec![policy(DOCS, "tenant_isolation", "*", true, Some(TENANT), Some(TENANT))],
        settings_read: vec!["app.current_tenant".into()],
        ..Default::default()
    }
}

/// Rows counted.
pub fn count(own: i64, other: i64) -> Count {
    Count::Rows { own, other }
}

/// A write attempt by `a` against `b` on the clean table.
pub fn write(action: &str, outcome: WriteOutcome) -> WriteProbe {
    WriteProbe {
        relation: DOCS.into(),
        action: action.into(),
        as_tenant: "a".into(),
        other_tenant: "b".into(),
        outcome,
        touches: Vec::new(),
        sequences: Vec::new(),
    }
}

/// The clean observations: tenants `a` and `b` each see 2 own rows and nothing else, nothing
/// without context, every write refused, the context gone after commit.
pub fn observations() -> Observations {
    let reads: BTreeMap<String, Count> = [(DOCS.to_string(), count(2, 0))].into();
    Observations {
        tenants: vec!["a".into(), "b".into()],
        row_security_active: [(DOCS.to_string(), true)].into(),
        no_context: [(DOCS.to_string(), count(0, 0))].into(),
        reads: [("a".to_string(), reads.clone()), ("b".to_string(), reads)].into(),
        functions: [("a".to_string(), BTreeMap::new()), ("b".to_string(), BTreeMap::new())].into(),
        writes: vec![
            write("insert row for other tenant", WriteOutcome::Denied { how: "42501".into() }),
            write("delete other tenant's rows", WriteOutcome::Denied { how: "0 rows".into() }),
        ],
        context_after_commit: None,
        rows_after_commit: Some((DOCS.into(), 0)),
        not_readable: Vec::new(),
        empty_context: [(DOCS.to_string(), count(0, 0))].into(),
        shared: BTreeMap::new(),
        live_rows: BTreeMap::new(),
        ..Default::default()
    }
}

/// The keys of the findings of `code` that are not passes.
pub fn problems(findings: &[Finding], code: &str) -> Vec<String> {
    findings.iter().filter(|f| f.code == code && f.status != Status::Pass).map(|f| f.key.clone()).collect()
}

/// Both halves of the audit on a hand-built catalog and observations.
pub fn audit(cfg: &Config, cat: &Catalog, obs: &Observations) -> Vec<Finding> {
    let mut out = crate::checks::rls::static_rules::evaluate(cfg, cat);
    out.extend(crate::checks::rls::evaluate_live(cfg, cat, obs));
    out
}
