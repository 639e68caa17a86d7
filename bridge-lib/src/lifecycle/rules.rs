//! The lifecycle run's steps as rules (TEN101…TEN105): each step is one finding, `pass` when
//! the step held, `fail` when it did not (with the error), `skip` when it could not run.

use crate::finding::Rule;
use crate::report::CheckId;

/// Step 1: one throwaway test tenant is provisioned.
pub static PROVISIONED: Rule = Rule {
    check: CheckId::Tenants,
    code: "TEN101",
    name: "lifecycle-provisioning-fails",
    title: "the lifecycle run could not provision its throwaway test tenant",
    checks: "`bridge tenants lifecycle`, step 1: inserts one test tenant (is_test = true, id bridge-lifecycle-<n>) \
             into the tenants table through BRIDGE_ADMIN_DATABASE_URL (else DATABASE_URL) and runs the seed SQL \
             under its context, in one transaction, RETURNING the stored id.",
    why: "Onboarding is the first thing per-tenant customization repeats for every new tenant: if a test \
          tenant cannot be created the way provision creates them, neither can a customer.",
    remedy: "Read the error: usually the tenants table's columns (id, is_test, tier; see `bridge tenants \
             provision --dry-run`) or the seed file (--seed-sql) do not fit the schema.",
    limits: "Text, integer and uuid ids are generated; other id types are not. The seed SQL is the user's: the \
             run only proves it ran.",
};

/// Step 2: the tenant is isolated.
pub static ISOLATED: Rule = Rule {
    check: CheckId::Tenants,
    code: "TEN102",
    name: "lifecycle-tenant-not-isolated",
    title: "the new test tenant is not isolated by row-level security",
    checks: "Step 2: as the application role (DATABASE_URL) with the new tenant's context set transaction-locally, \
             every tenant-scoped table shows rows of the new tenant and of no other tenant (the RLS probe sees it \
             and only it).",
    why: "A tenant created today must be isolated from its first row: the RLS check audits the tenants that \
          exist, this step proves that the policies also cover one that did not exist when they were written.",
    remedy: "Run `bridge check --only rls` and fix what it reports; give every tenant table a policy USING \
             (tenant_id = current_setting('app.current_tenant', true)) with ENABLE and FORCE ROW LEVEL SECURITY.",
    limits: "Reads only: the write probes are the RLS check's. Needs the seed SQL to give the tenant rows; tables \
             the seed leaves empty only prove that no other tenant's rows show.",
};

/// Step 3: its usage is metered.
pub static METERED: Rule = Rule {
    check: CheckId::Tenants,
    code: "TEN103",
    name: "lifecycle-usage-not-metered",
    title: "a usage row of the new test tenant does not reach the cost ledger's aggregate",
    checks: "Step 3: as the application role with the tenant's context, inserts one usage row into the ledger \
             table (BRIDGE_COST_TABLE and its BRIDGE_COST_COL_* columns; other required columns get zero or empty \
             values) and commits; then the ledger aggregate in the database (the capacity check's) must show the \
             tenant with that row and its cost.",
    why: "Per-tenant prices and quotas rest on per-tenant metering: a tenant whose usage does not reach the \
          ledger is served for free and invisible to the cost reconciliation.",
    remedy: "Grant the application role INSERT on the ledger table with a policy WITH CHECK on the tenant column, \
             and point BRIDGE_COST_TABLE and BRIDGE_COST_COL_* at the table the metering writes.",
    limits: "Inserts a synthetic row (cost 0.0001): it proves the path from the application's context to the \
             aggregate, not that the application's own metering writes it.",
};

/// Step 4: its namespace is tracked by the capacity check.
pub static TRACKED: Rule = Rule {
    check: CheckId::Tenants,
    code: "TEN104",
    name: "lifecycle-namespace-not-tracked",
    title: "the new test tenant's namespace does not appear to the capacity check",
    checks: "Step 4: upserts one record into namespace BRIDGE_NAMESPACE_PREFIX + id through the Pinecone API, then \
             reads the index the way the capacity check does until the namespace appears (up to 20 s, the stats \
             are eventually consistent).",
    why: "Capacity per tenant is only watched for namespaces the check can match to tenants: a naming mismatch \
          makes every new tenant unmonitored.",
    remedy: "Set BRIDGE_NAMESPACE_PREFIX to the application's naming, and PINECONE_INDEX (or PINECONE_INDEX_HOST) \
             to the index the application writes.",
    limits: "Skipped without a Pinecone key. The probe record has every value 0.1, at the index's dimension.",
};

/// Step 5: it is offboarded without traces.
pub static OFFBOARDED: Rule = Rule {
    check: CheckId::Tenants,
    code: "TEN105",
    name: "lifecycle-offboarding-leaves-traces",
    title: "offboarding the new test tenant left rows, a namespace or cost behind",
    checks: "Step 5, run also after a failed step (cleanup): `bridge tenants deprovision <id>` removes its rows from \
             every tenant table and the tenants table in one transaction and deletes its namespace; then no row, \
             no namespace and no ledger activity of the tenant may be left.",
    why: "Offboarding is where tenants' data outlives contracts: rows and vectors left behind are still billed, \
          still count against limits, and still answer deletion requests wrongly.",
    remedy: "Read which store kept something: rows (a table without the tenant column or a trigger that writes \
             back), the namespace (delete it: curl -X DELETE \"https://<host>/namespaces/<namespace>\"), cost (the \
             ledger still gets rows: something still meters the tenant).",
    limits: "Tables without the tenant column (BRIDGE_TENANT_COLUMN) are not seen; a namespace deletion Pinecone \
             accepted may take seconds to show in the stats.",
};

/// The lifecycle's rules, in step order.
pub static RULES: [&Rule; 5] = [&PROVISIONED, &ISOLATED, &METERED, &TRACKED, &OFFBOARDED];
