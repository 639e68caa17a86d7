//! The rules of the tenants check, each declared beside the one small function that emits its
//! findings (pure: they read only [`Ctx`]).

use super::{Ctx, TestTenant};
use crate::checks::skipped;
use crate::db::quote_literal;
use crate::finding::{Finding, Rule, Status};
use crate::report::{CheckId, CheckOutcome};
use serde_json::json;

/// Skipped: no database configured.
pub static SKIPPED: Rule = Rule {
    check: CheckId::Tenants,
    code: "TEN000",
    name: "tenants-check-skipped",
    title: "test tenants not checked",
    checks: "Whether DATABASE_URL is set: without it the tenants table cannot be read and the check skips.",
    why: "Without DATABASE_URL the tenants table cannot be read, so the check is skipped with a warning.",
    remedy: "Set DATABASE_URL to the application's own connection string \
             (postgres://app_user:password@host:5432/dbname), or try the check with `bridge check --demo`.",
    limits: "A skip is not a pass: nothing about the tenants is known until the check runs on a database.",
};

/// The outcome when no database is configured.
pub fn ten000_skipped() -> CheckOutcome {
    skipped(
        CheckId::Tenants,
        &SKIPPED,
        "DATABASE_URL is not set",
        "set DATABASE_URL to the application's connection string, or run with --demo",
    )
}

/// Fewer test tenants than required.
pub static TOO_FEW: Rule = Rule {
    check: CheckId::Tenants,
    code: "TEN001",
    name: "too-few-test-tenants",
    title: "fewer test tenants provisioned end to end than required",
    checks: "Counts the tenants flagged `is_test` that are active and have rows, visible under their own tenant \
             context, in every tenant-scoped table; expects at least BRIDGE_MIN_TEST_TENANTS (default 3).",
    why: "Per-tenant configuration needs at least three test tenants, each active and with data in every \
          tenant-scoped table, to show that one tenant's configuration never reaches another.",
    remedy: "`bridge tenants provision --count 3 --seed-sql data/demo/seed_tenant.sql` inserts the missing test \
             tenants (`INSERT INTO tenants (id, is_test, tier, …) VALUES (…, true, …)`) and runs the seed once per \
             new tenant with its context set; `--dry-run` prints the SQL and changes nothing.",
    limits: "Rows are counted through the application's connection (up to 1,000 per table), so a tenant whose rows \
             RLS hides from the application counts as not provisioned; it checks that data exists, not that it is \
             realistic.",
};

/// TEN001: enough test tenants provisioned end to end (pass), or too few (fail).
pub fn ten001_too_few(ctx: &Ctx) -> Vec<Finding> {
    let provisioned = ctx.provisioned();
    let required = ctx.settings.min_test_tenants;
    let names = provisioned.iter().map(|t| format!("{} ({})", t.id, t.tier)).collect::<Vec<_>>().join(", ");
    let evidence = json!({ "required": required, "provisioned": provisioned, "flagged_test": ctx.tenants.len() });
    let table = &ctx.tenancy.table;
    let f = if provisioned.len() < required {
        let found = if names.is_empty() { String::new() } else { format!(": {names}") };
        TOO_FEW
            .finding(
                Status::Fail,
                table,
                format!(
                    "expected at least {required} test tenants provisioned end to end, found {}{found}",
                    provisioned.len()
                ),
            )
            .with_remedy(format!("bridge tenants provision --count {required} --seed-sql data/demo/seed_tenant.sql"))
    } else {
        TOO_FEW.finding(
            Status::Pass,
            table,
            format!("{} test tenants provisioned end to end: {names}", provisioned.len()),
        )
    };
    vec![f.with_evidence(evidence)]
}

/// A test tenant is not active.
pub static INACTIVE: Rule = Rule {
    check: CheckId::Tenants,
    code: "TEN002",
    name: "test-tenant-inactive",
    title: "a test tenant is flagged but not active",
    checks: "Each tenant flagged `is_test`: active through the tenants table's `active` boolean column, else \
             `status = 'active'` (a table with neither counts every tenant as active).",
    why: "An inactive test tenant is skipped by the application, so tests against it prove nothing.",
    remedy: "`UPDATE tenants SET active = true WHERE id::text = '<id>';` (or `SET status = 'active'`); the finding \
             names the configured tenants table and the tenant.",
    limits: "A NULL active flag or status counts as inactive; deactivation kept outside the tenants table (a \
             feature flag, a billing state) is not seen.",
};

/// TEN002: one warning per test tenant that is not active.
pub fn ten002_inactive(ctx: &Ctx) -> Vec<Finding> {
    let table = ctx.tenancy.table_sql();
    ctx.tenants
        .iter()
        .filter(|t| !t.active)
        .map(|t| {
            INACTIVE
                .finding(Status::Warn, &t.id, format!("test tenant `{}` is flagged is_test but not active", t.id))
                .with_evidence(json!(t))
                .with_remedy(format!("UPDATE {table} SET active = true WHERE id::text = {};", quote_literal(&t.id)))
        })
        .collect()
}

/// A test tenant lacks rows in some tenant-scoped tables.
pub static MISSING_DATA: Rule = Rule {
    check: CheckId::Tenants,
    code: "TEN003",
    name: "test-tenant-missing-data",
    title: "a test tenant has no rows in some tenant-scoped tables",
    checks: "For each active test tenant, with its tenant context set transaction-locally, counts its rows in every \
             tenant-scoped table (tables with the tenant column that the application role may SELECT).",
    why: "A tenant is provisioned end to end only when every tenant-scoped table has rows for it that the \
          application can see under its own tenant context.",
    remedy: "Seed the tenant with its context set: `BEGIN; SELECT set_config('app.current_tenant', '<id>', true); \
             INSERT …; COMMIT;` (or BRIDGE_TENANT_CONTEXT_SQL's statement); `bridge tenants provision --seed-sql \
             FILE` does this for the tenants it creates.",
    limits: "Only tables with the tenant column (BRIDGE_TENANT_COLUMN) count; data kept elsewhere (Pinecone \
             namespaces, object storage) is not looked at here (the capacity check sees namespaces).",
};

/// TEN003: one warning per active test tenant with no rows in some tenant-scoped table.
pub fn ten003_missing_data(ctx: &Ctx) -> Vec<Finding> {
    let missing = |t: &TestTenant| t.rows.iter().filter(|(_, n)| **n == 0).map(|(t, _)| t.clone()).collect::<Vec<_>>();
    ctx.tenants
        .iter()
        .filter(|t| t.active)
        .filter_map(|t| {
            let missing = missing(t);
            (!missing.is_empty()).then(|| {
                MISSING_DATA
                    .finding(
                        Status::Warn,
                        &t.id,
                        format!(
                            "test tenant `{}` has no rows visible under its own context in {}",
                            t.id,
                            missing.join(", ")
                        ),
                    )
                    .with_evidence(json!(t))
                    .with_remedy(format!(
                        "seed its data with the tenant context set: bridge tenants provision --seed-sql FILE (tenant `{}`)",
                        t.id
                    ))
            })
        })
        .collect()
}

/// All test tenants on one tier.
pub static ONE_TIER: Rule = Rule {
    check: CheckId::Tenants,
    code: "TEN004",
    name: "test-tenants-share-one-tier",
    title: "all test tenants are on the same tier",
    checks: "The distinct tiers of the test tenants provisioned end to end; expects at least two.",
    why: "Per-tenant customization usually differs by tier; test tenants on one tier cannot exercise it.",
    remedy: "`UPDATE tenants SET tier = 'pro' WHERE id::text = '<id>';` on one test tenant, or provision one more \
             with `bridge tenants provision`, which gives new tenants the tiers no test tenant uses yet.",
    limits: "Tiers are compared as text; it does not know which tiers the application really configures \
             differently.",
};

/// TEN004: the provisioned test tenants span two tiers or more (pass) or one (warn); nothing
/// when none is provisioned.
pub fn ten004_one_tier(ctx: &Ctx) -> Vec<Finding> {
    let provisioned = ctx.provisioned();
    let Some(last) = provisioned.last() else {
        return Vec::new();
    };
    let tiers: std::collections::BTreeSet<&str> = provisioned.iter().map(|t| t.tier.as_str()).collect();
    let detail = format!(
        "expected test tenants on at least 2 tiers, found {}: {}",
        tiers.len(),
        tiers.iter().copied().collect::<Vec<_>>().join(", ")
    );
    let table = &ctx.tenancy.table;
    let f = if tiers.len() < 2 {
        ONE_TIER.finding(Status::Warn, table, detail).with_remedy(format!(
            "UPDATE {} SET tier = 'pro' WHERE id::text = {};",
            ctx.tenancy.table_sql(),
            quote_literal(&last.id)
        ))
    } else {
        ONE_TIER.finding(Status::Pass, table, detail)
    };
    vec![f.with_evidence(json!({ "tiers": tiers }))]
}

/// No tenant-scoped tables visible.
pub static NO_TABLES: Rule = Rule {
    check: CheckId::Tenants,
    code: "TEN005",
    name: "no-tenant-scoped-tables",
    title: "no tenant-scoped tables visible to the application",
    checks: "Looks for ordinary and partitioned tables outside the system schemas that have the tenant column \
             (BRIDGE_TENANT_COLUMN, default tenant_id) and that the connected role may SELECT.",
    why: "Without a table that has the tenant column, no tenant can be shown to be provisioned end to end.",
    remedy: "Set BRIDGE_TENANT_COLUMN to the tenant column your tables use, or `GRANT SELECT ON <table> TO \
             <application role>;`.",
    limits: "Views and partitions do not count as tenant-scoped tables; tables tied to a tenant only through a join \
             (no tenant column of their own) are not found.",
};

/// TEN005: a warning when no tenant-scoped table is visible.
pub fn ten005_no_tables(ctx: &Ctx) -> Vec<Finding> {
    if !ctx.tables.is_empty() {
        return Vec::new();
    }
    let column = &ctx.tenancy.column;
    vec![NO_TABLES
        .finding(Status::Warn, column, format!("expected tables with column `{column}` visible to the application, found none"))
        .with_remedy("set BRIDGE_TENANT_COLUMN to the tenant column, or GRANT SELECT on the tenant-scoped tables to the application role")]
}
