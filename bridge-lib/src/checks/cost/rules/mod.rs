//! The cost check's rules: each a [`Rule`] declared beside the one small, pure function that
//! emits its findings; [`evaluate`] is the list of calls.

use super::formats::{ExportFormat, ONE_PROVIDERS_EXPORT};
use super::model::{Reconciliation, VarianceRow};
use super::units::to_units;
use crate::config::Config;
use crate::finding::{Finding, Rule, Status};
use crate::report::{CheckId, CheckOutcome};
use serde_json::json;

/// The rules of this check.
pub static RULES: [&Rule; 11] = [
    &SKIPPED,
    &VARIANCE,
    &BILLED_UNALLOCATED,
    &ALLOCATED_UNBILLED,
    &OPEN_PERIOD,
    &UNALLOCATABLE,
    &OUTSIDE_PERIODS,
    &DUPLICATE_LINES,
    &UNKNOWN_PROVIDER,
    &CURRENCY_MISMATCH,
    &CORRECTIONS,
];

/// Turns a reconciliation into findings (pure, so each rule is unit-tested without I/O). Per
/// provider and period: its variance (or why there is none) and whether it is open; then the
/// findings about lines and rows set apart.
pub fn evaluate(r: &Reconciliation) -> Vec<Finding> {
    let mut out = Vec::new();
    for v in &r.variance {
        out.extend(allocation_variance_over_threshold(r, v));
        out.extend(billed_without_allocation(r, v));
        out.extend(allocation_without_bill(r, v));
        out.extend(billing_period_open(v));
    }
    out.extend(unallocatable_billed_lines(r));
    out.extend(usage_outside_billing_periods(r));
    out.extend(duplicate_invoice_lines(r));
    out.extend(unknown_provider(r));
    out.extend(billed_currency_mismatch(r));
    out.extend(billed_corrections(r));
    out
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn money(v: f64, cur: &str) -> String {
    format!("{v:.2} {cur}")
}

/// Skipped: no bill or no allocated side configured.
pub static SKIPPED: Rule = Rule {
    check: CheckId::Cost,
    code: "COST000",
    name: "cost-check-skipped",
    title: "cost allocation not reconciled",
    checks: "Whether there is anything to reconcile: at least one provider export in BRIDGE_BILLED_FILES, and \
             an allocated side, either ledger files in BRIDGE_ALLOCATED_FILES or a database (BRIDGE_ADMIN_DATABASE_URL, \
             else DATABASE_URL) whose ledger table (BRIDGE_COST_TABLE, default usage_events) is read.",
    why: "Without the providers' exports (BRIDGE_BILLED_FILES) and a ledger (the database or \
          BRIDGE_ALLOCATED_FILES) there is nothing to reconcile, so the check is skipped with a warning.",
    remedy: "Set BRIDGE_BILLED_FILES=openai_costs.json,anthropic_cost_report.json,pinecone_invoice.csv (invoice CSV, \
             FOCUS CSV/Parquet, OpenAI costs JSON, Anthropic cost report JSON) and BRIDGE_ADMIN_DATABASE_URL to a \
             reporting connection (or BRIDGE_ALLOCATED_FILES=ledger.parquet); to see the check on sample data, run \
             `bridge check --demo --only cost`.",
    limits: "A skip says nothing about cost allocation: the verdict covers it only once both sides are configured. \
             The check never calls the providers' APIs itself; bills are read from exported files only.",
};

/// The skip, when the bills or the allocated side are not configured.
pub fn cost_check_skipped(cfg: &Config) -> Option<CheckOutcome> {
    if cfg.cost.billed_files.is_empty() {
        return Some(crate::checks::skipped(
            CheckId::Cost,
            &SKIPPED,
            "no provider bills configured (BRIDGE_BILLED_FILES is not set)",
            &format!(
                "set BRIDGE_BILLED_FILES to the providers' exports ({}), or run with --demo",
                ExportFormat::list()
            ),
        ));
    }
    if cfg.cost.allocated_files.is_empty() && cfg.admin().is_none() {
        return Some(crate::checks::skipped(
            CheckId::Cost,
            &SKIPPED,
            "no allocated side (DATABASE_URL and BRIDGE_ALLOCATED_FILES are not set)",
            "set BRIDGE_ADMIN_DATABASE_URL (a reporting connection) or DATABASE_URL to read usage_events, or \
             BRIDGE_ALLOCATED_FILES to CSV/Parquet ledgers",
        ));
    }
    None
}

/// Allocated cost differs from the bill by more than the thresholds.
pub static VARIANCE: Rule = Rule {
    check: CheckId::Cost,
    code: "COST001",
    name: "allocation-variance-over-threshold",
    title: "allocated cost differs from the provider's bill",
    checks: "For each provider and billing period (calendar month, UTC) that both sides have, variance = (billed - \
             allocated) / billed, where billed is the usage in the exports (unallocatable, repeated and \
             other-currency lines left out) and allocated is the ledger's sum over every tenant. |variance| up to \
             BRIDGE_COST_WARN (5%) passes, up to BRIDGE_COST_FAIL (10%) warns, beyond fails; both edges are \
             inclusive (exactly 5% passes, exactly 10% warns). Every provider and period gets a finding, passes \
             included.",
    why: "Per provider and billing period, (billed - allocated) / billed must stay within 5% (warn up to \
          10%, fail beyond). A larger gap means per-tenant costs are miscounted, dropped or priced wrong, so \
          per-tenant pricing and quotas built on them would be wrong.",
    remedy: "Compare the ledger's request and token counts with the provider's usage export for that period, day by \
             day (SELECT date_trunc('day', occurred_at), count(*), sum(cost_usd) FROM usage_events WHERE provider = \
             'openai' GROUP BY 1 ORDER BY 1); look for dropped spend logs, calls that bypass the gateway, cached or \
             reasoning tokens priced wrong and stale price maps; fix the metering, then re-run `bridge check --only \
             cost`.",
    limits: "Compares totals per provider and month, not per tenant or model: errors that cancel out (one tenant \
             overcharged, another undercharged) pass, and a failure does not say which tenant is wrong. An open \
             period never fails (COST004). Only lines in the ledger currency are compared.",
};

/// COST001 for a provider and period with both a bill and an allocation.
pub fn allocation_variance_over_threshold(r: &Reconciliation, v: &VarianceRow) -> Option<Finding> {
    let var = v.variance?;
    if v.allocated == 0.0 {
        return None;
    }
    let cur = r.currency.as_str();
    let open = if v.open { " (period still open)" } else { "" };
    let detail = format!(
        "{} {}: expected |variance| <= {} (warn <= {}), found {} (billed {}, allocated {}){open}",
        v.provider,
        v.period,
        pct(r.warn),
        pct(r.fail),
        pct(var),
        money(v.billed, cur),
        money(v.allocated, cur)
    );
    let f = VARIANCE.finding(v.band, &object(v), detail);
    let f = if v.band == Status::Pass {
        f
    } else {
        f.with_remedy(format!(
            "compare request and token counts of the ledger with {}'s usage export for {} (dropped spend \
             logs, traffic bypassing the gateway, cached or reasoning tokens, stale prices), fix the \
             metering, then re-run: bridge check --only cost",
            v.provider, v.period
        ))
    };
    Some(f.with_evidence(json!(v)))
}

fn object(v: &VarianceRow) -> String {
    format!("{}/{}", v.provider, v.period)
}

/// A provider billed a period with no allocation at all.
pub static BILLED_UNALLOCATED: Rule = Rule {
    check: CheckId::Cost,
    code: "COST002",
    name: "billed-without-allocation",
    title: "a provider billed a period the ledger has no cost for",
    checks: "Providers and periods that the exports bill (a non-zero usage total) while the ledger allocates \
             nothing to any tenant. Fails; warns while the period is open.",
    why: "Money paid that no tenant is charged for: usage that bypasses the metering, or a provider the \
          ledger does not know.",
    remedy: "Meter the provider's calls into the ledger: one row per call with tenant, provider, model, time (UTC) \
             and cost (INSERT INTO usage_events (tenant_id, id, occurred_at, provider, model, input_tokens, \
             output_tokens, cost_usd) VALUES (...)), or fix the provider name so ledger and bill agree \
             (BRIDGE_COST_PROVIDERS); then re-run `bridge check --only cost`.",
    limits: "A provider spelled differently in the ledger and in the bill shows as this finding for one name and \
             COST003 for the other (and COST008 when a name is unknown). A bill whose lines sum to zero is COST003's \
             case, not this one.",
};

/// COST002 for a provider and period billed with nothing allocated.
pub fn billed_without_allocation(r: &Reconciliation, v: &VarianceRow) -> Option<Finding> {
    v.variance?;
    if v.allocated != 0.0 {
        return None;
    }
    let open = if v.open { " (period still open)" } else { "" };
    let f = BILLED_UNALLOCATED
        .finding(
            if v.open { Status::Warn } else { Status::Fail },
            &object(v),
            format!(
                "{} {}: billed {} but the ledger allocates nothing to any tenant{open}",
                v.provider,
                v.period,
                money(v.billed, &r.currency)
            ),
        )
        .with_remedy(format!(
            "meter {} calls into the ledger with a tenant, provider and cost (or fix the provider name so it \
             matches the bill), then re-run: bridge check --only cost",
            v.provider
        ));
    Some(f.with_evidence(json!(v)))
}

/// Allocation with no bill for that provider and period.
pub static ALLOCATED_UNBILLED: Rule = Rule {
    check: CheckId::Cost,
    code: "COST003",
    name: "allocation-without-bill",
    title: "the ledger allocates cost for a provider and period with no bill",
    checks: "Providers and periods, within a month that some export covers, where the ledger allocates cost but the \
             exports bill no usage for that provider (no line, or lines summing to zero). Warns.",
    why: "Without the provider's export for the period the allocation cannot be checked; usually an export \
          is missing from BRIDGE_BILLED_FILES.",
    remedy: "Add the provider's export for that period to BRIDGE_BILLED_FILES (invoice CSV, FOCUS, or its cost API \
             JSON), e.g. BRIDGE_BILLED_FILES=openai_costs.json,pinecone_invoice_2026-10.csv, then re-run `bridge \
             check --only cost`.",
    limits: "Cannot tell a missing export from a provider that bills nothing (a free tier) while the ledger charges \
             tenants for it; both warn, never fail. Months no export covers at all are COST006 instead.",
};

/// COST003 for a provider and period allocated with no billed usage.
pub fn allocation_without_bill(r: &Reconciliation, v: &VarianceRow) -> Option<Finding> {
    if v.variance.is_some() {
        return None;
    }
    let f = ALLOCATED_UNBILLED
        .finding(
            Status::Warn,
            &object(v),
            format!(
                "{} {}: allocated {} but no billed usage found in the exports",
                v.provider,
                v.period,
                money(v.allocated, &r.currency)
            ),
        )
        .with_remedy(format!(
            "add {}'s export for {} to BRIDGE_BILLED_FILES ({ONE_PROVIDERS_EXPORT})",
            v.provider, v.period
        ));
    Some(f.with_evidence(json!(v)))
}

/// A billing period is still open.
pub static OPEN_PERIOD: Rule = Rule {
    check: CheckId::Cost,
    code: "COST004",
    name: "billing-period-open",
    title: "a billing period is not final yet",
    checks: "Providers and periods whose billed usage is not final: a period status of open, estimated, pending, \
             provisional, draft or preliminary in an invoice or FOCUS export, or a provider's cost API pages, taken \
             together, stopping before the month ends while its costs may still arrive (until 3 days after the \
             month). Warns. A gap in the pages' days, a page saved twice, a last page saying has_more, or pages \
             stopping early in a month long over are errors instead.",
    why: "Billing data lags (OpenAI a day, Anthropic up to 24 h, Pinecone up to 3 days); an open period's \
          variance is provisional, so it warns and never fails.",
    remedy: "Re-run with fresh exports after the provider closes the period (about a day for OpenAI, 24 h for \
             Anthropic, 3 days for Pinecone after month end): `bridge check --only cost`.",
    limits: "Only as good as the export's own status: an invoice CSV without period_status is taken as final. \
             While a period is open COST001 and COST002 warn instead of failing, so a real gap in the current month \
             shows only as a warning.",
};

/// COST004 for a provider and period not final yet.
pub fn billing_period_open(v: &VarianceRow) -> Option<Finding> {
    v.open.then(|| {
        OPEN_PERIOD
            .finding(
                Status::Warn,
                &object(v),
                format!("{} {} is not final yet; its variance is provisional", v.provider, v.period),
            )
            .with_remedy(
                "re-run after the provider closes the period (Anthropic ~24 h, Pinecone ~3 days after month end)",
            )
    })
}

/// Billed lines no tenant consumed, excluded.
pub static UNALLOCATABLE: Rule = Rule {
    check: CheckId::Cost,
    code: "COST005",
    name: "unallocatable-billed-lines",
    title: "billed lines that no tenant consumed were excluded",
    checks: "Billed lines whose charge category is one of BRIDGE_COST_UNALLOCATABLE (default tax, credit, minimum, \
             purchase): listed with provider, period, category and amount, and left out of the billed side of every \
             variance. A pass, present only when there are such lines.",
    why: "Taxes, credits, platform minimums and purchases are not usage; they are reported apart (with \
          file and row) and excluded from the variance, as Kubecost keeps idle and shared cost apart.",
    remedy: "Nothing to fix when the list is right. When a usage line is excluded, or a fee counts as usage, fix the \
             line's charge category in the export, or set BRIDGE_COST_UNALLOCATABLE=tax,credit,minimum,purchase \
             plus the category.",
    limits: "Trusts the export's charge category; a line without one counts as usage. The excluded cost is not \
             spread over tenants (no shared-cost allocation), so per-tenant margins have to carry it separately.",
};

/// COST005: the excluded lines, in one finding.
pub fn unallocatable_billed_lines(r: &Reconciliation) -> Option<Finding> {
    if r.unallocatable.is_empty() {
        return None;
    }
    let total: i64 = r.unallocatable.iter().map(|l| l.micros).sum();
    let list = r
        .unallocatable
        .iter()
        .map(|l| format!("{} {} {} {}", l.provider, l.period, l.category, money(to_units(l.micros), &l.currency)))
        .collect::<Vec<_>>()
        .join("; ");
    let detail = format!(
        "excluded {} billed lines no tenant consumed ({} in total): {list}",
        r.unallocatable.len(),
        money(to_units(total), &r.currency)
    );
    Some(UNALLOCATABLE.finding(Status::Pass, "", detail).with_evidence(json!(r.unallocatable)))
}

/// Usage dated outside every billed period.
pub static OUTSIDE_PERIODS: Rule = Rule {
    check: CheckId::Cost,
    code: "COST006",
    name: "usage-outside-billing-periods",
    title: "ledger usage falls outside every billed period",
    checks: "Ledger rows dated (UTC) in a month that no billed export covers, for any provider; summed per provider \
             and month. Warns.",
    why: "Usage in a month no export covers cannot be reconciled; either an export is missing or the \
          ledger's timestamps are wrong (local time instead of UTC, a wrong year).",
    remedy: "Add the exports for that month to BRIDGE_BILLED_FILES, or fix the ledger's timestamps: store them as \
             timestamptz (ALTER TABLE usage_events ALTER COLUMN occurred_at TYPE timestamptz USING occurred_at AT \
             TIME ZONE 'the zone they were written in'), or write ISO 8601 UTC times in ledger files.",
    limits: "A month counts as covered when any provider's export covers it; a provider whose own export for a \
             covered month is missing is COST003 instead. These rows are in no variance.",
};

/// COST006: one finding per provider and month outside every billed period.
pub fn usage_outside_billing_periods(r: &Reconciliation) -> Vec<Finding> {
    r.outside
        .iter()
        .map(|o| {
            OUTSIDE_PERIODS
                .finding(
                    Status::Warn,
                    &format!("{}/{}", o.provider, o.period),
                    format!(
                        "{} {}: {} ledger rows ({}) fall in a period no billed export covers",
                        o.provider,
                        o.period,
                        o.events,
                        money(o.cost, &r.currency)
                    ),
                )
                .with_evidence(json!(o))
                .with_remedy(format!(
                    "add the exports for {} to BRIDGE_BILLED_FILES, or fix the ledger's timestamps (UTC)",
                    o.period
                ))
        })
        .collect()
}

/// The same invoice line appears twice.
pub static DUPLICATE_LINES: Rule = Rule {
    check: CheckId::Cost,
    code: "COST007",
    name: "duplicate-invoice-lines",
    title: "an export repeats the same billed line",
    checks: "Billed lines that repeat an earlier line of the same file exactly (every column of a CSV or Parquet \
             row; the same day and result of a cost API export), and lines of an invoice (InvoiceId) that an earlier \
             file already had. The repeat is counted once. Warns.",
    why: "A repeated line (same provider, period, description and amount) is almost always an export or \
          copy mistake; it is counted once and reported so the export can be fixed.",
    remedy: "Delete the repeated line the finding names from the export, or, when two identical charges are real, \
             give each its own line id (invoice_id, or a distinct line_item).",
    limits: "Only exact repeats within one file, and lines of an invoice (InvoiceId) already read from another file; \
             the same charge in two files without invoice ids (an invoice CSV and a FOCUS export of the same month) \
             is counted twice and shows as a negative variance in COST001.",
};

/// COST007: one finding per repeated line.
pub fn duplicate_invoice_lines(r: &Reconciliation) -> Vec<Finding> {
    r.duplicates
        .iter()
        .map(|d| {
            DUPLICATE_LINES
                .finding(
                    Status::Warn,
                    &format!("{}:{}", d.line.source, d.line.location),
                    format!(
                        "{}, {} repeats {} ({} {} {}, {}); counted once",
                        d.line.source,
                        d.line.location,
                        d.first,
                        d.line.provider,
                        d.line.period,
                        d.line.description,
                        money(to_units(d.line.micros), &d.line.currency)
                    ),
                )
                .with_evidence(json!(d))
                .with_remedy(format!(
                    "delete the repeated line ({}) from {}, or give each charge its own line id",
                    d.line.location, d.line.source
                ))
        })
        .collect()
}

/// A provider name the configuration does not know.
pub static UNKNOWN_PROVIDER: Rule = Rule {
    check: CheckId::Cost,
    code: "COST008",
    name: "unknown-provider",
    title: "a provider name is not one of the known providers",
    checks: "Provider names in the exports and in the ledger that match none of BRIDGE_COST_PROVIDERS (default \
             openai, anthropic, pinecone), ignoring case and punctuation and allowing a suffix (`OpenAI, L.L.C.` \
             is openai). One finding per name, where it was first seen. Warns.",
    why: "Provider names must match between the ledger and the bills (BRIDGE_COST_PROVIDERS); an unknown or \
          misspelled one never reconciles.",
    remedy: "Fix the spelling where the finding points, or add the provider: \
             BRIDGE_COST_PROVIDERS=openai,anthropic,pinecone,<name>.",
    limits: "A name that starts with a known one is taken as that provider (`openai-azure` is openai). An unknown \
             name is still reconciled under its lower-case spelling, so it does match when both sides spell it the \
             same.",
};

/// COST008: one finding per unknown provider name.
pub fn unknown_provider(r: &Reconciliation) -> Vec<Finding> {
    r.unknown_providers
        .iter()
        .map(|u| {
            UNKNOWN_PROVIDER
                .finding(
                    Status::Warn,
                    &u.name,
                    format!("provider `{}` at {} is not a known provider", u.name, u.location),
                )
                .with_evidence(json!(u))
                .with_remedy(format!(
                    "fix the name at {}, or add it: BRIDGE_COST_PROVIDERS=openai,anthropic,pinecone,{}",
                    u.location,
                    u.name.to_lowercase()
                ))
        })
        .collect()
}

/// Billed lines in another currency than the ledger.
pub static CURRENCY_MISMATCH: Rule = Rule {
    check: CheckId::Cost,
    code: "COST009",
    name: "billed-currency-mismatch",
    title: "billed lines are in another currency than the ledger",
    checks: "Billed lines whose currency is not the ledger's (BRIDGE_COST_CURRENCY, default USD); they are left out \
             of every variance. One finding with how many and the first. Fails.",
    why: "Currencies are never mixed without an explicit, recorded exchange rate; lines in another currency \
          are left out, so that provider and period cannot be shown to reconcile.",
    remedy: "Export the bill in the ledger's currency, or convert those lines with a recorded exchange rate before \
             reconciling; when the ledger itself is in another currency, set BRIDGE_COST_CURRENCY=EUR (its ISO 4217 \
             code).",
    limits: "Converts nothing and knows no exchange rates. The ledger is taken to be in one currency; the ledger's \
             own currency is not checked.",
};

/// COST009: the lines in another currency, in one finding.
pub fn billed_currency_mismatch(r: &Reconciliation) -> Option<Finding> {
    let first = r.other_currency.first()?;
    let cur = r.currency.as_str();
    let f = CURRENCY_MISMATCH
        .finding(
            Status::Fail,
            "",
            format!(
                "expected billed lines in {cur}, found {} in other currencies, first at {}, {} ({} {}); left out",
                r.other_currency.len(),
                first.source,
                first.location,
                money(to_units(first.micros), &first.currency),
                first.provider
            ),
        )
        .with_evidence(json!(r.other_currency))
        .with_remedy(format!(
            "export the bill in {cur}, or convert those lines with a recorded exchange rate before reconciling \
             (or set BRIDGE_COST_CURRENCY if the ledger is in another currency)"
        ));
    Some(f)
}

/// FOCUS corrections, set apart with the period they correct.
pub static CORRECTIONS: Rule = Rule {
    check: CheckId::Cost,
    code: "COST010",
    name: "billed-corrections",
    title: "the bills correct an earlier period",
    checks: "FOCUS rows whose ChargeClass is Correction: listed with provider, the billing period they are billed \
             in, the period they correct (ChargePeriodStart) and amount, and left out of every variance. One finding \
             per provider and billing period. Warns.",
    why: "A correction (a refund, a re-rated charge) is billed in a later period for usage of an earlier one: \
          counted in its billing period it would distort that period's variance, and the corrected period's \
          variance was computed from a bill now known to be wrong.",
    remedy: "Review the corrected period: re-run the check on it with the provider's current export (FOCUS exports \
             restate the period), e.g. BRIDGE_BILLED_FILES=focus_2026-10.csv bridge check --only cost; when the \
             ledger was priced from the wrong rate, fix the price map that wrote it.",
    limits: "Only FOCUS exports say ChargeClass; credits and adjustments in invoice CSVs and cost API JSON are not \
             told apart from corrections. The corrected period's own variance is not restated here.",
};

/// COST010: one finding per provider and billing period with corrections.
pub fn billed_corrections(r: &Reconciliation) -> Vec<Finding> {
    let mut by: std::collections::BTreeMap<(&str, &str), Vec<&super::model::BilledLine>> = Default::default();
    for l in &r.corrections {
        by.entry((&l.provider, &l.period)).or_default().push(l);
    }
    by.into_iter()
        .map(|((provider, period), lines)| {
            let total: i64 = lines.iter().map(|l| l.micros).sum();
            let mut corrected: Vec<&str> =
                lines.iter().map(|l| if l.corrects.is_empty() { "an unstated period" } else { &l.corrects }).collect();
            corrected.dedup();
            let corrected = corrected.join(", ");
            CORRECTIONS
                .finding(
                    Status::Warn,
                    &format!("{provider}/{period}"),
                    format!(
                        "{provider} {period}: {} correction lines ({}) correct {corrected}; left out of every variance",
                        lines.len(),
                        money(to_units(total), &r.currency)
                    ),
                )
                .with_evidence(json!(lines))
                .with_remedy(format!(
                    "re-run the check on {corrected} with {provider}'s current export, which restates it"
                ))
        })
        .collect()
}

#[cfg(test)]
mod tests;
