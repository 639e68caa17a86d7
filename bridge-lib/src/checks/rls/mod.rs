//! Readiness check #1: PostgreSQL row-level security really isolates tenants for the role the
//! application uses.
//!
//! **What it checks.** Connected as the application's own role (`DATABASE_URL`):
//! - *statically*, from the catalog in a few pipelined queries: every relation with the tenant
//!   column the role can reach (tables, partitioned tables, partitions, views, materialized views,
//!   foreign tables), its RLS and FORCE flags, owner, privileges and policies; the role's
//!   attributes and memberships; views and SECURITY DEFINER functions over tenant tables; unique
//!   and foreign keys without the tenant column; tenant defaults in role settings; LEAKPROOF
//!   functions. Policies are judged with PostgreSQL's own semantics: permissive policies are
//!   OR'd and restrictive ones AND'd per command, a missing clause grants nothing, and an UPDATE
//!   or ALL policy without WITH CHECK reuses USING (so no false alarm there).
//! - *live*, in one transaction that is always rolled back: with no context, then with each probe
//!   tenant's context set exactly as the application sets it, it counts own and foreign rows
//!   through every readable relation and probeable definer function, asks `row_security_active()`,
//!   and tries to insert, move, update and delete rows across tenants inside savepoints; then it
//!   checks that the context does not survive a commit (the pooled-connection leak).
//!
//! **Why it matters.** Per-tenant customization puts each tenant's prompts, model choices and
//! keys in these tables: one leaking path exposes them all. Every known way RLS silently fails
//! has a rule here.
//!
//! **Evidence.** Role attributes, policy text, row counts per tenant, SQLSTATEs; an access matrix
//! per relation (own / other tenant / no context, read and write) in the outcome's data.
//!
//! **Remedy.** Exact SQL: `ALTER TABLE … FORCE ROW LEVEL SECURITY;`, `ALTER VIEW … SET
//! (security_invoker = true);`, a restrictive tenant policy, `REVOKE …`.
//!
//! A precondition that fails (the role bypasses RLS, a tenant has no rows) gives an explicit
//! "inconclusive" warning, never a silent pass. The probe changes no data: reads run in a
//! transaction that is rolled back, writes inside savepoints that are rolled back (sequences are
//! not touched: copied rows keep their identity values).

pub mod catalog;
pub mod probe;
pub mod rules;
mod settings;
pub mod static_rules;
pub use settings::RlsConfig;

use crate::checks::skipped;
use crate::config::Config;
use crate::finding::{Finding, Status};
use crate::report::{CheckId, CheckOutcome};
use crate::{db, Result};
use catalog::Catalog;
use probe::{Count, Observations, WriteOutcome};
pub use rules::RULES;
use rules::*;
use serde_json::json;

/// Runs the audit: catalog, then the live probe, on a fresh connection of the application role.
pub async fn run(cfg: &Config) -> Result<CheckOutcome> {
    let Some(target) = &cfg.database else {
        return Ok(skipped(
            CheckId::Rls,
            &SKIPPED,
            "DATABASE_URL is not set",
            "set DATABASE_URL to the application's own connection string (its real role), or run with --demo",
        ));
    };
    let client = db::connect(target).await?;
    let mut cat = catalog::read(&client, cfg).await?;
    if !cfg.rls.tenant_tables.is_empty() {
        cat.relations.retain(|r| cfg.rls.tenant_tables.iter().any(|t| *t == r.name || *t == r.relname));
    }
    if cat.relations.is_empty() {
        return Err(crate::Error::Config {
            what: format!("no table or view with column `{}` is reachable by role `{}`: nothing to audit", cfg.tenancy.column, cat.role.name),
            fix: "set BRIDGE_TENANT_COLUMN to the tenant column (or BRIDGE_TENANT_TABLES), and connect with the application's role".into(),
        });
    }
    let tenants = probe::probe_tenants(&client, cfg).await?;
    let obs = probe::run(&client, cfg, &cat, tenants).await?;
    let mut findings = static_rules::evaluate(cfg, &cat);
    findings.extend(evaluate_live(cfg, &cat, &obs));
    let data = json!({
        "app_role": cat.role,
        "probe_tenants": obs.tenants,
        "settings_read_by_policies": cat.settings_read,
        "matrix": matrix(&cat, &obs),
    });
    Ok(CheckOutcome::from_findings(CheckId::Rls, findings).with_data(data))
}

fn rows(c: Option<&Count>) -> Option<(i64, i64)> {
    match c {
        Some(Count::Rows { own, other }) => Some((*own, *other)),
        _ => None,
    }
}

/// Findings from the live probe (pure).
pub fn evaluate_live(cfg: &Config, cat: &Catalog, obs: &Observations) -> Vec<Finding> {
    let mut out = Vec::new();
    let setting = &cfg.tenancy.context.setting;
    if cat.role.bypasses() {
        out.push(
            INCONCLUSIVE
                .finding(Status::Warn, "probe-role", format!("inconclusive: the probe role `{}` bypasses row level security, so every probe would pass vacuously", cat.role.name))
                .with_evidence(json!(cat.role))
                .with_remedy("connect with the application's own non-superuser, NOBYPASSRLS role"),
        );
        return out;
    }
    for r in &obs.not_readable {
        out.push(
            NOT_READABLE
                .finding(Status::Warn, r, format!("expected SELECT on `{r}` to probe it, found none: not probed"))
                .with_remedy(format!(
                    "GRANT SELECT ON {r} TO {};  -- or ignore if the application never reads it",
                    db::quote_ident(&cat.role.name)
                )),
        );
    }
    for (table, active) in &obs.row_security_active {
        let rel = cat.relations.iter().find(|r| r.name == *table);
        if !active && rel.is_some_and(|r| r.rls) {
            out.push(
                ROW_SECURITY_INACTIVE
                    .finding(
                        Status::Fail,
                        table,
                        format!(
                            "expected row_security_active('{table}') to be true for `{}`, found false",
                            cat.role.name
                        ),
                    )
                    .with_evidence(json!({"relation": table, "row_security_active": false}))
                    .with_remedy(format!("ALTER TABLE {table} FORCE ROW LEVEL SECURITY;")),
            );
        }
    }

    // no context
    let open: Vec<(&String, i64)> = obs
        .no_context
        .iter()
        .filter_map(|(r, c)| rows(Some(c)).map(|(o, x)| (r, o + x)))
        .filter(|(_, n)| *n > 0)
        .collect();
    for (r, n) in &open {
        out.push(
            NO_CONTEXT_READ
                .finding(Status::Fail, r, format!("expected 0 rows through `{r}` with no tenant context, found {n}"))
                .with_evidence(json!({"relation": r, "rows_without_context": n}))
                .with_remedy(match cat.relations.iter().find(|x| x.name == **r) {
                    Some(x) if x.is_table() && x.rls && !x.owner_bypass() => cfg.tenancy.fail_closed_remedy(),
                    _ => remedy_for(cat, r),
                }),
        );
    }
    if open.is_empty() && !obs.no_context.is_empty() {
        out.push(NO_CONTEXT_READ.finding(
            Status::Pass,
            "",
            format!("0 rows visible through {} relations with no tenant context", obs.no_context.len()),
        ));
    }

    // reads under each tenant
    let mut leaks = 0;
    let mut probe_errors = Vec::new();
    let all_relations: Vec<&String> =
        obs.reads.values().flat_map(|m| m.keys()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    for r in &all_relations {
        let per: Vec<(&String, Option<(i64, i64)>)> = obs.reads.iter().map(|(t, m)| (t, rows(m.get(*r)))).collect();
        let leaking: Vec<(&String, i64)> =
            per.iter().filter_map(|(t, c)| c.filter(|(_, o)| *o > 0).map(|(_, o)| (*t, o))).collect();
        if !leaking.is_empty() {
            leaks += 1;
            let what = leaking.iter().map(|(t, n)| format!("{n} under `{t}`")).collect::<Vec<_>>().join(", ");
            out.push(
                CROSS_TENANT_READ
                    .finding(Status::Fail, r, format!("expected 0 rows of other tenants through `{r}`, found {what}"))
                    .with_evidence(json!({"relation": r, "other_tenant_rows": leaking.iter().map(|(t, n)| json!({"tenant": t, "rows": n})).collect::<Vec<_>>()}))
                    .with_remedy(remedy_for(cat, r)),
            );
        }
        for (t, m) in &obs.reads {
            if let Some(Count::Failed { sqlstate, message }) = m.get(*r) {
                probe_errors.push(json!({"relation": r, "tenant": t, "sqlstate": sqlstate, "message": message}));
            }
        }
    }
    for (t, fns) in &obs.functions {
        for (f, c) in fns {
            if let Some((_, other)) = rows(Some(c)) {
                if other > 0 {
                    leaks += 1;
                    out.push(
                        CROSS_TENANT_READ
                            .finding(
                                Status::Fail,
                                f,
                                format!("expected 0 rows of other tenants from `{f}` under `{t}`, found {other}"),
                            )
                            .with_evidence(json!({"function": f, "tenant": t, "other_tenant_rows": other}))
                            .with_remedy(format!("ALTER FUNCTION {f} SECURITY INVOKER;")),
                    );
                }
            }
        }
    }
    if !probe_errors.is_empty() {
        out.push(
            PROBE_ERROR
                .finding(
                    Status::Warn,
                    "reads",
                    format!(
                        "{} probe reads failed under a tenant context (first: {})",
                        probe_errors.len(),
                        probe_errors[0]["message"]
                    ),
                )
                .with_evidence(json!(probe_errors)),
        );
    }

    // inconclusive: fewer than two tenants with rows
    let tenants_with_rows =
        |r: &String| obs.reads.values().filter(|m| rows(m.get(r)).is_some_and(|(own, _)| own > 0)).count();
    let anything_seen = all_relations.iter().any(|r| tenants_with_rows(r) > 0);
    if obs.tenants.len() < 2 {
        out.push(
            INCONCLUSIVE
                .finding(
                    Status::Warn,
                    "tenants",
                    format!("inconclusive: expected at least 2 tenants to probe, found {}", obs.tenants.len()),
                )
                .with_remedy("add tenants, or set BRIDGE_PROBE_TENANTS=a,b"),
        );
    } else if !all_relations.is_empty() && !anything_seen {
        out.push(
            INCONCLUSIVE
                .finding(Status::Warn, "context", format!("inconclusive: the tenant context never took effect: no probe tenant ({}) saw any of its own rows", obs.tenants.join(", ")))
                .with_evidence(json!({"tenant_setting": setting, "context_sql": cfg.tenancy.context.statement("<tenant>"), "settings_read_by_policies": cat.settings_read}))
                .with_remedy("check BRIDGE_TENANT_SETTING (the setting the policies read) and BRIDGE_TENANT_CONTEXT_SQL (how the application sets it)"),
        );
    } else {
        let thin: Vec<&&String> = all_relations.iter().filter(|r| tenants_with_rows(r) < 2).collect();
        if !thin.is_empty() {
            out.push(
                INCONCLUSIVE
                    .finding(
                        Status::Warn,
                        "rows",
                        format!(
                            "inconclusive for {}: fewer than 2 probe tenants have rows there, so 0 foreign rows proves nothing",
                            thin.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    )
                    .with_remedy("seed rows for at least two tenants (bridge tenants provision --seed-sql FILE), or set BRIDGE_PROBE_TENANTS"),
            );
        }
        if leaks == 0 {
            let conclusive = all_relations.len() - thin.len();
            out.push(CROSS_TENANT_READ.finding(
                Status::Pass,
                "",
                format!("0 rows of other tenants visible under the context of {} ({conclusive} of {} relations with rows of 2+ tenants)", obs.tenants.join(", "), all_relations.len()),
            ));
        }
    }

    // writes
    let mut denied = 0;
    for w in &obs.writes {
        match &w.outcome {
            WriteOutcome::Allowed { how } => out.push(
                CROSS_TENANT_WRITE
                    .finding(
                        Status::Fail,
                        &format!("{}/{}", w.relation, w.action),
                        format!(
                            "expected `{}` on `{}` under `{}` to be refused (42501 or 0 rows), found it allowed: {how}",
                            w.action, w.relation, w.as_tenant
                        ),
                    )
                    .with_evidence(json!(w))
                    .with_remedy(remedy_for(cat, &w.relation)),
            ),
            WriteOutcome::Failed { sqlstate, message } => out.push(
                PROBE_ERROR
                    .finding(
                        Status::Warn,
                        &format!("{}/{}", w.relation, w.action),
                        format!("`{}` on `{}` failed with {sqlstate}: {message}", w.action, w.relation),
                    )
                    .with_evidence(json!(w)),
            ),
            WriteOutcome::Denied { .. } => denied += 1,
            WriteOutcome::NotTried { .. } => {}
        }
    }
    if denied > 0 && !obs.writes.iter().any(|w| matches!(w.outcome, WriteOutcome::Allowed { .. })) {
        out.push(CROSS_TENANT_WRITE.finding(
            Status::Pass,
            "",
            format!("{denied} cross-tenant write attempts refused and rolled back"),
        ));
    }

    // context after commit
    match (&obs.context_after_commit, &obs.rows_after_commit) {
        (Some(v), _) => out.push(
            CONTEXT_LEAK
                .finding(Status::Fail, setting, format!("expected `{setting}` unset in a new transaction, found `{v}` after the transaction that set it committed"))
                .with_evidence(json!({"value_after_commit": v, "rows_after_commit": obs.rows_after_commit, "context_sql": cfg.tenancy.context.statement("<tenant>")}))
                .with_remedy(cfg.tenancy.context.local_remedy()),
        ),
        (None, Some((t, n))) if *n > 0 => out.push(
            CONTEXT_LEAK
                .finding(Status::Fail, setting, format!("expected 0 rows through `{t}` in a new transaction, found {n}"))
                .with_evidence(json!({"rows_after_commit": obs.rows_after_commit})),
        ),
        (None, Some(_)) => out.push(CONTEXT_LEAK.finding(Status::Pass, setting, format!("`{setting}` does not survive the end of the transaction that set it"))),
        _ => {}
    }
    out
}

fn remedy_for(cat: &Catalog, relation: &str) -> String {
    match cat.relations.iter().find(|r| r.name == relation) {
        Some(r) if r.kind == "v" => format!("ALTER VIEW {relation} SET (security_invoker = true);"),
        Some(r) if r.kind == "m" || r.kind == "f" => {
            format!("REVOKE SELECT ON {relation} FROM {};", db::quote_ident(&cat.role.name))
        }
        Some(r) if !r.rls => format!(
            "ALTER TABLE {relation} ENABLE ROW LEVEL SECURITY;\nALTER TABLE {relation} FORCE ROW LEVEL SECURITY;"
        ),
        Some(r) if !r.force => format!("ALTER TABLE {relation} FORCE ROW LEVEL SECURITY;"),
        _ => "review the policies that apply to the application role on this relation (see the other findings)".into(),
    }
}

/// The access matrix: one row per relation.
pub fn matrix(cat: &Catalog, obs: &Observations) -> Vec<serde_json::Value> {
    cat.relations
        .iter()
        .map(|r| {
            let own: i64 = obs.reads.values().filter_map(|m| rows(m.get(&r.name))).map(|(o, _)| o).sum();
            let other: i64 = obs.reads.values().filter_map(|m| rows(m.get(&r.name))).map(|(_, x)| x).sum();
            let none = rows(obs.no_context.get(&r.name)).map(|(o, x)| o + x);
            let write = |action: &str| {
                obs.writes.iter().find(|w| w.relation == r.name && w.action == action).map(|w| match &w.outcome {
                    WriteOutcome::Denied { how } => format!("denied ({how})"),
                    WriteOutcome::Allowed { how } => format!("ALLOWED ({how})"),
                    WriteOutcome::NotTried { .. } => "not tried".into(),
                    WriteOutcome::Failed { sqlstate, .. } => format!("error {sqlstate}"),
                })
            };
            json!({
                "relation": r.name, "kind": r.kind_word(), "rls": r.rls, "force": r.force,
                "row_security_active": obs.row_security_active.get(&r.name),
                "own_rows": if r.select { Some(own) } else { None },
                "other_tenant_rows": if r.select { Some(other) } else { None },
                "no_context_rows": none,
                "insert_for_other": write("insert row for other tenant"),
                "move_to_other": write("move own row to other tenant"),
                "update_other": write("update other tenant's rows"),
                "delete_other": write("delete other tenant's rows"),
            })
        })
        .collect()
}
