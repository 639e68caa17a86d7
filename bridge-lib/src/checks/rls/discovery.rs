//! Where tenant data lives beyond the tenant column's name: the SQL that finds each relation's
//! tenant key (a configured tenant column name, or a column with a foreign key to the tenants
//! table), and the tables with no tenant key that receive copies of tenant rows through
//! triggers. Shared by the catalog queries, which all take `$1` = the tenant column names
//! (`text[]`) and `$2` = the tenants table.

use serde::Serialize;

/// Schemas never audited.
pub const SYSTEM_SCHEMAS: &str =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'";

/// The CTE `tk(oid, attnum, key, how)`: every user relation with a tenant key, one row each.
/// A configured column name wins (in the configured order); otherwise the column of a foreign
/// key to the tenants table (the one that references its primary key). The tenants table
/// itself is never tenant data by its own foreign keys (a `parent_id` to itself).
pub fn tenant_keys_cte() -> String {
    format!(
        "tk AS (
       SELECT DISTINCT ON (c.oid) c.oid, k.attnum, k.attname::text AS key, k.how
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         CROSS JOIN LATERAL (
           SELECT a.attnum, a.attname, 'tenant column'::text AS how, array_position($1::text[], a.attname::text) AS rank
             FROM pg_attribute a
            WHERE a.attrelid = c.oid AND a.attname::text = ANY ($1::text[]) AND a.attnum > 0 AND NOT a.attisdropped
           UNION ALL
           SELECT a.attnum, a.attname, 'foreign key to the tenants table', 2147483647
             FROM pg_constraint con
             JOIN pg_attribute a ON a.attrelid = con.conrelid
              AND a.attnum = con.conkey[coalesce(array_position(con.confkey,
                    (SELECT i.indkey[0] FROM pg_index i WHERE i.indrelid = con.confrelid AND i.indisprimary)), 1)]
            WHERE con.conrelid = c.oid AND con.contype = 'f' AND con.confrelid = to_regclass($2::text)
              AND con.confrelid <> c.oid
         ) k
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {SYSTEM_SCHEMAS}
        ORDER BY c.oid, k.rank, k.attnum)"
    )
}

/// A table with no tenant key that a trigger on a tenant table fills with copies of tenant
/// rows (an audit or history table), and that the application can read.
#[derive(Debug, Clone, Serialize, Default)]
pub struct TenantCopy {
    /// The table that receives the copies, `schema.name`.
    pub table: String,
    /// The triggers that fill it: `trigger on schema.table (function)`.
    pub triggers: Vec<String>,
    /// The tenant keys of the tables the triggers are on (the JSON key a row image carries).
    pub source_keys: Vec<String>,
    /// Its `json`/`jsonb` columns the application can read (where row images usually go).
    pub image_columns: Vec<String>,
    /// ENABLE ROW LEVEL SECURITY.
    pub rls: bool,
    /// FORCE ROW LEVEL SECURITY.
    pub force: bool,
    /// Its owner.
    pub owner: String,
    /// The application role has the owner's privileges.
    pub app_has_owner_privs: bool,
    /// A permissive SELECT (or ALL) policy applies to the application.
    pub open_for_app: bool,
    /// A SELECT (or ALL) policy for the application reads the tenant setting.
    pub reads_context: bool,
}

impl TenantCopy {
    /// One row of [`copies_sql`].
    pub fn from_row(r: &tokio_postgres::Row) -> Self {
        TenantCopy {
            table: r.get(0),
            triggers: r.get(1),
            source_keys: r.get(2),
            image_columns: r.get(3),
            rls: r.get(4),
            force: r.get(5),
            owner: r.get(6),
            app_has_owner_privs: r.get(7),
            open_for_app: r.get(8),
            reads_context: r.get(9),
        }
    }

    /// The SQL expression for the tenant key a row image carries, or `NULL` when it has no
    /// JSON column: `coalesce("row_data"->>'tenant_id', …)`.
    pub fn image_key_expr(&self) -> String {
        let parts: Vec<String> = self
            .image_columns
            .iter()
            .flat_map(|c| {
                self.source_keys
                    .iter()
                    .map(move |k| format!("({}->>{})", crate::db::quote_ident(c), crate::db::quote_literal(k)))
            })
            .collect();
        if parts.is_empty() {
            "NULL::text".into()
        } else {
            format!("coalesce({})", parts.join(", "))
        }
    }

    /// Row level security applies to the application here with a policy that reads the tenant
    /// context (or none that opens it: deny-all).
    pub fn protected(&self) -> bool {
        let bypassed = self.app_has_owner_privs && !self.force;
        let scoped = self.reads_context || !self.open_for_app;
        self.rls && !bypassed && scoped
    }
}

/// Tables with no tenant key that triggers on tenant tables write to, readable by the app
/// (`$3` = the tenant setting). Targets are read from the trigger function: the relations a
/// SQL-standard body depends on (`pg_depend`), and `INSERT INTO name` in its source, resolved
/// with the application's search_path.
pub fn copies_sql() -> String {
    format!(
        "WITH {tk},
     trig AS (
       SELECT tg.tgname::text AS tgname, tg.tgrelid, tk.key, p.oid AS fn, p.oid::regprocedure::text AS fname, p.prosrc
         FROM pg_trigger tg JOIN tk ON tk.oid = tg.tgrelid JOIN pg_proc p ON p.oid = tg.tgfoid
        WHERE NOT tg.tgisinternal),
     target AS (
       SELECT trig.*, d.refobjid AS dst FROM trig
         JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = trig.fn AND d.refclassid = 'pg_class'::regclass
       UNION
       SELECT trig.*, to_regclass(m[1]) FROM trig,
              regexp_matches(trig.prosrc, 'insert\\s+into\\s+((?:\"[^\"]+\"|[a-z_][a-z0-9_$]*)(?:\\.(?:\"[^\"]+\"|[a-z_][a-z0-9_$]*))?)', 'gi') m)
     SELECT format('%I.%I', n.nspname, c.relname),
            array_agg(DISTINCT format('%s on %s (%s)', t.tgname, t.tgrelid::regclass::text, t.fname)),
            array_agg(DISTINCT t.key),
            coalesce((SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
                       WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                         AND a.atttypid IN ('json'::regtype, 'jsonb'::regtype)
                         AND has_column_privilege(c.oid, a.attnum, 'SELECT')), '{{}}'),
            c.relrowsecurity, c.relforcerowsecurity, o.rolname::text, pg_has_role(current_user, c.relowner, 'USAGE'),
            EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polpermissive AND p.polcmd IN ('r', '*')
                      AND (p.polroles = '{{0}}' OR EXISTS (SELECT 1 FROM unnest(p.polroles) r WHERE pg_has_role(current_user, r, 'USAGE')))),
            EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polcmd IN ('r', '*')
                      AND (p.polroles = '{{0}}' OR EXISTS (SELECT 1 FROM unnest(p.polroles) r WHERE pg_has_role(current_user, r, 'USAGE')))
                      AND strpos(pg_get_expr(p.polqual, p.polrelid), $3::text) > 0)
       FROM target t
       JOIN pg_class c ON c.oid = t.dst AND c.oid <> t.tgrelid AND c.relkind IN ('r', 'p')
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_roles o ON o.oid = c.relowner
      WHERE NOT EXISTS (SELECT 1 FROM tk WHERE tk.oid = c.oid) AND {SYSTEM_SCHEMAS}
        AND has_any_column_privilege(c.oid, 'SELECT')
      GROUP BY c.oid, n.nspname, c.relname, o.rolname
      ORDER BY 1",
        tk = tenant_keys_cte()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_key_expr_reads_each_json_column_for_each_key() {
        let c = TenantCopy {
            image_columns: vec!["row_data".into(), "old".into()],
            source_keys: vec!["tenant_id".into()],
            ..Default::default()
        };
        assert_eq!(c.image_key_expr(), "coalesce((\"row_data\"->>'tenant_id'), (\"old\"->>'tenant_id'))");
        assert_eq!(TenantCopy::default().image_key_expr(), "NULL::text");
    }

    #[test]
    fn a_copy_is_protected_only_by_rls_that_reads_the_context() {
        let on = TenantCopy { rls: true, force: true, open_for_app: true, reads_context: true, ..Default::default() };
        assert!(on.protected());
        assert!(TenantCopy { rls: true, ..Default::default() }.protected(), "RLS on, no policy: deny-all");
        assert!(!TenantCopy { rls: false, ..on.clone() }.protected());
        assert!(!TenantCopy { reads_context: false, ..on.clone() }.protected());
        assert!(!TenantCopy { force: false, app_has_owner_privs: true, ..on }.protected());
    }
}
