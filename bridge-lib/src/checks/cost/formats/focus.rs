//! A FinOps FOCUS export (1.0-1.3), CSV or Parquet: `BilledCost` by `BillingPeriodStart` and
//! provider, in `BillingCurrency`; optionally `ChargeCategory`, `ChargeClass` (with
//! `ChargePeriodStart`, the period a correction corrects), `ChargeDescription`, `SkuId`,
//! `SubAccountId`, `InvoiceId` and `BillingPeriodStatus`. The provider is the first of
//! `BRIDGE_COST_FOCUS_PROVIDER_COLUMNS` (default `ServiceProviderName`, `ProviderName`,
//! `PublisherName`) that names a known provider: up to FOCUS 1.2 a marketplace purchase names the
//! marketplace in `ProviderName` and the seller in `PublisherName`. `BilledCost` may be negative
//! on any charge (refunds and corrections on Usage, Tax and Purchase rows). Lenient on the case
//! of column names, E-notation amounts and time formats; other columns (`x_…`) are ignored.

use super::tabular::Layout;

/// Its columns.
pub const LAYOUT: Layout = Layout {
    name: "FOCUS",
    columns: "BilledCost, BillingPeriodStart, ProviderName (or ServiceProviderName), BillingCurrency",
    cost: ("BilledCost", &["BilledCost"]),
    period: ("BillingPeriodStart", &["BillingPeriodStart"]),
    provider: ("ProviderName", &["ServiceProviderName", "ProviderName", "PublisherName"]),
    currency: ("BillingCurrency", &["BillingCurrency"]),
    any_negative: true,
    provider_by_setting: true,
};
