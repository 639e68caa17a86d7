//! Readiness check #1: PostgreSQL row-level security really isolates tenants for the role the
//! application uses.
//!
//! **What it checks.** Connected as the application's own role (`DATABASE_URL`):
//! - *statically*, from the catalog in a few pipelined queries: every relation with a tenant key
//!   (a configured tenant column name, or a foreign key to the tenants table) the role can reach
//!   by a table or column privilege (tables, partitioned tables, partitions, views, materialized
//!   views, foreign tables), its RLS and FORCE flags, owner, privileges and policies; tables
//!   that triggers fill with copies of tenant rows; the role's attributes and memberships; views and SECURITY DEFINER functions over tenant tables; unique
//!   and foreign keys without the tenant column; tenant defaults in role settings; LEAKPROOF
//!   functions. Policies are judged with PostgreSQL's own semantics: permissive policies are
//!   OR'd and restrictive ones AND'd per command, a missing clause grants nothing, and an UPDATE
//!   or ALL policy without WITH CHECK reuses USING (so no false alarm there).
//! - *live*, in one transaction that is always rolled back: with no context, then with each probe
//!   tenant's context set exactly as the application sets it, it counts own and foreign rows
//!   through every readable relation and probeable definer function (row images of other
//!   tenants in trigger-filled copies; what views that hide the tenant column return under each
//!   context), asks `row_security_active()`,
//!   and tries to insert, move, update and delete rows across tenants inside savepoints; then it
//!   checks that the context does not survive a commit (the pooled-connection leak).
//!
//! **Why it matters.** Per-tenant customization puts each tenant's prompts, model choices and
//! keys in these tables: one leaking path exposes them all. Every known way RLS silently fails
//! (see `../shared/reference/rls.md`) has a rule here.
//!
//! **Evidence.** Role attributes, policy text, row counts per tenant, SQLSTATEs; an access matrix
//! per relation (own / other tenant / no context, read and write) in the outcome's data.
//!
//! **Remedy.** Exact SQL: `ALTER TABLE … FORCE ROW LEVEL SECURITY;`, `ALTER VIEW … SET
//! (security_invoker = true);`, a restrictive tenant policy, `REVOKE …`.
//!
//! A precondition that fails (the role bypasses RLS, a tenant has no rows) gives an explicit
//! "inconclusive" warning, never a silent pass. The probe changes no data: reads run in a
//! transaction that is rolled back, writes inside savepoints that are rolled back, every value
//! bound as a parameter, and the transaction is confirmed open after every step. Copied rows
//! keep their identity values, and by default (`BRIDGE_PROBE_WRITES=safe`) no write that fires a
//! trigger, rule or cascade runs, so no sequence advances ([`writes`]). Shared rows (a NULL
//! tenant or a `BRIDGE_SHARED_TENANT` marker) are counted apart from other tenants' rows.
//!
//! **Layout.** [`catalog`], [`probe`] and [`writes`] gather the facts; [`policy`] is PostgreSQL's policy
//! semantics; [`rules`] holds one module per rule (or per family one branch emits), each a
//! `Rule` beside the pure function that emits it and its tests; [`static_rules::evaluate`] and
//! [`evaluate_live`] call them in order. `bridge explain RLS001` prints a rule's documentation.
//! [`repro`] gives every live leak a runnable SQL script (`--emit-repro`); [`prove`] plants
//! mutants to show the probe catches them (`--prove`).

pub mod catalog;
pub mod discovery;
pub mod policy;
pub mod probe;
pub mod prove;
pub mod repro;
pub mod rules;
mod settings;
pub mod static_rules;
pub mod writes;
pub use settings::{ProbeWrites, RlsConfig};

use crate::config::Config;
use crate::finding::Finding;
use crate::report::data::{MatrixRow, RlsData, TenantReads};
use crate::report::{CheckId, CheckOutcome};
use crate::{db, Result};
use catalog::Catalog;
use probe::{Observations, WriteOutcome};
use rules::shared::rows;
pub use rules::RULES;
use rules::{
    context_leak, cross_tenant_read, cross_tenant_write, empty_context, hidden_view, inconclusive, no_context_read,
    not_readable, probe_error, row_security_inactive, shared_write, tenant_copy, write_probes,
};

/// Runs the audit: catalog, then the live probe, on a fresh connection of the application role.
pub async fn run(cfg: &Config) -> Result<CheckOutcome> {
    let target = match rules::skipped::database(cfg) {
        Ok(target) => target,
        Err(skipped) => return Ok(skipped),
    };
    let client = db::connect(target).await?;
    let mut cat = catalog::read(&client, cfg).await?;
    if !cfg.rls.tenant_tables.is_empty() {
        cat.relations.retain(|r| cfg.rls.tenant_tables.iter().any(|t| *t == r.name || *t == r.relname));
    }
    // tables found only by a foreign key to the tenants table are audited too, but a tenant
    // column named in the configuration that nothing has is a configuration error
    let by_column = cat.relations.iter().any(|r| r.found_by == "tenant column");
    if cat.relations.is_empty() || (cfg.rls.tenant_tables.is_empty() && !by_column) {
        return Err(crate::Error::Config {
            what: format!("no table or view with column `{}` is reachable by role `{}`: nothing to audit", cfg.tenant_column_names().join("`, `"), cat.role.name),
            fix: "set BRIDGE_TENANT_COLUMN (or BRIDGE_TENANT_COLUMNS, BRIDGE_TENANT_TABLES) to the tenant column, and connect with the application's role".into(),
        });
    }
    let defaults: Vec<String> =
        cat.role_settings.iter().filter_map(|s| rules::role_default::default_value(cfg, s)).collect();
    cat.role_setting_tenants = probe::tenants_named(&client, cfg, &defaults).await;
    let tenants = probe::probe_tenants(&client, cfg).await?;
    let obs = probe::run(&client, cfg, &cat, tenants).await?;
    let mut findings = static_rules::evaluate(cfg, &cat);
    repro::attach(cfg, &cat, &obs, &mut findings);
    findings.extend(evaluate_live(cfg, &cat, &obs));
    let mut data = RlsData {
        app_role: cat.role.data(),
        probe_tenants: obs.tenants.clone(),
        settings_read_by_policies: cat.settings_read.clone(),
        matrix: matrix(&cat, &obs),
        tenant_reads: tenant_reads(&cat, &obs),
        mutants: Vec::new(),
    };
    if cfg.rls.prove {
        data.mutants = prove::run(cfg, &cat, &obs.tenants).await?;
        findings.extend(rules::blind_spot::blind_spots(&data.mutants));
    }
    let data = serde_json::to_value(&data).unwrap_or_default();
    Ok(CheckOutcome::from_findings(CheckId::Rls, findings).with_data(data))
}

/// Findings from the live probe (pure). Each rule lives in its own module under `rules/`; a
/// probe role that bypasses RLS stops here with one inconclusive finding.
pub fn evaluate_live(cfg: &Config, cat: &Catalog, obs: &Observations) -> Vec<Finding> {
    if let Some(f) = inconclusive::probe_role_bypasses(cat) {
        return vec![f];
    }
    let mut out = not_readable::not_readable(cat, obs);
    out.extend(row_security_inactive::row_security_inactive(cat, obs));
    out.extend(no_context_read::no_context_read(cfg, cat, obs));
    out.extend(empty_context::empty_context_read(cfg, cat, obs));
    out.extend(cross_tenant_read::cross_tenant_read(cat, obs));
    out.extend(tenant_copy::copy_read(cat, obs));
    out.extend(hidden_view::view_ignores_context(cat, obs));
    out.extend(probe_error::probe_read_errors(obs));
    out.extend(inconclusive::inconclusive(cfg, cat, obs));
    out.extend(cross_tenant_read::cross_tenant_read_pass(cat, obs));
    for w in &obs.writes {
        out.extend(cross_tenant_write::cross_tenant_write(cat, w));
        out.extend(shared_write::shared_write(cfg, cat, w));
        out.extend(probe_error::probe_write_error(w));
    }
    out.extend(cross_tenant_write::cross_tenant_write_pass(obs));
    out.extend(write_probes::not_probed(cfg, obs));
    out.extend(write_probes::side_effects(obs));
    out.extend(context_leak::context_leak(cfg, obs));
    repro::attach(cfg, cat, obs, &mut out);
    out
}

/// What each probe tenant read of each readable relation, in the catalog's order.
pub fn tenant_reads(cat: &Catalog, obs: &Observations) -> Vec<TenantReads> {
    let mut out = Vec::new();
    for tenant in &obs.tenants {
        for r in cat.relations.iter().filter(|r| r.select) {
            let reads = obs.reads.get(tenant).and_then(|m| rows(m.get(&r.name)));
            if let Some((own_rows, other_rows)) = reads {
                out.push(TenantReads { tenant: tenant.clone(), relation: r.name.clone(), own_rows, other_rows });
            }
        }
    }
    out
}

/// The access matrix: one row per relation.
pub fn matrix(cat: &Catalog, obs: &Observations) -> Vec<MatrixRow> {
    cat.relations
        .iter()
        .map(|r| {
            let own: i64 = obs.reads.values().filter_map(|m| rows(m.get(&r.name))).map(|(o, _)| o).sum();
            let other: i64 = obs.reads.values().filter_map(|m| rows(m.get(&r.name))).map(|(_, x)| x).sum();
            let none = rows(obs.no_context.get(&r.name)).map(|(o, x)| o + x);
            let shared: i64 = obs.shared.values().filter_map(|m| m.get(&r.name)).max().copied().unwrap_or(0);
            let write = |action: &str| {
                obs.writes.iter().find(|w| w.relation == r.name && w.action == action).map(|w| match &w.outcome {
                    WriteOutcome::Denied { how } => format!("denied ({how})"),
                    WriteOutcome::Allowed { how } => format!("ALLOWED ({how})"),
                    WriteOutcome::NotTried { .. } => "not tried".into(),
                    WriteOutcome::Failed { sqlstate, .. } => format!("error {sqlstate}"),
                    WriteOutcome::Skipped { .. } => "not probed (BRIDGE_PROBE_WRITES)".into(),
                })
            };
            MatrixRow {
                relation: r.name.clone(),
                kind: r.kind_word().to_string(),
                rls: r.rls,
                force: r.force,
                row_security_active: obs.row_security_active.get(&r.name).copied(),
                own_rows: r.select.then_some(own),
                other_tenant_rows: r.select.then_some(other),
                no_context_rows: none,
                insert_for_other: write("insert row for other tenant"),
                move_to_other: write("move own row to other tenant"),
                update_other: write("update other tenant's rows"),
                delete_other: write("delete other tenant's rows"),
                shared_rows: shared,
                update_shared: write(writes::UPDATE_SHARED),
                delete_shared: write(writes::DELETE_SHARED),
            }
        })
        .collect()
}
