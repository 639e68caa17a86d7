//! The RLS rules: each a stable code, a name that names the problem, and its rationale.

use crate::finding::Rule;

macro_rules! rule {
    ($id:ident, $code:literal, $name:literal, $title:literal, $why:literal) => {
        #[doc = $title]
        pub static $id: Rule = Rule {
            check: crate::report::CheckId::Rls,
            code: $code,
            name: $name,
            title: $title,
            checks: "",
            why: $why,
            remedy: "",
            limits: "",
        };
    };
}

rule!(
    SKIPPED,
    "RLS000",
    "rls-check-skipped",
    "RLS isolation not checked",
    "Without DATABASE_URL (the application's own connection) there is no role to audit, so the check is skipped."
);
rule!(
    RLS_DISABLED,
    "RLS001",
    "rls-disabled",
    "tenant table reachable by the application with row level security off",
    "A table with the tenant column and RLS off returns every tenant's rows to any query (the CVE-2025-48757 class). \
     Remedy: ENABLE and FORCE row level security and add a tenant policy."
);
rule!(POLICIES_IGNORED, "RLS002", "policies-ignored-rls-disabled", "policies exist but row level security is off",
    "Policies do nothing until ALTER TABLE ... ENABLE ROW LEVEL SECURITY: the table looks protected in review and is not.");
rule!(
    NO_POLICY,
    "RLS003",
    "rls-enabled-no-policy",
    "row level security on with no policy for the application (deny all)",
    "With RLS on and no policy that applies, the application sees and writes nothing: safe, but the feature is broken."
);
rule!(
    APP_BYPASSES,
    "RLS004",
    "app-role-bypasses-rls",
    "the application role is a superuser or has BYPASSRLS",
    "Superusers and BYPASSRLS roles skip every policy, FORCE included; so does any role the application can become. \
     Every isolation test run as such a role passes vacuously."
);
rule!(OWNER_BYPASSES, "RLS005", "owner-bypasses-rls", "the application owns a tenant table (or inherits its owner) and FORCE is off",
    "Table owners bypass RLS unless FORCE ROW LEVEL SECURITY is set; PostgreSQL treats any role that inherits the owner's \
     privileges as the owner.");
rule!(POLICY_NOT_SCOPED, "RLS006", "policy-not-tenant-scoped", "a permissive policy lets the application read rows without a tenant condition",
    "Permissive policies are OR'd: one USING (true), or one that filters on another column, widens every tenant policy \
     for that command. A restrictive tenant policy bounds it.");
rule!(CHECK_NOT_SCOPED, "RLS007", "write-check-not-tenant-scoped", "a permissive policy lets the application write rows for another tenant",
    "INSERT and UPDATE are bounded by WITH CHECK (an UPDATE or ALL policy without one reuses USING; a missing clause grants \
     nothing). WITH CHECK (true), or one that ignores the tenant, lets one tenant write rows into another's data.");
rule!(VIEW_BYPASSES, "RLS008", "view-bypasses-rls", "a view over tenant tables runs with its owner's rights",
    "A view without security_invoker applies the policies (or bypass) of its owner, not of the application: a view owned by \
     a superuser or the table owner shows every tenant's rows.");
rule!(
    UNPROTECTABLE,
    "RLS009",
    "unprotectable-relation-readable",
    "a materialized view or foreign table of tenant data is readable",
    "Materialized views and foreign tables cannot have row level security: the application reads every tenant's rows."
);
rule!(DEFINER_BYPASSES, "RLS010", "definer-function-bypasses-rls", "a SECURITY DEFINER function reads tenant tables as a role that bypasses RLS",
    "A SECURITY DEFINER function runs as its owner; when the owner bypasses RLS, any caller reads every tenant's rows through it \
     (and a mutable search_path lets a caller redirect it).");
rule!(PARTITION_UNPROTECTED, "RLS011", "partition-without-rls", "a partition or child table without row level security is reachable directly",
    "Parent policies apply only when the parent is queried; a partition named directly uses its own RLS flag and policies, \
     which are not inherited.");
rule!(
    TRUNCATE_ALLOWED,
    "RLS012",
    "truncate-ignores-rls",
    "the application may TRUNCATE a tenant table",
    "TRUNCATE is not subject to row level security: one tenant's request can empty every tenant's rows."
);
rule!(UNIQUE_SIDE_CHANNEL, "RLS013", "unique-key-without-tenant", "a unique key on a tenant table leaves out the tenant column",
    "Unique checks bypass RLS: a duplicate-key error tells one tenant that another tenant has that value (an existence oracle).");
rule!(FK_SIDE_CHANNEL, "RLS014", "foreign-key-without-tenant", "a foreign key between tenant tables leaves out the tenant column",
    "Foreign-key checks bypass RLS: a tenant can link its rows to another tenant's parent rows and probe which ids exist. \
     A composite key (tenant_id, parent_id) prevents both.");
rule!(ROLE_DEFAULT, "RLS015", "tenant-default-in-role-settings", "a default tenant is set for the application role or database",
    "A tenant value in ALTER ROLE/DATABASE ... SET gives every new session a tenant context: no-context requests see that tenant.");
rule!(
    WRONG_SETTING,
    "RLS016",
    "policies-read-other-setting",
    "the policies do not read the configured tenant setting",
    "If the policies read a different setting than the one the application sets, the context never takes effect."
);
rule!(LEAKPROOF, "RLS017", "leakproof-user-function", "a user function is marked LEAKPROOF",
    "The planner may run LEAKPROOF functions before the RLS filter; a function wrongly marked so can reveal other tenants' rows \
     through errors.");
rule!(
    ROW_SECURITY_INACTIVE,
    "RLS020",
    "row-security-inactive",
    "row security is not active for the application on a tenant table",
    "row_security_active() as the application role is the server's own verdict on whether policies apply to it."
);
rule!(CROSS_TENANT_READ, "RLS021", "cross-tenant-read", "the application sees another tenant's rows under a tenant's context",
    "The live probe sets each probe tenant's context exactly as the application does and counts rows of other tenants through \
     every tenant table, view and definer function it can reach: any row is a leak.");
rule!(
    NO_CONTEXT_READ,
    "RLS022",
    "no-context-read",
    "rows are visible with no tenant context",
    "A request that forgot to set the tenant must see nothing; a policy like `setting IS NULL OR ...` fails open."
);
rule!(CROSS_TENANT_WRITE, "RLS023", "cross-tenant-write", "the application can write into another tenant's rows",
    "Under tenant A's context, inserting a row for tenant B or moving A's row to B must fail with SQLSTATE 42501, and B's rows \
     must not be updatable or deletable. Probed inside savepoints and rolled back.");
rule!(CONTEXT_LEAK, "RLS024", "context-survives-transaction", "the tenant context survives the end of the transaction",
    "Pooled connections are reused across requests: a context set with SET (not set_config(..., true)) or a role default \
     reaches the next tenant's request.");
rule!(INCONCLUSIVE, "RLS025", "probe-inconclusive", "the live probe could not prove isolation",
    "A probe that sees zero foreign rows proves nothing when the probe role bypasses RLS or no other tenant has rows: reported \
     as inconclusive, never as a pass.");
rule!(
    NOT_READABLE,
    "RLS026",
    "probe-not-readable",
    "the application role cannot read a tenant relation",
    "Without SELECT the probe cannot count rows through it; the relation is reported and the audit goes on."
);
rule!(
    PROBE_ERROR,
    "RLS027",
    "probe-error",
    "a probe query failed",
    "A query the application could run failed during the probe (for example a policy that casts an empty setting)."
);

/// The rules of this check.
pub static RULES: [&Rule; 26] = [
    &SKIPPED,
    &RLS_DISABLED,
    &POLICIES_IGNORED,
    &NO_POLICY,
    &APP_BYPASSES,
    &OWNER_BYPASSES,
    &POLICY_NOT_SCOPED,
    &CHECK_NOT_SCOPED,
    &VIEW_BYPASSES,
    &UNPROTECTABLE,
    &DEFINER_BYPASSES,
    &PARTITION_UNPROTECTED,
    &TRUNCATE_ALLOWED,
    &UNIQUE_SIDE_CHANNEL,
    &FK_SIDE_CHANNEL,
    &ROLE_DEFAULT,
    &WRONG_SETTING,
    &LEAKPROOF,
    &ROW_SECURITY_INACTIVE,
    &CROSS_TENANT_READ,
    &NO_CONTEXT_READ,
    &CROSS_TENANT_WRITE,
    &CONTEXT_LEAK,
    &INCONCLUSIVE,
    &NOT_READABLE,
    &PROBE_ERROR,
];
