//! Readiness check #4: at least three test tenants are provisioned end to end.
//!
//! **What it checks.** The tenants table has at least `min_test_tenants` (default 3) rows
//! flagged `is_test` that are active and that have rows in every tenant-scoped table, visible
//! through the application's own connection with the tenant context set transaction-locally
//! (`set_config('app.current_tenant', id, true)`), and that the test tenants differ in tier.
//!
//! **Why it matters.** Per-tenant customization (model choice, prompt templates) is tested by
//! switching configuration per tenant. With fewer than three tenants, or all on one tier, there
//! is nothing to compare: a change that leaks one tenant's configuration into another's, or
//! that only works for one tier, goes unseen.
//!
//! **Evidence.** Each test tenant's tier, active flag and per-table row counts.
//!
//! **Remedy.** `bridge tenants provision --count 3` creates the missing test tenants (with
//! `--seed-sql` to seed their data); `--dry-run` prints the SQL.
//!
//! Everything runs in one read-only transaction that is rolled back.

use crate::checks::skipped;
use crate::config::Config;
use crate::db::{self, quote_literal, quote_qualified};
use crate::finding::{Finding, Rule, Status};
use crate::report::{CheckId, CheckOutcome};
use crate::{Error, Result};
use serde_json::json;
use std::collections::BTreeMap;

/// Skipped: no database configured.
pub static SKIPPED: Rule = Rule {
    check: crate::report::CheckId::Tenants,
    code: "TEN000",
    name: "tenants-check-skipped",
    title: "test tenants not checked",
    checks: "",
    why: "Without DATABASE_URL the tenants table cannot be read, so the check is skipped with a warning.",
    remedy: "",
    limits: "",
};
/// Fewer test tenants than required.
pub static TOO_FEW: Rule = Rule {
    check: crate::report::CheckId::Tenants,
    code: "TEN001",
    name: "too-few-test-tenants",
    title: "fewer test tenants provisioned end to end than required",
    checks: "",
    why: "Per-tenant configuration needs at least three test tenants, each active and with data in every \
                tenant-scoped table, to show that one tenant's configuration never reaches another.",
    remedy: "",
    limits: "",
};
/// A test tenant is not active.
pub static INACTIVE: Rule = Rule {
    check: crate::report::CheckId::Tenants,
    code: "TEN002",
    name: "test-tenant-inactive",
    title: "a test tenant is flagged but not active",
    checks: "",
    why: "An inactive test tenant is skipped by the application, so tests against it prove nothing.",
    remedy: "",
    limits: "",
};
/// A test tenant lacks rows in some tenant-scoped tables.
pub static MISSING_DATA: Rule = Rule {
    check: crate::report::CheckId::Tenants,
    code: "TEN003",
    name: "test-tenant-missing-data",
    title: "a test tenant has no rows in some tenant-scoped tables",
    checks: "",
    why: "A tenant is provisioned end to end only when every tenant-scoped table has rows for it that the \
                application can see under its own tenant context.",
    remedy: "",
    limits: "",
};
/// All test tenants on one tier.
pub static ONE_TIER: Rule = Rule {
    check: crate::report::CheckId::Tenants,
    code: "TEN004",
    name: "test-tenants-share-one-tier",
    title: "all test tenants are on the same tier",
    checks: "",
    why: "Per-tenant customization usually differs by tier; test tenants on one tier cannot exercise it.",
    remedy: "",
    limits: "",
};
/// No tenant-scoped tables visible.
pub static NO_TABLES: Rule = Rule {
    check: crate::report::CheckId::Tenants,
    code: "TEN005",
    name: "no-tenant-scoped-tables",
    title: "no tenant-scoped tables visible to the application",
    checks: "",
    why: "Without a table that has the tenant column, no tenant can be shown to be provisioned end to end.",
    remedy: "",
    limits: "",
};

/// The rules of this check.
pub static RULES: [&Rule; 6] = [&SKIPPED, &TOO_FEW, &INACTIVE, &MISSING_DATA, &ONE_TIER, &NO_TABLES];

/// One test tenant as the check saw it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TestTenant {
    /// The tenant id, as text.
    pub id: String,
    /// The tier.
    pub tier: String,
    /// Whether it is active.
    pub active: bool,
    /// Rows visible under its own context, per tenant-scoped table (capped at 1000).
    pub rows: BTreeMap<String, i64>,
}

impl TestTenant {
    fn tables_without_rows(&self) -> Vec<&str> {
        self.rows.iter().filter(|(_, n)| **n == 0).map(|(t, _)| t.as_str()).collect()
    }
    fn provisioned(&self) -> bool {
        self.active && self.rows.values().all(|n| *n > 0)
    }
}

/// What the check learns about the tenants table.
#[derive(Debug, Clone)]
pub struct TenantsTable {
    /// Column name → type.
    pub columns: BTreeMap<String, String>,
    /// The SQL expression for "active".
    pub active_expr: String,
}

/// Reads the tenants table's columns; errors name what is missing and how to fix it.
pub async fn describe_tenants_table(client: &impl tokio_postgres::GenericClient, cfg: &Config) -> Result<TenantsTable> {
    let rows = client
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod)
               FROM pg_attribute a
              WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
            &[&cfg.tenants_table],
        )
        .await
        .map_err(|e| Error::query("reading the tenants table's columns", &e))?;
    if rows.is_empty() {
        return Err(Error::Config {
            what: format!("tenants table `{}` not found or not visible", cfg.tenants_table),
            fix:
                "create it (id, is_test, tier), grant SELECT on it to the application role, or set BRIDGE_TENANTS_TABLE"
                    .into(),
        });
    }
    let columns: BTreeMap<String, String> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    for needed in ["id", "is_test", "tier"] {
        if !columns.contains_key(needed) {
            return Err(Error::Config {
                what: format!("tenants table `{}` has no `{needed}` column", cfg.tenants_table),
                fix: match needed {
                    "is_test" => format!(
                        "ALTER TABLE {} ADD COLUMN is_test boolean NOT NULL DEFAULT false;",
                        quote_qualified(&cfg.tenants_table)
                    ),
                    "tier" => format!(
                        "ALTER TABLE {} ADD COLUMN tier text NOT NULL DEFAULT 'starter';",
                        quote_qualified(&cfg.tenants_table)
                    ),
                    _ => "point BRIDGE_TENANTS_TABLE at the table whose primary key is `id`".into(),
                },
            });
        }
    }
    let active_expr = if columns.get("active").map(String::as_str) == Some("boolean") {
        "active".to_string()
    } else if columns.contains_key("status") {
        "(status::text = 'active')".to_string()
    } else {
        "true".to_string()
    };
    Ok(TenantsTable { columns, active_expr })
}

/// Tenant-scoped tables: ordinary and partitioned tables (not partitions) outside the system
/// schemas that have the tenant column and that the connected role may SELECT.
pub async fn tenant_scoped_tables(client: &impl tokio_postgres::GenericClient, cfg: &Config) -> Result<Vec<String>> {
    let rows = client
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname)
               FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $1 AND NOT a.attisdropped
              WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
                AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
                AND c.oid IS DISTINCT FROM to_regclass($2)
                AND has_table_privilege(c.oid, 'SELECT')
              ORDER BY 1",
            &[&cfg.tenant_column, &cfg.tenants_table],
        )
        .await
        .map_err(|e| Error::query("discovering tenant-scoped tables", &e))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Runs the check.
pub async fn run(cfg: &Config) -> Result<CheckOutcome> {
    let Some(target) = &cfg.database else {
        return Ok(skipped(
            CheckId::Tenants,
            &SKIPPED,
            "DATABASE_URL is not set",
            "set DATABASE_URL to the application's connection string, or run with --demo",
        ));
    };
    let mut client = db::connect(target).await?;
    let tx = db::read_only(&mut client).await?;
    let table = describe_tenants_table(&tx, cfg).await?;
    let tables = tenant_scoped_tables(&tx, cfg).await?;
    let sql = format!(
        "SELECT id::text, tier::text, coalesce({}, false) FROM {} WHERE is_test ORDER BY id::text",
        table.active_expr,
        quote_qualified(&cfg.tenants_table)
    );
    let rows = tx.query(&sql, &[]).await.map_err(|e| Error::query("listing test tenants", &e))?;
    let mut tenants: Vec<TestTenant> = rows
        .iter()
        .map(|r| TestTenant { id: r.get(0), tier: r.get(1), active: r.get(2), rows: BTreeMap::new() })
        .collect();

    if !tables.is_empty() {
        let count_sql = tables
            .iter()
            .map(|t| {
                format!(
                    "SELECT {lit}::text, (SELECT count(*) FROM (SELECT 1 FROM {t} WHERE {col}::text = $1 LIMIT 1000) s)",
                    lit = quote_literal(t),
                    col = db::quote_ident(&cfg.tenant_column)
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let stmt = tx.prepare(&count_sql).await.map_err(|e| Error::query("preparing the per-tenant row counts", &e))?;
        for t in &mut tenants {
            db::set_tenant(&tx, cfg, &t.id).await?;
            for r in tx
                .query(&stmt, &[&t.id])
                .await
                .map_err(|e| Error::query(format!("counting rows of tenant {}", t.id), &e))?
            {
                t.rows.insert(r.get(0), r.get(1));
            }
        }
    }
    tx.rollback().await.map_err(|e| Error::query("rolling back", &e))?;

    let findings = evaluate(cfg, &tables, &tenants);
    Ok(CheckOutcome::from_findings(CheckId::Tenants, findings)
        .with_data(json!({ "tables": tables, "test_tenants": tenants })))
}

/// Turns what was read into findings (pure, so each rule is unit-tested without a database).
pub fn evaluate(cfg: &Config, tables: &[String], tenants: &[TestTenant]) -> Vec<Finding> {
    let mut out = Vec::new();
    let table = quote_qualified(&cfg.tenants_table);
    if tables.is_empty() {
        out.push(
            NO_TABLES
                .finding(Status::Warn, &cfg.tenant_column, format!("expected tables with column `{}` visible to the application, found none", cfg.tenant_column))
                .with_remedy("set BRIDGE_TENANT_COLUMN to the tenant column, or GRANT SELECT on the tenant-scoped tables to the application role"),
        );
    }
    for t in tenants.iter().filter(|t| !t.active) {
        out.push(
            INACTIVE
                .finding(Status::Warn, &t.id, format!("test tenant `{}` is flagged is_test but not active", t.id))
                .with_evidence(json!(t))
                .with_remedy(format!("UPDATE {table} SET active = true WHERE id::text = {};", quote_literal(&t.id))),
        );
    }
    for t in tenants.iter().filter(|t| t.active) {
        let missing = t.tables_without_rows();
        if !missing.is_empty() {
            out.push(
                MISSING_DATA
                    .finding(
                        Status::Warn,
                        &t.id,
                        format!("test tenant `{}` has no rows visible under its own context in {}", t.id, missing.join(", ")),
                    )
                    .with_evidence(json!(t))
                    .with_remedy(format!("seed its data with the tenant context set: bridge tenants provision --seed-sql FILE (tenant `{}`)", t.id)),
            );
        }
    }
    let provisioned: Vec<&TestTenant> = tenants.iter().filter(|t| t.provisioned()).collect();
    let names = provisioned.iter().map(|t| format!("{} ({})", t.id, t.tier)).collect::<Vec<_>>().join(", ");
    let evidence =
        json!({ "required": cfg.min_test_tenants, "provisioned": provisioned, "flagged_test": tenants.len() });
    if provisioned.len() < cfg.min_test_tenants {
        out.push(
            TOO_FEW
                .finding(
                    Status::Fail,
                    &cfg.tenants_table,
                    format!(
                        "expected at least {} test tenants provisioned end to end, found {}{}",
                        cfg.min_test_tenants,
                        provisioned.len(),
                        if names.is_empty() { String::new() } else { format!(": {names}") }
                    ),
                )
                .with_evidence(evidence)
                .with_remedy(format!(
                    "bridge tenants provision --count {} --seed-sql data/demo/seed_tenant.sql",
                    cfg.min_test_tenants
                )),
        );
    } else {
        out.push(
            TOO_FEW
                .finding(
                    Status::Pass,
                    &cfg.tenants_table,
                    format!("{} test tenants provisioned end to end: {names}", provisioned.len()),
                )
                .with_evidence(evidence),
        );
    }
    let tiers: std::collections::BTreeSet<&str> = provisioned.iter().map(|t| t.tier.as_str()).collect();
    if !provisioned.is_empty() {
        let detail = format!(
            "expected test tenants on at least 2 tiers, found {}: {}",
            tiers.len(),
            tiers.iter().copied().collect::<Vec<_>>().join(", ")
        );
        let f = if tiers.len() < 2 {
            ONE_TIER.finding(Status::Warn, &cfg.tenants_table, detail).with_remedy(format!(
                "UPDATE {table} SET tier = 'pro' WHERE id::text = {};",
                quote_literal(&provisioned[provisioned.len() - 1].id)
            ))
        } else {
            ONE_TIER.finding(Status::Pass, &cfg.tenants_table, detail)
        };
        out.push(f.with_evidence(json!({ "tiers": tiers })));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(id: &str, tier: &str, active: bool, rows: &[(&str, i64)]) -> TestTenant {
        TestTenant {
            id: id.into(),
            tier: tier.into(),
            active,
            rows: rows.iter().map(|(t, n)| (t.to_string(), *n)).collect(),
        }
    }

    fn status_of(fs: &[Finding], code: &str) -> Vec<Status> {
        fs.iter().filter(|f| f.code == code).map(|f| f.status).collect()
    }

    #[test]
    fn three_provisioned_on_different_tiers_pass() {
        let cfg = Config::default();
        let t = ["public.documents".to_string()];
        let fs = evaluate(
            &cfg,
            &t,
            &[
                tenant("a", "starter", true, &[("public.documents", 3)]),
                tenant("b", "pro", true, &[("public.documents", 1)]),
                tenant("c", "pro", true, &[("public.documents", 2)]),
            ],
        );
        assert!(fs.iter().all(|f| f.status == Status::Pass), "{fs:#?}");
    }

    #[test]
    fn too_few_fails_and_one_tier_warns() {
        let cfg = Config::default();
        let t = ["public.documents".to_string()];
        let fs = evaluate(
            &cfg,
            &t,
            &[
                tenant("a", "starter", true, &[("public.documents", 3)]),
                tenant("b", "starter", true, &[("public.documents", 1)]),
                tenant("c", "pro", false, &[("public.documents", 1)]),
                tenant("d", "pro", true, &[("public.documents", 0)]),
            ],
        );
        assert_eq!(status_of(&fs, "TEN001"), vec![Status::Fail]);
        assert_eq!(status_of(&fs, "TEN002"), vec![Status::Warn]);
        assert_eq!(status_of(&fs, "TEN003"), vec![Status::Warn]);
        assert_eq!(status_of(&fs, "TEN004"), vec![Status::Warn]);
        let too_few = fs.iter().find(|f| f.code == "TEN001").unwrap();
        assert!(
            too_few.detail.contains("expected at least 3") && too_few.detail.contains("found 2"),
            "{}",
            too_few.detail
        );
        assert!(too_few.remedy.as_deref().unwrap().contains("bridge tenants provision --count 3"));
    }

    #[test]
    fn no_tables_warns() {
        let fs = evaluate(&Config::default(), &[], &[]);
        assert_eq!(status_of(&fs, "TEN005"), vec![Status::Warn]);
        assert_eq!(status_of(&fs, "TEN001"), vec![Status::Fail]);
    }
}
