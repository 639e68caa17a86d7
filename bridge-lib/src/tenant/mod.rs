//! One home for tenants: where they live (the tenants table, the tenant column of
//! tenant-scoped tables), how the tenant context is set ([`TenantContext`]), and reading the
//! tenants table for every caller: each check, the recap, the call-forward preview and
//! provisioning ([`describe`], [`list`], [`ids`], [`scoped_tables`]).

mod context;
mod each;
mod table;

pub use context::TenantContext;
pub use each::{query_each_tenant, rls_applies, ReadAs};
pub use table::{describe, ids, list, scoped_tables, Tenant, TenantsTable};

use crate::db::{quote_ident, quote_qualified};
use crate::setting::{self, Lookup};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Where tenants live and how the tenant context is set: one field and one line of
/// [`Tenancy::from_lookup`] each (the default included), plus its README line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenancy {
    /// The tenants table (`BRIDGE_TENANTS_TABLE`, default `tenants`) with `id`, `is_test`, `tier`.
    pub table: String,
    /// The tenant column of tenant-scoped tables (`BRIDGE_TENANT_COLUMN`, default `tenant_id`).
    pub column: String,
    /// The setting and statement that carry the tenant context.
    pub context: TenantContext,
}

impl Default for Tenancy {
    fn default() -> Self {
        Self::from_lookup(&setting::nothing_set).expect("the defaults parse")
    }
}

impl Tenancy {
    /// Reads `BRIDGE_TENANTS_TABLE`, `BRIDGE_TENANT_COLUMN`, `BRIDGE_TENANT_SETTING` and
    /// `BRIDGE_TENANT_CONTEXT_SQL`; an unset one takes its default.
    pub fn from_lookup(get: Lookup) -> Result<Self> {
        let setting = setting::or(get, "BRIDGE_TENANT_SETTING", TenantContext::default().setting, |v| {
            if v.contains('.') {
                Ok(v.to_string())
            } else {
                Err(Error::config(
                    format!("BRIDGE_TENANT_SETTING `{v}` is not a custom setting name"),
                    "use a dotted name such as app.current_tenant",
                ))
            }
        })?;
        let template = get("BRIDGE_TENANT_CONTEXT_SQL")
            .map(|sql| {
                if sql.contains("{tenant}") {
                    context::check_template(&sql).map(|_| sql)
                } else {
                    Err(Error::config(
                        "BRIDGE_TENANT_CONTEXT_SQL has no {tenant} placeholder",
                        "write the statement the application runs, e.g. SELECT set_config('app.current_tenant', {tenant}, true)",
                    ))
                }
            })
            .transpose()?;
        Ok(Tenancy {
            table: setting::table_name(get, "BRIDGE_TENANTS_TABLE", "tenants")?,
            column: setting::name(get, "BRIDGE_TENANT_COLUMN", "tenant_id")?,
            context: TenantContext { setting, template },
        })
    }

    /// The tenants table, quoted for SQL.
    pub fn table_sql(&self) -> String {
        quote_qualified(&self.table)
    }

    /// The tenant column, quoted for SQL.
    pub fn column_sql(&self) -> String {
        quote_ident(&self.column)
    }

    /// The predicate of a fail-closed tenant policy: `"<column>" = current_setting('<setting>', true)`.
    pub fn policy_predicate(&self) -> String {
        format!("{} = {}", self.column_sql(), self.context.read_expr())
    }

    /// The remedy for a policy that lets rows through with no tenant context.
    pub fn fail_closed_remedy(&self) -> String {
        format!("make the policy fail closed: USING ({}), without `IS NULL OR` or a default", self.policy_predicate())
    }

    /// The remedy for a namespace without a tenant: add the tenant's row.
    pub fn add_tenant_remedy(&self, id_sql: &str, name_sql: &str) -> String {
        format!("INSERT INTO {} (id, name, tier) VALUES ({id_sql}, {name_sql}, 'starter');", self.table_sql())
    }
}
