//! A plain invoice CSV, one line per charge: `provider, billing_period, billed_cost, currency`,
//! optionally `line_item`/`description`, `charge_category`, `period_status` and `invoice_id`.
//! The period is a month (`2026-10`) or its first day; the cost a plain decimal; a negative
//! amount only on a `credit`, `adjustment` or `refund` line.

use super::tabular::Layout;

/// Its columns.
pub const LAYOUT: Layout = Layout {
    name: "plain invoice CSV",
    columns: "provider, billing_period, billed_cost, currency",
    cost: ("billed_cost", &["billed_cost"]),
    period: ("billing_period", &["billing_period"]),
    provider: ("provider", &["provider"]),
    currency: ("currency", &["currency"]),
    any_negative: false,
    provider_by_setting: false,
};
