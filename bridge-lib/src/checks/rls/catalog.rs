//! Static facts about the application role and the tenant relations, read from the catalog in
//! a handful of queries sent together (pipelined), never one round trip per table.

pub use super::discovery::TenantCopy;
use super::discovery::{copies_sql, tenant_keys_cte, SYSTEM_SCHEMAS};
use crate::config::Config;
use crate::{Error, Result};
use serde::Serialize;
use tokio_postgres::Client;

/// The role the application connects as.
#[derive(Debug, Clone, Serialize, Default)]
pub struct AppRole {
    /// `current_user`.
    pub name: String,
    /// Superuser.
    pub superuser: bool,
    /// BYPASSRLS.
    pub bypassrls: bool,
    /// Superuser or BYPASSRLS roles it is a member of (can become with SET ROLE or inherits).
    pub bypassing_memberships: Vec<String>,
}

impl AppRole {
    /// The role as the check's data shows it.
    pub fn data(&self) -> crate::report::data::AppRoleData {
        crate::report::data::AppRoleData {
            name: self.name.clone(),
            superuser: self.superuser,
            bypassrls: self.bypassrls,
            bypassing_memberships: self.bypassing_memberships.clone(),
        }
    }

    /// True when every RLS probe would pass vacuously.
    pub fn bypasses(&self) -> bool {
        self.superuser || self.bypassrls
    }
}

/// A relation (table, partitioned table, view, materialized view, foreign table) that has a
/// tenant key and that the application role can reach (a privilege on the relation or on any of
/// its columns, its own or inherited).
#[derive(Debug, Clone, Serialize, Default)]
pub struct Relation {
    /// `schema.name`, quoted where needed.
    pub name: String,
    /// The bare relation name (for matching function bodies).
    pub relname: String,
    /// `r`, `p`, `v`, `m` or `f`.
    pub kind: String,
    /// ENABLE ROW LEVEL SECURITY.
    pub rls: bool,
    /// FORCE ROW LEVEL SECURITY.
    pub force: bool,
    /// The owner.
    pub owner: String,
    /// The app role has the owner's privileges (inherits them, or is the owner).
    pub app_has_owner_privs: bool,
    /// The app role can become the owner with SET ROLE.
    pub app_can_become_owner: bool,
    /// The owner is a superuser or has BYPASSRLS.
    pub owner_bypasses: bool,
    /// Privileges of the app role: SELECT on the relation or on any of its columns.
    pub select: bool,
    /// INSERT privilege (on the relation or any column).
    pub insert: bool,
    /// UPDATE privilege (on the relation or any column).
    pub update: bool,
    /// DELETE privilege.
    pub delete: bool,
    /// TRUNCATE privilege.
    pub truncate: bool,
    /// The parent, for partitions and inheritance children.
    pub parent: Option<String>,
    /// `security_invoker` set (views).
    pub security_invoker: bool,
    /// Number of policies on it.
    pub policies: i64,
    /// The column that tells tenants apart (empty: the configured tenant column).
    pub tenant_key: String,
    /// How it was found: `tenant column` or `foreign key to the tenants table`.
    pub found_by: String,
    /// The app role can SELECT the tenant key column (the live probe needs it).
    pub key_readable: bool,
    /// Some privileges come from column-level grants only (`GRANT SELECT (col, …)`).
    pub column_grants: bool,
}

impl Relation {
    /// A table that row-level security can apply to.
    pub fn is_table(&self) -> bool {
        self.kind == "r" || self.kind == "p"
    }

    /// Human word for the kind.
    pub fn kind_word(&self) -> &'static str {
        match self.kind.as_str() {
            "r" => "table",
            "p" => "partitioned table",
            "v" => "view",
            "m" => "materialized view",
            "f" => "foreign table",
            _ => "relation",
        }
    }

    /// The tenant key column: `tenant_key`, or the configured tenant column when unknown.
    pub fn key<'a>(&'a self, cfg: &'a Config) -> &'a str {
        if self.tenant_key.is_empty() {
            &cfg.tenancy.column
        } else {
            &self.tenant_key
        }
    }

    /// The app role bypasses this table's policies because it has the owner's privileges and
    /// the table is not FORCEd.
    pub fn owner_bypass(&self) -> bool {
        self.is_table() && self.rls && !self.force && self.app_has_owner_privs
    }
}

/// A policy on a tenant table.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Policy {
    /// The table.
    pub table: String,
    /// The policy name.
    pub name: String,
    /// Permissive (OR'd) or restrictive (AND'd).
    pub permissive: bool,
    /// `*` (ALL), `r` (SELECT), `a` (INSERT), `w` (UPDATE), `d` (DELETE).
    pub cmd: String,
    /// The roles it is for (`public` for everyone).
    pub roles: Vec<String>,
    /// It applies to the app role (directly, through membership or TO public).
    pub applies_to_app: bool,
    /// The USING expression.
    pub using: Option<String>,
    /// The WITH CHECK expression.
    pub with_check: Option<String>,
}

/// A view or materialized view over tenant tables that the app can read.
#[derive(Debug, Clone, Serialize, Default)]
pub struct DependentView {
    /// The view.
    pub name: String,
    /// `v` or `m`.
    pub kind: String,
    /// `security_invoker` set.
    pub security_invoker: bool,
    /// Its owner.
    pub owner: String,
    /// Its owner bypasses RLS on at least one base table (superuser, BYPASSRLS, or owner of an
    /// un-FORCEd table, or the base table has RLS off).
    pub owner_bypasses: bool,
    /// The tenant tables it reads.
    pub base_tables: Vec<String>,
    /// It exposes a tenant key column itself (then it is also a tenant relation).
    pub has_tenant_key: bool,
}

/// A SECURITY DEFINER function the app may execute.
#[derive(Debug, Clone, Serialize, Default)]
pub struct DefinerFunction {
    /// `schema.name(args)`.
    pub signature: String,
    /// Owner.
    pub owner: String,
    /// Owner is superuser or BYPASSRLS.
    pub owner_bypasses: bool,
    /// The roles whose privileges the owner has (itself, and every role it inherits): it runs
    /// with the RLS exemption of tables any of them owns.
    pub owner_privs_of: Vec<String>,
    /// Owner's name appears among tenant table owners (owner bypass without FORCE is judged
    /// per table).
    pub search_path_fixed: bool,
    /// The function body.
    pub body: String,
    /// Takes no arguments, returns a set, is not volatile: safe to call in the probe.
    pub probeable: bool,
    /// A call expression for the probe, e.g. `"public"."f"()`.
    pub call: String,
}

/// A unique index, exclusion constraint or foreign key on a tenant table that leaves the
/// tenant column out.
#[derive(Debug, Clone, Serialize, Default)]
pub struct SideChannel {
    /// The table.
    pub table: String,
    /// `unique key`, `exclusion constraint` or `foreign key`.
    pub kind: String,
    /// The index or constraint.
    pub name: String,
    /// Its definition.
    pub definition: String,
    /// A key column is generated (identity, a `nextval` default, or a random uuid default):
    /// values a tenant does not choose, so the key tells nothing worth a warning.
    pub generated: bool,
}

/// Everything the static rules look at.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Catalog {
    /// The app role.
    pub role: AppRole,
    /// Tenant relations reachable by the app.
    pub relations: Vec<Relation>,
    /// Policies on tenant tables.
    pub policies: Vec<Policy>,
    /// Views and materialized views over tenant tables.
    pub views: Vec<DependentView>,
    /// SECURITY DEFINER functions the app may execute.
    pub definers: Vec<DefinerFunction>,
    /// Unique keys and foreign keys without the tenant column.
    pub side_channels: Vec<SideChannel>,
    /// `pg_db_role_setting` entries that set the tenant setting for the app.
    pub role_settings: Vec<String>,
    /// The values of those defaults that are ids in the tenants table (filled after the catalog
    /// is read; `None` when the tenants table could not be read).
    pub role_setting_tenants: Option<Vec<String>>,
    /// User functions marked LEAKPROOF.
    pub leakproof: Vec<String>,
    /// Settings read by `current_setting(...)` in the tenant tables' policies.
    pub settings_read: Vec<String>,
    /// Tables with no tenant key that triggers fill with copies of tenant rows.
    pub copies: Vec<TenantCopy>,
}

/// The application role, its attributes and the bypassing roles it can become.
const ROLE_SQL: &str = "SELECT current_user::text, r.rolsuper, r.rolbypassrls,
            coalesce((SELECT array_agg(x.rolname::text ORDER BY x.rolname) FROM pg_roles x
                       WHERE (x.rolsuper OR x.rolbypassrls) AND x.rolname <> current_user
                         AND pg_has_role(current_user, x.oid, 'MEMBER')), '{}')
       FROM pg_roles r WHERE r.rolname = current_user";

/// Tenant relations (`$1` = the tenant column names, `$2` = the tenants table) the application
/// role can reach, by a table privilege or a column privilege.
fn relations_sql() -> String {
    format!(
    "WITH {tk}
     SELECT format('%I.%I', n.nspname, c.relname), c.relname::text, c.relkind::text, c.relrowsecurity, c.relforcerowsecurity,
            o.rolname::text, pg_has_role(current_user, c.relowner, 'USAGE'), pg_has_role(current_user, c.relowner, 'MEMBER'),
            o.rolsuper OR o.rolbypassrls,
            has_any_column_privilege(c.oid, 'SELECT'), has_any_column_privilege(c.oid, 'INSERT'),
            has_any_column_privilege(c.oid, 'UPDATE'), has_table_privilege(c.oid, 'DELETE'),
            has_table_privilege(c.oid, 'TRUNCATE'),
            (SELECT format('%I.%I', pn.nspname, p.relname) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
               JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid LIMIT 1),
            coalesce((SELECT option_value IN ('1', 'true', 'on', 'yes') FROM pg_options_to_table(c.reloptions)
                       WHERE option_name = 'security_invoker'), false),
            (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid),
            tk.key, tk.how, has_column_privilege(c.oid, tk.attnum, 'SELECT'),
            NOT has_table_privilege(c.oid, 'SELECT,INSERT,UPDATE') AND has_any_column_privilege(c.oid, 'SELECT,INSERT,UPDATE')
       FROM tk
       JOIN pg_class c ON c.oid = tk.oid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_roles o ON o.oid = c.relowner
      WHERE has_table_privilege(c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE')
         OR has_any_column_privilege(c.oid, 'SELECT,INSERT,UPDATE,REFERENCES')
      ORDER BY 1",
    tk = tenant_keys_cte()
)
}

/// Policies on tenant tables (`$1`, `$2` as for [`relations_sql`]).
fn policies_sql() -> String {
    format!(
    "WITH {tk}
     SELECT format('%I.%I', n.nspname, c.relname), p.polname::text, p.polpermissive, p.polcmd::text,
            CASE WHEN p.polroles = '{{0}}' THEN ARRAY['public'] ELSE
              (SELECT array_agg(r.rolname::text ORDER BY r.rolname) FROM pg_roles r WHERE r.oid = ANY (p.polroles)) END,
            p.polroles = '{{0}}' OR EXISTS (SELECT 1 FROM unnest(p.polroles) r WHERE pg_has_role(current_user, r, 'USAGE')),
            pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
       FROM pg_policy p
       JOIN tk ON tk.oid = p.polrelid
       JOIN pg_class c ON c.oid = p.polrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      ORDER BY 1, 2",
    tk = tenant_keys_cte()
)
}

/// Views and materialized views over tenant tables (`$1`, `$2` as for [`relations_sql`]) the
/// application can read.
fn views_sql() -> String {
    format!(
    "WITH {tk}
     SELECT format('%I.%I', n.nspname, v.relname), v.relkind::text,
            coalesce((SELECT option_value IN ('1', 'true', 'on', 'yes') FROM pg_options_to_table(v.reloptions)
                       WHERE option_name = 'security_invoker'), false),
            vo.rolname::text,
            bool_or(vo.rolsuper OR vo.rolbypassrls OR NOT t.relrowsecurity
                    OR (pg_has_role(v.relowner, t.relowner, 'USAGE') AND NOT t.relforcerowsecurity)),
            array_agg(DISTINCT format('%I.%I', tn.nspname, t.relname)),
            EXISTS (SELECT 1 FROM tk k WHERE k.oid = v.oid)
       FROM pg_class v
       JOIN pg_namespace n ON n.oid = v.relnamespace
       JOIN pg_roles vo ON vo.oid = v.relowner
       JOIN pg_rewrite rw ON rw.ev_class = v.oid
       JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid AND d.refclassid = 'pg_class'::regclass
       JOIN pg_class t ON t.oid = d.refobjid AND t.oid <> v.oid AND t.relkind IN ('r', 'p')
       JOIN tk ON tk.oid = t.oid
       JOIN pg_namespace tn ON tn.oid = t.relnamespace
      WHERE v.relkind IN ('v', 'm') AND {SYSTEM_SCHEMAS} AND has_any_column_privilege(v.oid, 'SELECT')
      GROUP BY 1, 2, 3, 4, v.oid
      ORDER BY 1",
    tk = tenant_keys_cte()
)
}

/// SECURITY DEFINER functions the application can execute.
fn definers_sql() -> String {
    format!(
        "SELECT p.oid::regprocedure::text, o.rolname::text, o.rolsuper OR o.rolbypassrls,
            EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{{}}')) s WHERE s LIKE 'search_path=%'),
            coalesce(p.prosrc, ''), p.pronargs = 0 AND p.proretset AND p.provolatile <> 'v' AND p.prokind = 'f',
            format('%I.%I()', n.nspname, p.proname),
            ARRAY(SELECT r.rolname::text FROM pg_roles r WHERE pg_has_role(p.proowner, r.oid, 'USAGE') ORDER BY 1)
       FROM pg_proc p
       JOIN pg_namespace n ON n.oid = p.pronamespace
       JOIN pg_roles o ON o.oid = p.proowner
      WHERE p.prosecdef AND {SYSTEM_SCHEMAS} AND has_function_privilege(p.oid, 'EXECUTE')
      ORDER BY 1"
    )
}

/// A key column whose values the database generates: identity, `nextval` or a random uuid.
const GENERATED_COLUMN: &str = "(ka.attidentity <> '' OR pg_get_expr(d.adbin, d.adrelid)
       ~ '^([a-z_]+[.])?(nextval|gen_random_uuid|uuid_generate_v4|uuidv4)[(]')";

/// Unique keys, exclusion constraints and foreign keys of RLS tables that leave the tenant key
/// out (`$1`, `$2` as for [`relations_sql`]).
fn side_channels_sql() -> String {
    format!(
        "WITH {tk}, t AS (
       SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS name, tk.attnum
         FROM tk JOIN pg_class c ON c.oid = tk.oid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND c.relrowsecurity)
     SELECT t.name, 'unique key', i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid),
            EXISTS (SELECT 1 FROM pg_attribute ka
                      LEFT JOIN pg_attrdef d ON d.adrelid = ka.attrelid AND d.adnum = ka.attnum
                     WHERE ka.attrelid = i.indrelid AND ka.attnum = ANY (i.indkey::int2[]) AND {GENERATED_COLUMN})
       FROM pg_index i JOIN t ON t.oid = i.indrelid
      WHERE i.indisunique AND NOT (t.attnum = ANY (i.indkey::int2[]))
     UNION ALL
     SELECT t.name, 'exclusion constraint', con.conname::text, pg_get_constraintdef(con.oid), false
       FROM pg_constraint con JOIN t ON t.oid = con.conrelid
      WHERE con.contype = 'x' AND NOT (t.attnum = ANY (con.conkey))
     UNION ALL
     SELECT t.name, 'foreign key', con.conname::text, pg_get_constraintdef(con.oid), false
       FROM pg_constraint con JOIN t ON t.oid = con.conrelid JOIN t r ON r.oid = con.confrelid
      WHERE con.contype = 'f' AND NOT (t.attnum = ANY (con.conkey) AND r.attnum = ANY (con.confkey))
      ORDER BY 1, 3",
        tk = tenant_keys_cte()
    )
}

/// Stored defaults of the tenant setting (`$1`) that reach the application role.
const SETTINGS_SQL: &str = "SELECT format('%s on database %s for role %s', s,
                   coalesce(d.datname::text, '(all)'), coalesce(r.rolname::text, '(all)'))
           FROM pg_db_role_setting x
           LEFT JOIN pg_database d ON d.oid = x.setdatabase
           LEFT JOIN pg_roles r ON r.oid = x.setrole,
           unnest(x.setconfig) s
          WHERE s LIKE $1 || '=%'
            AND (x.setrole = 0 OR pg_has_role(current_user, x.setrole, 'MEMBER'))
            AND (x.setdatabase = 0 OR d.datname = current_database())";

/// User functions marked LEAKPROOF.
const LEAKPROOF_SQL: &str =
    "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE p.proleakproof AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1";

/// Reads the catalog as the application role. All queries are sent at once.
pub async fn read(client: &Client, cfg: &Config) -> Result<Catalog> {
    let tcols = cfg.tenant_column_names();
    let (rel_sql, pol_sql, view_sql, fn_sql, side_sql, copy_sql) =
        (relations_sql(), policies_sql(), views_sql(), definers_sql(), side_channels_sql(), copies_sql());
    let q = |what: &'static str, r: std::result::Result<Vec<tokio_postgres::Row>, tokio_postgres::Error>| {
        r.map_err(|e| Error::query(format!("reading {what} from the catalog"), &e))
    };
    let tparam: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&tcols, &cfg.tenancy.table];
    let sparam: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&cfg.tenancy.context.setting];
    let cparam: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
        [&tcols, &cfg.tenancy.table, &cfg.tenancy.context.setting];
    let (role, rels, pols, views, fns, side, settings, leak, copies) = tokio::join!(
        client.query(ROLE_SQL, &[]),
        client.query(&rel_sql, &tparam),
        client.query(&pol_sql, &tparam),
        client.query(&view_sql, &tparam),
        client.query(&fn_sql, &[]),
        client.query(&side_sql, &tparam),
        client.query(SETTINGS_SQL, &sparam),
        client.query(LEAKPROOF_SQL, &[]),
        client.query(&copy_sql, &cparam),
    );
    let role = q("the application role", role)?;
    let role = role.first().map(|r| AppRole {
        name: r.get(0),
        superuser: r.get(1),
        bypassrls: r.get(2),
        bypassing_memberships: r.get(3),
    });
    let relations: Vec<Relation> = q("tenant relations", rels)?
        .iter()
        .map(|r| Relation {
            name: r.get(0),
            relname: r.get(1),
            kind: r.get(2),
            rls: r.get(3),
            force: r.get(4),
            owner: r.get(5),
            app_has_owner_privs: r.get(6),
            app_can_become_owner: r.get(7),
            owner_bypasses: r.get(8),
            select: r.get(9),
            insert: r.get(10),
            update: r.get(11),
            delete: r.get(12),
            truncate: r.get(13),
            parent: r.get(14),
            security_invoker: r.get(15),
            policies: r.get(16),
            tenant_key: r.get(17),
            found_by: r.get(18),
            key_readable: r.get(19),
            column_grants: r.get(20),
        })
        .collect();
    let policies: Vec<Policy> = q("policies", pols)?
        .iter()
        .map(|r| Policy {
            table: r.get(0),
            name: r.get(1),
            permissive: r.get(2),
            cmd: r.get(3),
            roles: r.get::<_, Option<Vec<String>>>(4).unwrap_or_default(),
            applies_to_app: r.get(5),
            using: r.get(6),
            with_check: r.get(7),
        })
        .collect();
    let settings_read = settings_read_by(&policies);
    Ok(Catalog {
        role: role.unwrap_or_default(),
        relations,
        policies,
        views: q("views over tenant tables", views)?
            .iter()
            .map(|r| DependentView {
                name: r.get(0),
                kind: r.get(1),
                security_invoker: r.get(2),
                owner: r.get(3),
                owner_bypasses: r.get(4),
                base_tables: r.get(5),
                has_tenant_key: r.get(6),
            })
            .collect(),
        definers: q("security definer functions", fns)?
            .iter()
            .map(|r| DefinerFunction {
                signature: r.get(0),
                owner: r.get(1),
                owner_bypasses: r.get(2),
                search_path_fixed: r.get(3),
                body: r.get(4),
                probeable: r.get(5),
                call: r.get(6),
                owner_privs_of: r.get(7),
            })
            .collect(),
        side_channels: q("keys without the tenant column", side)?
            .iter()
            .map(|r| SideChannel {
                table: r.get(0),
                kind: r.get(1),
                name: r.get(2),
                definition: r.get(3),
                generated: r.get(4),
            })
            .collect(),
        role_settings: q("role settings", settings)?.iter().map(|r| r.get(0)).collect(),
        role_setting_tenants: None,
        leakproof: q("leakproof functions", leak)?.iter().map(|r| r.get(0)).collect(),
        settings_read,
        copies: q("tables filled by triggers on tenant tables", copies)?.iter().map(TenantCopy::from_row).collect(),
    })
}

/// The custom settings the policies read with `current_setting('…')`.
pub fn settings_read_by(policies: &[Policy]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in policies {
        for expr in [&p.using, &p.with_check].into_iter().flatten() {
            let mut rest = expr.as_str();
            while let Some(i) = rest.find("current_setting('") {
                rest = &rest[i + "current_setting('".len()..];
                if let Some(end) = rest.find('\'') {
                    let name = rest[..end].to_string();
                    if !out.contains(&name) {
                        out.push(name);
                    }
                }
            }
        }
    }
    out.sort();
    out
}
