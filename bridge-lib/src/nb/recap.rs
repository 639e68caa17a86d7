//! The recap of what M11.1 shipped, read from the live environment rather than told: the
//! tenants, the tenant-scoped tables with their row-level security, the policies, and what each
//! tenant sees of its own data (its Pinecone namespace, as the index names it, is in
//! [`super::Env::namespaces`]).
//!
//! Everything is read on the application's connection in a read-only transaction, each
//! tenant's rows under its own tenant context, as the application would.

use crate::config::Config;
use crate::render::html::{badge, esc, warning};
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::fmt::Write;

/// One tenant and the rows it sees under its own context.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TenantRow {
    /// The tenant id.
    pub id: String,
    /// The tier.
    pub tier: String,
    /// A test tenant.
    pub is_test: bool,
    /// Active.
    pub active: bool,
    /// Rows visible under its own context, per tenant-scoped table.
    pub rows: BTreeMap<String, i64>,
}

/// One tenant-scoped table and its row-level security.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableRls {
    /// `schema.table`.
    pub table: String,
    /// The owner role.
    pub owner: String,
    /// `ENABLE ROW LEVEL SECURITY`.
    pub enabled: bool,
    /// `FORCE ROW LEVEL SECURITY` (applies to the owner too).
    pub forced: bool,
    /// The policies on it: `name (roles, command): USING … WITH CHECK …`.
    pub policies: Vec<String>,
}

/// What the recap shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Recap {
    /// Where it was read (redacted).
    pub database: String,
    /// The role it was read as.
    pub role: String,
    /// Every tenant.
    pub tenants: Vec<TenantRow>,
    /// The tenant-scoped tables.
    pub tables: Vec<TableRls>,
}

/// Reads the recap.
pub async fn gather(cfg: &Config) -> Result<Recap> {
    let target = cfg.database.as_ref().ok_or_else(|| {
        Error::config("DATABASE_URL is not set", "set it to the application's connection, or use the demo")
    })?;
    let mut client = crate::db::connect(target).await?;
    let tx = crate::db::read_only(&mut client).await?;
    let q = |e: tokio_postgres::Error, what: &str| Error::query(what, &e);
    let role: String =
        tx.query_one("SELECT current_user::text", &[]).await.map_err(|e| q(e, "reading the role"))?.get(0);
    let scoped = crate::tenant::scoped_tables(&tx, &cfg.tenancy).await?;

    let rows = tx
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname), pg_get_userbyid(c.relowner)::text,
                    c.relrowsecurity, c.relforcerowsecurity,
                    coalesce((SELECT array_agg(format('%s (%s, %s %s): USING %s WITH CHECK %s', p.policyname,
                                                      array_to_string(p.roles, ','), p.permissive, p.cmd,
                                                      coalesce(p.qual, '(none)'), coalesce(p.with_check, '(the USING expression)'))
                                               ORDER BY p.policyname)
                                FROM pg_policies p
                               WHERE p.schemaname = n.nspname AND p.tablename = c.relname), '{}')
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE format('%I.%I', n.nspname, c.relname) = ANY($1)
              ORDER BY 1",
            &[&scoped],
        )
        .await
        .map_err(|e| q(e, "reading the tables' row-level security"))?;
    let tables = rows
        .iter()
        .map(|r| TableRls { table: r.get(0), owner: r.get(1), enabled: r.get(2), forced: r.get(3), policies: r.get(4) })
        .collect();

    let mut listed = crate::tenant::list(&tx, &cfg.tenancy).await?;
    listed.sort_by_key(|t| t.is_test); // stable: other tenants first, each group by id
    let mut tenants: Vec<TenantRow> = listed
        .into_iter()
        .map(|t| TenantRow { id: t.id, tier: t.tier, is_test: t.is_test, active: t.active, rows: BTreeMap::new() })
        .collect();
    for t in &mut tenants {
        cfg.tenancy.context.set(&tx, &t.id).await?;
        for s in &scoped {
            let sql = format!("SELECT count(*) FROM {s} WHERE {}::text = $1", cfg.tenancy.column_sql());
            let n: i64 = tx
                .query_one(&sql, &[&t.id])
                .await
                .map_err(|e| q(e, &format!("counting {s} rows of tenant {}", t.id)))?
                .get(0);
            t.rows.insert(s.clone(), n);
        }
    }
    tx.rollback().await.map_err(|e| q(e, "rolling back"))?;
    Ok(Recap { database: target.redacted(), role, tenants, tables })
}

/// The recap as HTML: the tenants (with their namespace and rows), then the tables and policies.
pub fn html(r: &Recap) -> String {
    let mut h = format!(
        "<p>read from <code>{}</code> as role <code>{}</code>, each tenant under its own tenant context</p>",
        esc(&r.database),
        esc(&r.role)
    );
    let tables: Vec<&str> = r.tables.iter().map(|t| t.table.as_str()).collect();
    h.push_str("<table><thead><tr><th style=\"text-align:left\">tenant</th><th style=\"text-align:left\">tier</th><th>test</th><th>active</th>");
    for t in &tables {
        let _ = write!(h, "<th>rows in {}</th>", esc(t));
    }
    h.push_str("</tr></thead><tbody>");
    for t in &r.tenants {
        let _ = write!(
            h,
            "<tr><td style=\"text-align:left\">{}</td><td style=\"text-align:left\">{}</td><td>{}</td><td>{}</td>",
            esc(&t.id),
            esc(&t.tier),
            if t.is_test { "yes" } else { "" },
            if t.active { "yes" } else { "no" }
        );
        for table in &tables {
            let _ = write!(h, "<td>{}</td>", t.rows.get(*table).copied().unwrap_or_default());
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>");
    h.push_str(&tables_html(r));
    h
}

/// Each tenant-scoped table with its owner, ENABLE/FORCE and its policies (USING and WITH
/// CHECK). FORCE matters only when the application role owns the table (RLS005), so it is red
/// only then.
pub fn tables_html(r: &Recap) -> String {
    if r.tables.is_empty() {
        return warning("no tenant-scoped tables are visible to the application role");
    }
    let mut h = String::new();
    h.push_str("<table><thead><tr><th style=\"text-align:left\">tenant-scoped table</th><th style=\"text-align:left\">owner</th><th>RLS enabled</th><th>RLS forced</th><th style=\"text-align:left\">policies</th></tr></thead><tbody>");
    for t in &r.tables {
        let flag = |on: bool| badge(if on { "pass" } else { "fail" });
        let _ = write!(
            h,
            "<tr><td style=\"text-align:left\">{}</td><td style=\"text-align:left\">{}</td><td>{}</td><td>{}</td><td style=\"text-align:left\"><code>{}</code></td></tr>",
            esc(&t.table),
            esc(&t.owner),
            flag(t.enabled),
            if t.forced || t.owner != r.role { badge(if t.forced { "pass" } else { "skip" }) } else { flag(false) },
            t.policies.iter().map(|p| esc(p)).collect::<Vec<_>>().join("<br>")
        );
    }
    h.push_str("</tbody></table>");
    h
}
