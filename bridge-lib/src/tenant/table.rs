//! Reading the tenants table: which columns it has, its tenants as one [`Tenant`] type, and the
//! tenant-scoped tables beside it. Every caller reads tenants through here.

use super::Tenancy;
use crate::{Error, Result};
use std::collections::BTreeMap;
use tokio_postgres::GenericClient;

/// A tenant as the tenants table has it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tenant {
    /// The tenant id, as text.
    pub id: String,
    /// Its tier.
    pub tier: String,
    /// A test tenant (`is_test`; NULL counts as false).
    pub is_test: bool,
    /// Active: the `active` boolean column, else `status = 'active'`, else true (NULL counts
    /// as inactive).
    pub active: bool,
}

/// What the tenants table looks like.
#[derive(Debug, Clone)]
pub struct TenantsTable {
    /// The table, quoted for SQL.
    pub name_sql: String,
    /// Column name → type.
    pub columns: BTreeMap<String, String>,
    /// The SQL expression for "active".
    pub active_expr: String,
}

impl TenantsTable {
    /// The column that marks a tenant active and the SQL value that does it: `active = true`
    /// or `status = 'active'`; `None` when the table has neither.
    pub fn active_column(&self) -> Option<(&'static str, &'static str)> {
        if self.columns.get("active").map(String::as_str) == Some("boolean") {
            Some(("active", "true"))
        } else if self.columns.contains_key("status") {
            Some(("status", "'active'"))
        } else {
            None
        }
    }

    /// Every tenant, ordered by id (as text).
    pub async fn list(&self, client: &impl GenericClient) -> Result<Vec<Tenant>> {
        let sql = format!(
            "SELECT id::text, tier::text, coalesce(is_test, false), coalesce({}, false) FROM {} ORDER BY id::text",
            self.active_expr, self.name_sql
        );
        let rows = client.query(&sql, &[]).await.map_err(|e| Error::query("listing tenants", &e))?;
        Ok(rows.iter().map(|r| Tenant { id: r.get(0), tier: r.get(1), is_test: r.get(2), active: r.get(3) }).collect())
    }
}

/// Reads the tenants table's columns; errors name what is missing and how to fix it.
pub async fn describe(client: &impl GenericClient, t: &Tenancy) -> Result<TenantsTable> {
    let rows = client
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod)
               FROM pg_attribute a
              WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
            &[&t.table],
        )
        .await
        .map_err(|e| Error::query("reading the tenants table's columns", &e))?;
    if rows.is_empty() {
        return Err(Error::Config {
            what: format!("tenants table `{}` not found or not visible", t.table),
            fix:
                "create it (id, is_test, tier), grant SELECT on it to the application role, or set BRIDGE_TENANTS_TABLE"
                    .into(),
        });
    }
    let columns: BTreeMap<String, String> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    for needed in ["id", "is_test", "tier"] {
        if !columns.contains_key(needed) {
            return Err(Error::Config {
                what: format!("tenants table `{}` has no `{needed}` column", t.table),
                fix: match needed {
                    "is_test" => {
                        format!("ALTER TABLE {} ADD COLUMN is_test boolean NOT NULL DEFAULT false;", t.table_sql())
                    }
                    "tier" => format!("ALTER TABLE {} ADD COLUMN tier text NOT NULL DEFAULT 'starter';", t.table_sql()),
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
    Ok(TenantsTable { name_sql: t.table_sql(), columns, active_expr })
}

/// Every tenant, ordered by id (as text): [`describe`], then [`TenantsTable::list`].
pub async fn list(client: &impl GenericClient, t: &Tenancy) -> Result<Vec<Tenant>> {
    describe(client, t).await?.list(client).await
}

/// Every tenant id, ordered (as text), without asking for the other columns.
pub async fn ids(client: &impl GenericClient, t: &Tenancy) -> Result<Vec<String>> {
    let sql = format!("SELECT id::text FROM {} ORDER BY 1", t.table_sql());
    let rows = client.query(&sql, &[]).await.map_err(|e| Error::query("listing tenants", &e))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Tenant-scoped tables: ordinary and partitioned tables (not partitions) outside the system
/// schemas that have the tenant column and that the connected role may SELECT.
pub async fn scoped_tables(client: &impl GenericClient, t: &Tenancy) -> Result<Vec<String>> {
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
            &[&t.column, &t.table],
        )
        .await
        .map_err(|e| Error::query("discovering tenant-scoped tables", &e))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
