//! The call-forward's per-tenant model selection (M11.2): today every tenant runs on one model;
//! with a model per tier, what would each production tenant cost per month, and what does that
//! save? Computed from the environment's own token usage (test tenants left out), then scaled to
//! a realistic volume with the arithmetic shown, next to the brief's "$18,500/month potential
//! savings".

use super::{block_on, Env, Html};
use crate::config::Config;
use crate::db::{quote_ident, quote_qualified};
use crate::render::html::{esc, fmt_count, warning};
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The brief's figure for the savings M11.2's cost optimization can reach, USD per month.
pub const BRIEF_SAVINGS_PER_MONTH: f64 = 18_500.0;

/// A model's list price, USD per million tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelPrice {
    /// The model's name (`gpt-4`).
    pub model: String,
    /// USD per million input tokens.
    pub input_per_million: f64,
    /// USD per million output tokens.
    pub output_per_million: f64,
}

impl ModelPrice {
    /// A price row.
    pub fn new(model: &str, input_per_million: f64, output_per_million: f64) -> Self {
        ModelPrice { model: model.into(), input_per_million, output_per_million }
    }
}

/// The plan: today's model, the model per tier, the price table and the volume to scale to.
/// Edit a field in the notebook and re-run the cell.
#[derive(Debug, Clone)]
pub struct ModelPlan {
    /// The one model every tenant uses today. Default `gpt-4`.
    pub today: String,
    /// Tier → model under M11.2. Default enterprise `gpt-4`, pro `claude-3-sonnet`, starter
    /// `gpt-3.5-turbo`.
    pub by_tier: BTreeMap<String, String>,
    /// List prices, USD per million tokens (defaults: the providers' published prices for these
    /// models: GPT-4 30/60, Claude 3 Sonnet 3/15, GPT-3.5 Turbo 0.50/1.50).
    pub prices: Vec<ModelPrice>,
    /// Model requests per month of a realistic production platform, to scale the demo's saving
    /// per request to. Default 1,000,000.
    pub realistic_requests_per_month: f64,
    /// Providers whose usage rows are model calls. Default `openai`, `anthropic`.
    pub llm_providers: Vec<String>,
}

impl Default for ModelPlan {
    fn default() -> Self {
        ModelPlan {
            today: "gpt-4".into(),
            by_tier: [("enterprise", "gpt-4"), ("pro", "claude-3-sonnet"), ("starter", "gpt-3.5-turbo")]
                .into_iter()
                .map(|(t, m)| (t.to_string(), m.to_string()))
                .collect(),
            prices: vec![
                ModelPrice::new("gpt-4", 30.0, 60.0),
                ModelPrice::new("claude-3-sonnet", 3.0, 15.0),
                ModelPrice::new("gpt-3.5-turbo", 0.50, 1.50),
            ],
            realistic_requests_per_month: 1_000_000.0,
            llm_providers: vec!["openai".into(), "anthropic".into()],
        }
    }
}

impl ModelPlan {
    fn price(&self, model: &str) -> Result<&ModelPrice> {
        self.prices.iter().find(|p| p.model == model).ok_or_else(|| {
            Error::config(format!("model `{model}` has no price"), "add it to plan.prices with ModelPrice::new")
        })
    }

    fn cost(&self, model: &str, input: f64, output: f64) -> Result<f64> {
        let p = self.price(model)?;
        Ok((input * p.input_per_million + output * p.output_per_million) / 1e6)
    }
}

/// One production tenant under the plan, per 30-day month.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TenantModel {
    /// The tenant id.
    pub tenant: String,
    /// Its tier.
    pub tier: String,
    /// The model its tier gets.
    pub model: String,
    /// Model requests per month.
    pub requests: f64,
    /// Input and output tokens per month.
    pub input_tokens: f64,
    /// Output tokens per month.
    pub output_tokens: f64,
    /// USD per month on today's model.
    pub today_cost: f64,
    /// USD per month on its tier's model.
    pub planned_cost: f64,
}

/// The model selection preview.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The plan used.
    pub plan: ModelPlan,
    /// Production tenants (test tenants are left out).
    pub tenants: Vec<TenantModel>,
    /// Test tenants left out.
    pub left_out: Vec<String>,
}

impl Selection {
    /// Requests per month, all production tenants.
    pub fn requests(&self) -> f64 {
        self.tenants.iter().map(|t| t.requests).sum()
    }

    /// The saving per month in this environment, USD.
    pub fn saving(&self) -> f64 {
        self.tenants.iter().map(|t| t.today_cost - t.planned_cost).sum()
    }

    /// The saving per 1,000 requests at this environment's tier and token mix, USD.
    pub fn saving_per_thousand(&self) -> f64 {
        if self.requests() > 0.0 {
            self.saving() / self.requests() * 1000.0
        } else {
            0.0
        }
    }

    /// The saving per month at the plan's realistic volume, USD.
    pub fn scaled_saving(&self) -> f64 {
        self.saving_per_thousand() * self.plan.realistic_requests_per_month / 1000.0
    }

    /// The HTML: the price table, the per-tenant table, the scaling arithmetic.
    pub fn html(&self) -> String {
        let p = &self.plan;
        let mut h = String::from(
            "<table><thead><tr><th style=\"text-align:left\">tier</th><th style=\"text-align:left\">model under M11.2</th>\
             <th style=\"text-align:right\">USD / 1M input tokens</th><th style=\"text-align:right\">USD / 1M output tokens</th></tr></thead><tbody>",
        );
        let mut rows: Vec<(String, String)> = vec![("today: every tier".into(), p.today.clone())];
        rows.extend(p.by_tier.iter().map(|(t, m)| (t.clone(), m.clone())));
        for (tier, model) in rows {
            let (i, o) =
                p.price(&model).map(|m| (m.input_per_million, m.output_per_million)).unwrap_or((f64::NAN, f64::NAN));
            let _ = write!(
                h,
                "<tr><td style=\"text-align:left\">{}</td><td style=\"text-align:left\"><code>{}</code></td>\
                 <td style=\"text-align:right\">${i:.2}</td><td style=\"text-align:right\">${o:.2}</td></tr>",
                esc(&tier),
                esc(&model)
            );
        }
        h.push_str(
            "</tbody></table><table><thead><tr><th style=\"text-align:left\">tenant</th><th style=\"text-align:left\">tier → model</th>\
             <th style=\"text-align:right\">requests / month</th><th style=\"text-align:right\">tokens in / out</th>\
             <th style=\"text-align:right\">today</th><th style=\"text-align:right\">with its tier's model</th>\
             <th style=\"text-align:right\">saving / month</th></tr></thead><tbody>",
        );
        for t in &self.tenants {
            let _ = write!(
                h,
                "<tr><td style=\"text-align:left\">{}</td><td style=\"text-align:left\">{} → <code>{}</code></td>\
                 <td style=\"text-align:right\">{}</td><td style=\"text-align:right\">{} / {}</td>\
                 <td style=\"text-align:right\">${:.2}</td><td style=\"text-align:right\">${:.2}</td>\
                 <td style=\"text-align:right\"><b>${:.2}</b></td></tr>",
                esc(&t.tenant),
                esc(&t.tier),
                esc(&t.model),
                fmt_count(t.requests.round() as u64),
                fmt_count(t.input_tokens.round() as u64),
                fmt_count(t.output_tokens.round() as u64),
                t.today_cost,
                t.planned_cost,
                t.today_cost - t.planned_cost
            );
        }
        let _ = write!(
            h,
            "</tbody><tfoot><tr><td colspan=\"6\" style=\"text-align:left\"><b>this environment, per month</b></td>\
             <td style=\"text-align:right\"><b>${:.2}</b></td></tr></tfoot></table>",
            self.saving()
        );
        if !self.left_out.is_empty() {
            let _ = write!(h, "<p>left out (test tenants): {}</p>", esc(&self.left_out.join(", ")));
        }
        let need = if self.saving_per_thousand() > 0.0 {
            BRIEF_SAVINGS_PER_MONTH / self.saving_per_thousand() * 1000.0
        } else {
            0.0
        };
        let lines = [
            format!(
                "saving per 1,000 requests = ${:.2} / {} requests × 1,000 = ${:.2}",
                self.saving(),
                fmt_count(self.requests().round() as u64),
                self.saving_per_thousand()
            ),
            format!(
                "at {} requests / month = ${:.2} × {} = ${}/month",
                fmt_count(p.realistic_requests_per_month as u64),
                self.saving_per_thousand(),
                fmt_count((p.realistic_requests_per_month / 1000.0) as u64),
                fmt_count(self.scaled_saving().round() as u64)
            ),
            format!(
                "the brief's $18,500/month = {} requests / month at this mix (18,500 / ${:.2} × 1,000)",
                fmt_count(need.round() as u64),
                self.saving_per_thousand()
            ),
        ];
        let _ = write!(
            h,
            "<p><b>Scaled to a realistic volume</b> (the arithmetic; test tenants left out):</p><pre>{}</pre>",
            esc(&lines.join("\n"))
        );
        h
    }
}

impl Env {
    /// Per-tenant model selection under `plan`, from this environment's usage. A problem is
    /// shown in the output, not raised.
    pub fn model_selection(&self, plan: &ModelPlan) -> Html {
        match block_on(selection(&self.config, plan)) {
            Ok(s) => Html(s.html()),
            Err(e) => Html(warning(&format!("model selection unavailable: {e}"))),
        }
    }
}

/// Computes the selection: each production tenant's monthly tokens under its own context,
/// priced on today's model and on its tier's.
pub async fn selection(cfg: &Config, plan: &ModelPlan) -> Result<Selection> {
    let target = cfg.database.as_ref().ok_or_else(|| {
        Error::config("DATABASE_URL is not set", "set it to the application's connection, or use the demo")
    })?;
    let mut client = crate::db::connect(target).await?;
    let tx = crate::db::read_only(&mut client).await?;
    let registry = crate::tenant::list(&tx, &cfg.tenancy).await?;
    let sql = format!(
        "SELECT count(*)::float8, coalesce(sum(input_tokens), 0)::float8, coalesce(sum(output_tokens), 0)::float8,
                coalesce(extract(epoch FROM max(occurred_at) - min(occurred_at)) / 86400.0, 0)::float8
           FROM {} WHERE {}::text = $1 AND provider = ANY($2)",
        quote_qualified(&cfg.cost.table),
        quote_ident(&cfg.tenancy.column)
    );
    let (mut tenants, mut left_out) = (Vec::new(), Vec::new());
    for crate::tenant::Tenant { id, tier, is_test, .. } in registry {
        if is_test {
            left_out.push(id);
            continue;
        }
        cfg.tenancy.context.set(&tx, &id).await?;
        let u = tx
            .query_one(&sql, &[&id, &plan.llm_providers])
            .await
            .map_err(|e| Error::query(format!("summing the tokens of tenant {id}"), &e))?;
        let (n, input, output, days): (f64, f64, f64, f64) = (u.get(0), u.get(1), u.get(2), u.get(3));
        if n == 0.0 {
            continue;
        }
        let per_month = 30.0 / days.max(1.0);
        let model = plan.by_tier.get(&tier).cloned().unwrap_or_else(|| plan.today.clone());
        let (input, output) = (input * per_month, output * per_month);
        tenants.push(TenantModel {
            today_cost: plan.cost(&plan.today, input, output)?,
            planned_cost: plan.cost(&model, input, output)?,
            tenant: id,
            tier,
            model,
            requests: n * per_month,
            input_tokens: input,
            output_tokens: output,
        });
    }
    let _ = tx.rollback().await;
    Ok(Selection { plan: plan.clone(), tenants, left_out })
}
