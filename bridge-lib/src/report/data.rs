//! Each check's display data, typed: what a check puts in [`CheckOutcome::data`] and what the
//! renderers draw. A check serialises its struct into `data` (the JSON shape the README
//! documents); a renderer reads it back with [`parse`], so no renderer re-states a default.
//!
//! [`CheckOutcome::data`]: crate::report::CheckOutcome::data

use crate::finding::Status;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
// The reconciliation's rows are the cost model's own types (one definition, written by the
// check and read back here by the renderers).
pub use crate::checks::cost::model::{BilledLine as BilledLineData, Outside as OutsidePeriod, VarianceRow};

/// Reads a check's data back: `None` when the check attached none (it skipped, or could not
/// run), otherwise the typed data or why it does not have the expected shape.
pub fn parse<T: DeserializeOwned>(data: &Value) -> Option<Result<T, serde_json::Error>> {
    if data.is_null() {
        None
    } else {
        Some(T::deserialize(data))
    }
}

/// The capacity check's data (README, "capacity data").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityData {
    /// Where the numbers come from (`snapshot FILE` or `index NAME (HOST)`).
    pub source: String,
    /// The index as a whole.
    pub index: CapacityIndex,
    /// The share of a quota that warns, in percent.
    pub warn_percent: f64,
    /// Days ahead the forecast looks.
    pub horizon_days: f64,
    /// Snapshots in the history the forecast was fitted on.
    pub history_points: usize,
    /// One row per tenant, in tenant order.
    pub tenants: Vec<TenantUsage>,
    /// Namespaces with no tenant.
    pub orphans: Vec<OrphanNamespace>,
    /// The cost ledger as the reconciliation read it; `None` when it was not read (no ledger
    /// table).
    #[serde(default)]
    pub ledger: Option<LedgerSummary>,
    /// One row per tenant across the three stores: the registry's tenants in order, then
    /// tenants only the ledger names.
    #[serde(default)]
    pub stores: Vec<TenantStores>,
    /// What auto-scaling should do now, per registered tenant.
    #[serde(default)]
    pub scaling: Vec<ScalingDecision>,
}

/// The cost ledger in [`CapacityData`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerSummary {
    /// How it was read (table, role, once or per tenant).
    pub source: String,
    /// The moment dormancy and dates count from, RFC 3339 UTC.
    pub as_of: String,
    /// The spend window and the dormancy threshold, in days (`BRIDGE_DORMANT_DAYS`).
    pub window_days: u32,
    /// Tenants with ledger rows.
    pub tenants: usize,
}

/// One tenant across the tenants registry, the index and the cost ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantStores {
    /// The tenant id.
    pub tenant: String,
    /// In the tenants table (false: only the ledger names it).
    pub registered: bool,
    /// Active in the tenants table (false when not registered).
    pub active: bool,
    /// Its tier, when registered.
    pub tier: Option<String>,
    /// Its namespace name.
    pub namespace: String,
    /// Records in the namespace; `None` when it does not exist.
    pub records: Option<u64>,
    /// Bytes stored in the namespace, when the listing gives them.
    pub bytes: Option<u64>,
    /// The tier's byte quota (`BRIDGE_TIER_QUOTA_BYTES`), if any.
    pub byte_quota: Option<u64>,
    /// Spend over the window; `None` when the ledger was not read.
    pub spend: Option<f64>,
    /// Ledger rows over the window; `None` when the ledger was not read.
    pub events: Option<u64>,
    /// Its latest ledger row, RFC 3339 UTC.
    pub last_activity: Option<String>,
    /// Days since then.
    pub idle_days: Option<f64>,
    /// Active, and no ledger row for the window (or ever).
    pub dormant: bool,
    /// The worst reconciliation finding about this tenant.
    pub status: Status,
}

/// What auto-scaling should do for one tenant now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScalingAction {
    /// Under 80% and not forecast to reach it within the horizon.
    Nothing,
    /// Move the tenant to the next larger tier.
    RaiseTier,
    /// Move the tenant to its own index: no larger tier holds it.
    OwnIndex,
}

/// The auto-scaling decision for one tenant, in [`CapacityData`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingDecision {
    /// The tenant id.
    pub tenant: String,
    /// Its tier now.
    pub tier: String,
    /// What to do.
    pub action: ScalingAction,
    /// The tier to move to, for `raise-tier`.
    pub to_tier: Option<String>,
    /// Use of the binding quota (records or bytes), in percent.
    pub percent: Option<f64>,
    /// Days until 80% at the fitted growth (0 when already there).
    pub days_to_80: Option<f64>,
    /// The date the 80% line is crossed (`YYYY-MM-DD`; today when already over).
    pub crosses_80_on: Option<String>,
    /// Why, in words.
    pub reason: String,
}

/// The index in [`CapacityData`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityIndex {
    /// The index name, when it was described by name.
    pub name: Option<String>,
    /// Its host, when it was described by name.
    pub host: Option<String>,
    /// `serverless`, `pod`… (`unknown` offline or by host only).
    pub kind: String,
    /// The vector dimension.
    pub dimension: Option<u64>,
    /// The largest of the index, memory and storage fullness, 0..1.
    pub fullness: Option<f64>,
    /// Records in the whole index.
    pub total_vectors: Option<u64>,
    /// Namespaces in the index.
    pub namespaces: usize,
    /// Namespaces the plan allows per index.
    pub namespace_limit: u64,
}

/// One tenant's row in the capacity table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantUsage {
    /// The tenant id.
    pub tenant: String,
    /// Its namespace name.
    pub namespace: String,
    /// Its tier.
    pub tier: String,
    /// Whether it is active.
    pub active: bool,
    /// Records in its namespace; `None` when the namespace does not exist.
    pub vectors: Option<u64>,
    /// Its quota; `None` when the tier has none.
    pub quota: Option<u64>,
    /// `vectors / quota` in percent.
    pub percent: Option<f64>,
    /// Growth over the saved snapshots, records per day.
    pub growth_per_day: Option<f64>,
    /// Days until 80% of the quota at that growth (0 when already there).
    pub days_to_80: Option<f64>,
    /// Days until the quota is full at that growth.
    pub days_to_full: Option<f64>,
    /// The worst finding about this tenant.
    pub status: Status,
}

/// A namespace with no tenant, in [`CapacityData`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrphanNamespace {
    /// The namespace name (`""` is the default namespace).
    pub namespace: String,
    /// Records in it.
    pub vectors: u64,
}

/// The cost check's data: the shape `checks::cost::outcome_data` writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostData {
    /// The ledger currency.
    pub currency: String,
    /// The variance bands.
    pub thresholds: CostThresholds,
    /// Where each side was read.
    pub sources: CostSources,
    /// One row per provider and billing period.
    pub variance: Vec<VarianceRow>,
    /// Billed lines excluded as unallocatable (taxes, credits, minimums…).
    pub unallocatable: Vec<BilledLineData>,
    /// Ledger usage in a provider and period that no export covers.
    pub outside_periods: Vec<OutsidePeriod>,
    /// FOCUS corrections, set apart with the period each corrects.
    #[serde(default)]
    pub corrections: Vec<BilledLineData>,
    /// Billed lines summed per invoice, where the exports name invoices.
    #[serde(default)]
    pub invoices: Vec<crate::checks::cost::model::InvoiceTotal>,
    /// Sums over every provider and period.
    pub totals: CostTotals,
    /// The tenants with the largest allocated cost.
    pub top_tenants: Vec<TopTenant>,
    /// The per-tenant breakdown: tenant, provider, model, period.
    pub tenants: Vec<TenantCost>,
    /// Why each provider and period outside the pass band differs: the gap split into
    /// components (absent when every provider and period is inside the band).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub explanations: Vec<GapExplanation>,
}

/// The variance bands, as fractions of the billed amount.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CostThresholds {
    /// Up to this variance (either way) passes.
    pub warn: f64,
    /// Up to this variance warns; beyond it fails.
    pub fail: f64,
}

/// Where the two sides of the reconciliation came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostSources {
    /// The allocated side, in words (`files …`, or the database query).
    pub allocated: String,
    /// The billed exports read.
    pub billed: Vec<String>,
}

/// Sums over the variance table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CostTotals {
    /// Allocated.
    pub allocated: f64,
    /// Billed usage.
    pub billed: f64,
    /// Billed but unallocatable.
    pub unallocatable: f64,
    /// allocated / billed; `None` when nothing was billed.
    pub coverage: Option<f64>,
}

/// One of the tenants with the largest allocated cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopTenant {
    /// The tenant.
    pub tenant: String,
    /// Its allocated cost.
    pub cost: f64,
    /// Its ledger rows.
    pub events: u64,
    /// Its share of the whole allocated cost, 0..1.
    pub share: f64,
}

/// One tenant's allocated cost for one provider, model and period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantCost {
    /// The tenant.
    pub tenant: String,
    /// The provider.
    pub provider: String,
    /// The model or SKU.
    pub model: String,
    /// The billing period, `YYYY-MM`.
    pub period: String,
    /// The allocated cost.
    pub cost: f64,
    /// Ledger rows summed.
    pub events: u64,
}

/// Billed minus allocated for one provider and period, split into components that sum exactly
/// (in micro-units) to the gap: `checks::cost::explain` writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GapExplanation {
    /// The provider.
    pub provider: String,
    /// The billing period, `YYYY-MM`.
    pub period: String,
    /// Allocated by the ledger, micro-units.
    pub allocated_micros: i64,
    /// Billed, unallocatable lines included, micro-units.
    pub billed_micros: i64,
    /// `billed_micros - allocated_micros`: what the components add up to.
    pub gap_micros: i64,
    /// volume, rate, unattributed, timing, excluded, remainder, in that order.
    pub components: Vec<GapComponent>,
    /// The tenants behind the volume component (each model's volume shared out by the tenants'
    /// share of that model's ledger tokens), largest first.
    pub volume_tenants: Vec<VolumeTenant>,
}

/// What a component of the gap is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GapKind {
    /// Tokens or requests the provider counted and the ledger did not (or the reverse).
    Volume,
    /// The ledger's implied unit price against the bill's effective rate.
    Rate,
    /// Billed projects, workspaces or API keys with no ledger rows.
    Unattributed,
    /// Ledger usage the bill does not reach yet (after its cut-off).
    Timing,
    /// Tax, minimums, credits, corrections: billed lines no tenant consumed.
    Excluded,
    /// What the others do not attribute: shown, never hidden.
    Remainder,
}

impl GapKind {
    /// Every kind, in the order the components are listed and drawn.
    pub const ALL: [GapKind; 6] =
        [GapKind::Volume, GapKind::Rate, GapKind::Unattributed, GapKind::Timing, GapKind::Excluded, GapKind::Remainder];

    /// The kind's name in the data (`volume`, `rate`…).
    pub fn as_str(self) -> &'static str {
        match self {
            GapKind::Volume => "volume",
            GapKind::Rate => "rate",
            GapKind::Unattributed => "unattributed",
            GapKind::Timing => "timing",
            GapKind::Excluded => "excluded",
            GapKind::Remainder => "remainder",
        }
    }
}

/// One component of a [`GapExplanation`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GapComponent {
    /// Which component.
    pub kind: GapKind,
    /// Its share of the gap, micro-units (0 when not computed).
    pub micros: i64,
    /// False when it could not be computed; `detail` says why (it is then part of the remainder).
    pub computed: bool,
    /// One line: how it was found, or why it could not be.
    pub detail: String,
    /// Its parts (per model, account or line), largest first.
    pub items: Vec<GapItem>,
}

/// A part of a component: one model, account or billed line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GapItem {
    /// What it is (a model, an account, a file and line).
    pub label: String,
    /// Its amount, micro-units.
    pub micros: i64,
    /// The figures behind it, in words.
    pub detail: String,
}

/// A tenant behind the volume component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeTenant {
    /// The tenant.
    pub tenant: String,
    /// Its share of the volume component, micro-units.
    pub micros: i64,
    /// Its ledger tokens in the models that have a volume gap.
    pub tokens: u64,
}

/// The RLS check's data: the shape `checks::rls::run` writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RlsData {
    /// The role the application connects as.
    pub app_role: AppRoleData,
    /// The tenants the probes ran as.
    pub probe_tenants: Vec<String>,
    /// Settings read by `current_setting(...)` in the tenant tables' policies.
    pub settings_read_by_policies: Vec<String>,
    /// The access matrix: one row per relation.
    pub matrix: Vec<MatrixRow>,
    /// What each probe tenant read of each relation under its own context (the tenant ×
    /// relation picture); relations the role cannot read are left out.
    #[serde(default)]
    pub tenant_reads: Vec<TenantReads>,
    /// With `--prove`: each planted mutant and whether the probe caught it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mutants: Vec<MutantData>,
}

/// One probe tenant's reads of one relation, in [`RlsData`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantReads {
    /// The probe tenant whose context was set.
    pub tenant: String,
    /// `schema.name`.
    pub relation: String,
    /// Rows of its own it saw.
    pub own_rows: i64,
    /// Rows of other tenants (or of none) it saw: anything above 0 is a leak.
    pub other_rows: i64,
}

/// The application role in [`RlsData`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppRoleData {
    /// `current_user`.
    pub name: String,
    /// Superuser.
    pub superuser: bool,
    /// BYPASSRLS.
    pub bypassrls: bool,
    /// Superuser or BYPASSRLS roles it is a member of.
    pub bypassing_memberships: Vec<String>,
}

/// One relation of the access matrix: what the application role saw and could write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatrixRow {
    /// `schema.name`.
    pub relation: String,
    /// `table`, `view`, `partitioned table`…
    pub kind: String,
    /// ENABLE ROW LEVEL SECURITY.
    pub rls: bool,
    /// FORCE ROW LEVEL SECURITY.
    pub force: bool,
    /// `row_security_active()` as the application role, when read.
    pub row_security_active: Option<bool>,
    /// Rows each probe tenant saw of its own, summed (`None`: no SELECT).
    pub own_rows: Option<i64>,
    /// Rows the probe tenants saw of other tenants (`None`: no SELECT).
    pub other_tenant_rows: Option<i64>,
    /// Rows seen with no tenant context.
    pub no_context_rows: Option<i64>,
    /// Inserting a row for another tenant: `denied (…)`, `ALLOWED (…)`, `not tried`, `error …`.
    pub insert_for_other: Option<String>,
    /// Moving an own row to another tenant.
    pub move_to_other: Option<String>,
    /// Updating another tenant's rows.
    pub update_other: Option<String>,
    /// Deleting another tenant's rows.
    pub delete_other: Option<String>,
    /// Shared rows (a NULL tenant or a `BRIDGE_SHARED_TENANT` marker) a context saw, at most.
    #[serde(default)]
    pub shared_rows: i64,
    /// Updating shared rows under a tenant's context.
    #[serde(default)]
    pub update_shared: Option<String>,
    /// Deleting shared rows under a tenant's context.
    #[serde(default)]
    pub delete_shared: Option<String>,
}

/// One mutant `--prove` planted, and whether the probe caught it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MutantData {
    /// `permissive-using-true`, `rls-disabled`, `force-off` or `session-set`.
    pub mutant: String,
    /// The table it was planted on (the tenant setting for `session-set`).
    pub relation: String,
    /// The probe reported a leak on the relation under the mutant.
    pub caught: bool,
    /// Why it was not planted or not probed, when so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
