//! The call-forward preview for M11.2 (per-tenant model selection), computed from the
//! environment's own usage: what moving each tenant's small requests to a cheaper model would
//! save per month.
//!
//! Usage is read on the application's connection, one tenant at a time under its own tenant
//! context (row-level security hides every row without it) and filtered on the tenant column
//! as well, so the figures are right even where isolation is broken.

use crate::config::Config;
use crate::db::quote_qualified;
use crate::render::html::esc;
use crate::{Error, Result};
use std::fmt::Write;

/// What the preview assumes. Edit a field in the notebook and re-run the cell.
#[derive(Debug, Clone)]
pub struct Assumptions {
    /// A request is small when its input plus output tokens are at most this. Default 800.
    pub small_request_tokens: i32,
    /// The cheaper model's cost per request as a fraction of today's. Default 0.25.
    pub cheaper_cost_ratio: f64,
    /// Providers whose requests are model calls (others, such as the vector store, are left
    /// alone). Default `openai`, `anthropic`.
    pub llm_providers: Vec<String>,
    /// The usage table: `tenant column`, `occurred_at`, `provider`, `input_tokens`,
    /// `output_tokens`, `cost_usd`. Default `usage_events`.
    pub usage_table: String,
}

impl Default for Assumptions {
    fn default() -> Self {
        Assumptions {
            small_request_tokens: 800,
            cheaper_cost_ratio: 0.25,
            llm_providers: vec!["openai".into(), "anthropic".into()],
            usage_table: "usage_events".into(),
        }
    }
}

/// One tenant's figures, per 30-day month.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TenantSavings {
    /// The tenant id.
    pub tenant: String,
    /// Its tier.
    pub tier: String,
    /// Model requests per month.
    pub requests_per_month: f64,
    /// Small model requests per month.
    pub small_per_month: f64,
    /// Model spend per month, USD.
    pub spend_per_month: f64,
    /// What the cheaper model would save per month, USD.
    pub saving_per_month: f64,
}

/// The preview: one row per tenant with usage.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Preview {
    /// The assumptions used.
    #[serde(skip)]
    pub assumptions: Assumptions,
    /// Per tenant, largest saving first.
    pub tenants: Vec<TenantSavings>,
    /// Why the preview could not be computed, when it could not.
    pub error: Option<String>,
}

impl Preview {
    /// The total saving per month, USD.
    pub fn total_saving(&self) -> f64 {
        self.tenants.iter().map(|t| t.saving_per_month).sum()
    }

    /// The saving of one tenant, if it has usage.
    pub fn saving_of(&self, tenant: &str) -> Option<f64> {
        self.tenants.iter().find(|t| t.tenant == tenant).map(|t| t.saving_per_month)
    }

    /// The preview as an HTML table.
    pub fn html(&self) -> String {
        if let Some(e) = &self.error {
            return crate::render::html::warning(&format!("preview unavailable: {e}"));
        }
        let a = &self.assumptions;
        let mut h = format!(
            "<p>small request: at most {} tokens; cheaper model: {:.0}% of today's cost per request; providers: {}</p>\
             <table><thead><tr><th>tenant</th><th>tier</th><th style=\"text-align:right\">model requests / month</th>\
             <th style=\"text-align:right\">small</th><th style=\"text-align:right\">model spend / month</th>\
             <th style=\"text-align:right\">saving / month</th></tr></thead><tbody>",
            a.small_request_tokens,
            a.cheaper_cost_ratio * 100.0,
            esc(&a.llm_providers.join(", "))
        );
        for t in &self.tenants {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td style=\"text-align:right\">{:.0}</td><td style=\"text-align:right\">{:.0}</td>\
                 <td style=\"text-align:right\">${:.2}</td><td style=\"text-align:right\"><b>${:.2}</b></td></tr>",
                esc(&t.tenant),
                esc(&t.tier),
                t.requests_per_month,
                t.small_per_month,
                t.spend_per_month,
                t.saving_per_month
            );
        }
        let _ = write!(
            h,
            "</tbody><tfoot><tr><td colspan=\"5\" style=\"text-align:right\"><b>total</b></td><td style=\"text-align:right\"><b>${:.2}</b></td></tr></tfoot></table>",
            self.total_saving()
        );
        h
    }

    /// The preview as text.
    pub fn text(&self) -> String {
        if let Some(e) = &self.error {
            return format!("preview unavailable: {e}");
        }
        let mut s = String::new();
        for t in &self.tenants {
            let _ = writeln!(s, "{:<14} {:<11} saves ${:.2}/month", t.tenant, t.tier, t.saving_per_month);
        }
        let _ = writeln!(s, "total          saves ${:.2}/month", self.total_saving());
        s
    }
}

/// Computes the preview.
pub async fn preview(cfg: &Config, a: &Assumptions) -> Result<Preview> {
    if !(0.0..=1.0).contains(&a.cheaper_cost_ratio) {
        return Err(Error::config(
            format!("cheaper_cost_ratio {} is not a fraction", a.cheaper_cost_ratio),
            "set it between 0.0 and 1.0 (0.25: the cheaper model costs a quarter)",
        ));
    }
    let target = cfg.database.as_ref().ok_or_else(|| {
        Error::config("DATABASE_URL is not set", "set it to the application's connection, or use the demo")
    })?;
    let mut client = crate::db::connect(target).await?;
    let tx = crate::db::read_only(&mut client).await?;
    let tenants = crate::tenant::list(&tx, &cfg.tenancy).await?;
    let sql = format!(
        "SELECT count(*)::float8,
                count(*) FILTER (WHERE input_tokens + output_tokens <= $2)::float8,
                coalesce(sum(cost_usd), 0)::float8,
                coalesce(sum(cost_usd) FILTER (WHERE input_tokens + output_tokens <= $2), 0)::float8,
                coalesce(extract(epoch FROM max(occurred_at) - min(occurred_at)) / 86400.0, 0)::float8
           FROM {} WHERE {}::text = $1 AND provider = ANY($3)",
        quote_qualified(&a.usage_table),
        cfg.tenancy.column_sql()
    );
    let mut out = Vec::new();
    for crate::tenant::Tenant { id, tier, .. } in tenants {
        cfg.tenancy.context.set(&tx, &id).await?;
        let r = tx
            .query_one(&sql, &[&id, &a.small_request_tokens, &a.llm_providers])
            .await
            .map_err(|e| Error::query(format!("summing the usage of tenant {id} in {}", a.usage_table), &e))?;
        let (n, small, spend, small_spend, days): (f64, f64, f64, f64, f64) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        if n == 0.0 {
            continue;
        }
        let per_month = 30.0 / days.max(1.0);
        out.push(TenantSavings {
            tenant: id,
            tier,
            requests_per_month: n * per_month,
            small_per_month: small * per_month,
            spend_per_month: spend * per_month,
            saving_per_month: small_spend * (1.0 - a.cheaper_cost_ratio) * per_month,
        });
    }
    tx.rollback().await.map_err(|e| Error::query("rolling back", &e))?;
    out.sort_by(|x, y| y.saving_per_month.total_cmp(&x.saving_per_month));
    Ok(Preview { assumptions: a.clone(), tenants: out, error: None })
}
