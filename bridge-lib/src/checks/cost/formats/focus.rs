//! A FinOps FOCUS export, CSV or Parquet: `BilledCost` by `BillingPeriodStart` and
//! `ProviderName` or `ServiceProviderName`, in `BillingCurrency`; optionally `ChargeCategory`,
//! `ChargeDescription` and `BillingPeriodStatus`. Lenient on the case of column names,
//! E-notation amounts and time formats; other columns (`x_…` extensions) are ignored.

use super::tabular::Layout;

/// Its columns.
pub const LAYOUT: Layout = Layout {
    name: "FOCUS",
    columns: "BilledCost, BillingPeriodStart, ProviderName (or ServiceProviderName), BillingCurrency",
    cost: ("BilledCost", &["BilledCost"]),
    period: ("BillingPeriodStart", &["BillingPeriodStart"]),
    provider: ("ProviderName", &["ServiceProviderName", "ProviderName"]),
    currency: ("BillingCurrency", &["BillingCurrency"]),
};
