//! Live evidence for the recap's four accomplishments of M11.1, read from the environment:
//! row-level security on every tenant-scoped table, a Pinecone namespace per tenant (the names
//! in the index stats), per-tenant cost allocation, and the capacity decision the 80% threshold
//! drives for each tenant (the "auto-scaling" policy).

use super::{block_on, CheckId, Env, Html};
use crate::config::Config;
use crate::db::{quote_ident, quote_qualified};
use crate::render::html::{badge, esc, fmt_count, warning};
use crate::report::data::{parse, CapacityData, TenantUsage};
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::fmt::Write;

/// One tenant's allocated cost per month, read under its own tenant context.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TenantCost {
    /// The tenant id.
    pub tenant: String,
    /// Its tier.
    pub tier: String,
    /// A test tenant.
    pub is_test: bool,
    /// `YYYY-MM` → USD.
    pub months: BTreeMap<String, f64>,
}

/// What the threshold decides for one tenant's namespace.
pub fn scaling_decision(
    t: &TenantUsage,
    warn_percent: f64,
    horizon_days: f64,
    quotas: &BTreeMap<String, u64>,
) -> String {
    let next = |q: u64| quotas.iter().filter(|(_, n)| **n > q).min_by_key(|(_, n)| **n);
    let grow = |q: u64| match next(q) {
        Some((tier, n)) => format!("move to tier {tier} (quota {} records)", fmt_count(*n)),
        None => "move it to a dedicated index (no larger tier)".to_string(),
    };
    match (t.vectors, t.quota, t.percent) {
        (None, _, _) => "create the namespace: no records yet".into(),
        (_, None, _) => format!("no quota for tier {}: set one", t.tier),
        (_, Some(q), Some(p)) if p >= 100.0 => format!("over quota: scale now, {}", grow(q)),
        (_, Some(q), Some(p)) if p >= warn_percent => format!("at {p:.0}% (≥ {warn_percent:.0}%): scale, {}", grow(q)),
        (_, Some(q), Some(p)) => match t.days_to_80 {
            Some(d) if d <= horizon_days => {
                format!("at {p:.1}%: plan, reaches {warn_percent:.0}% in {d:.0} days; then {}", grow(q))
            }
            _ => format!("stay: {p:.1}% used"),
        },
        _ => "no data".into(),
    }
}

impl Env {
    /// The capacity check's data for this environment (in process on a snapshot).
    pub fn capacity_data(&self) -> Result<CapacityData> {
        let o = self.check(CheckId::Capacity);
        if let Some(e) = &o.error {
            return Err(Error::config(format!("the capacity check could not run: {e}"), "see the capacity section"));
        }
        match parse::<CapacityData>(&o.data) {
            Some(Ok(d)) => Ok(d),
            Some(Err(e)) => Err(Error::config(format!("the capacity data could not be read: {e}"), "re-run the cell")),
            None => Err(Error::config(
                "the capacity check measured nothing (no Pinecone configured)",
                "set PINECONE_API_KEY or BRIDGE_PINECONE_SNAPSHOT",
            )),
        }
    }

    /// Each tenant's namespace as the index stats name it, its size, quota and the decision the
    /// warn threshold (80%) drives: stay, plan, scale or scale now.
    pub fn namespaces(&self) -> Html {
        match self.capacity_data() {
            Ok(d) => Html(namespaces_html(&d, &self.config.capacity.tier_quotas)),
            Err(e) => Html(warning(&e.to_string())),
        }
    }

    /// Each tenant's allocated cost per month, read under its own tenant context.
    pub fn tenant_costs(&self) -> Result<Vec<TenantCost>> {
        block_on(tenant_costs(&self.config))
    }

    /// The four accomplishments of M11.1, each with its evidence from this environment.
    pub fn accomplishments(&self) -> Html {
        let mut h = String::from("<h4>1. Row-level security on every tenant-scoped table</h4>");
        match block_on(super::recap::gather(&self.config)) {
            Ok(r) => h.push_str(&super::recap::tables_html(&r)),
            Err(e) => h.push_str(&warning(&e.to_string())),
        }
        h.push_str("<h4>2. A Pinecone namespace per tenant</h4>");
        h.push_str(&self.namespaces().0);
        h.push_str("<h4>3. Per-tenant cost allocation</h4>");
        match self.tenant_costs() {
            Ok(c) => h.push_str(&costs_html(&c)),
            Err(e) => h.push_str(&warning(&e.to_string())),
        }
        h.push_str(
            "<h4>4. Auto-scaling of namespace capacity</h4><p>The <i>decision</i> column above: \
             below the warn share a tenant stays; at or over it (80%) the platform moves it up a tier \
             or to a dedicated index; a forecast inside the horizon says when to plan.</p>",
        );
        Html(h)
    }
}

/// The namespaces table with the scaling decision.
pub fn namespaces_html(d: &CapacityData, quotas: &BTreeMap<String, u64>) -> String {
    let mut h = format!(
        "<p>from {}: {} namespaces in the index</p><table><thead><tr><th style=\"text-align:left\">tenant</th>\
         <th style=\"text-align:left\">namespace (index stats)</th><th style=\"text-align:left\">tier</th>\
         <th style=\"text-align:right\">records</th><th style=\"text-align:right\">quota</th>\
         <th style=\"text-align:right\">used</th><th style=\"text-align:right\">growth / day</th>\
         <th style=\"text-align:left\">decision</th></tr></thead><tbody>",
        esc(&d.source),
        d.index.namespaces
    );
    for t in &d.tenants {
        let num = |v: Option<String>| v.unwrap_or_else(|| "—".into());
        let _ = write!(
            h,
            "<tr><td style=\"text-align:left\">{}</td><td style=\"text-align:left\"><code>{}</code></td>\
             <td style=\"text-align:left\">{}</td><td style=\"text-align:right\">{}</td><td style=\"text-align:right\">{}</td>\
             <td style=\"text-align:right\">{}</td><td style=\"text-align:right\">{}</td><td style=\"text-align:left\">{} {}</td></tr>",
            esc(&t.tenant),
            esc(if t.vectors.is_some() { &t.namespace } else { "(missing)" }),
            esc(&t.tier),
            num(t.vectors.map(fmt_count)),
            num(t.quota.map(fmt_count)),
            num(t.percent.map(|p| format!("{p:.1}%"))),
            num(t.growth_per_day.map(|g| fmt_count(g.round().max(0.0) as u64))),
            badge(t.status.as_str()),
            esc(&scaling_decision(t, d.warn_percent, d.horizon_days, quotas))
        );
    }
    for o in &d.orphans {
        let _ = write!(
            h,
            "<tr><td style=\"text-align:left\"><i>no tenant</i></td><td style=\"text-align:left\"><code>{}</code></td>\
             <td></td><td style=\"text-align:right\">{}</td><td></td><td></td><td></td>\
             <td style=\"text-align:left\">{} orphan: delete it or register its tenant</td></tr>",
            esc(&o.namespace),
            fmt_count(o.vectors),
            badge("warn")
        );
    }
    h.push_str("</tbody></table>");
    h
}

/// The per-tenant cost table, one column per month.
pub fn costs_html(costs: &[TenantCost]) -> String {
    let months: std::collections::BTreeSet<&String> = costs.iter().flat_map(|c| c.months.keys()).collect();
    let mut h = String::from(
        "<p>allocated cost (USD) per tenant and month, each tenant read under its own context</p><table><thead><tr>\
         <th style=\"text-align:left\">tenant</th><th style=\"text-align:left\">tier</th>",
    );
    for m in &months {
        let _ = write!(h, "<th style=\"text-align:right\">{}</th>", esc(m));
    }
    h.push_str("</tr></thead><tbody>");
    for c in costs {
        let _ = write!(
            h,
            "<tr><td style=\"text-align:left\">{}{}</td><td style=\"text-align:left\">{}</td>",
            esc(&c.tenant),
            if c.is_test { " <i>(test)</i>" } else { "" },
            esc(&c.tier)
        );
        for m in &months {
            let _ = write!(h, "<td style=\"text-align:right\">${:.2}</td>", c.months.get(*m).copied().unwrap_or(0.0));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>");
    h
}

async fn tenant_costs(cfg: &Config) -> Result<Vec<TenantCost>> {
    let target = cfg.database.as_ref().ok_or_else(|| {
        Error::config("DATABASE_URL is not set", "set it to the application's connection, or use the demo")
    })?;
    let mut client = crate::db::connect(target).await?;
    let tx = crate::db::read_only(&mut client).await?;
    // production tenants first, each group by id (the registry's order)
    let mut tenants = crate::tenant::list(&tx, &cfg.tenancy).await?;
    tenants.sort_by_key(|t| t.is_test);
    let c = &cfg.cost.columns;
    let sql = format!(
        "SELECT to_char({at}, 'YYYY-MM'), coalesce(sum({cost}), 0)::float8 FROM {table}
          WHERE {tenant}::text = $1 GROUP BY 1 ORDER BY 1",
        at = quote_ident(&c.time),
        cost = quote_ident(&c.cost),
        table = quote_qualified(&cfg.cost.table),
        tenant = quote_ident(&c.tenant)
    );
    let mut out = Vec::new();
    for crate::tenant::Tenant { id, tier, is_test, .. } in tenants {
        cfg.tenancy.context.set(&tx, &id).await?;
        let rows =
            tx.query(&sql, &[&id]).await.map_err(|e| Error::query(format!("summing the cost of tenant {id}"), &e))?;
        let months = rows.iter().map(|r| (r.get::<_, String>(0), r.get::<_, f64>(1))).collect();
        out.push(TenantCost { tenant: id, tier, is_test, months });
    }
    let _ = tx.rollback().await;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Status;

    fn usage(tier: &str, vectors: Option<u64>, quota: Option<u64>, days_to_80: Option<f64>) -> TenantUsage {
        TenantUsage {
            tenant: "t".into(),
            namespace: "t".into(),
            tier: tier.into(),
            active: true,
            vectors,
            quota,
            percent: vectors.zip(quota).map(|(v, q)| v as f64 * 100.0 / q as f64),
            growth_per_day: None,
            days_to_80,
            days_to_full: None,
            status: Status::Pass,
        }
    }

    #[test]
    fn the_threshold_decides_stay_plan_scale_or_scale_now() {
        let q = crate::config::CapacityConfig::default().tier_quotas;
        let d = |u: TenantUsage| scaling_decision(&u, 80.0, 30.0, &q);
        assert_eq!(d(usage("pro", Some(310_000), Some(1_000_000), Some(400.0))), "stay: 31.0% used");
        assert!(d(usage("pro", Some(700_000), Some(1_000_000), Some(20.0)))
            .starts_with("at 70.0%: plan, reaches 80% in 20 days"));
        assert_eq!(
            d(usage("pro", Some(870_000), Some(1_000_000), Some(0.0))),
            "at 87% (≥ 80%): scale, move to tier enterprise (quota 10,000,000 records)"
        );
        assert!(d(usage("enterprise", Some(11_000_000), Some(10_000_000), None))
            .contains("over quota: scale now, move it to a dedicated index"));
        assert!(d(usage("pro", None, Some(1_000_000), None)).starts_with("create the namespace"));
        assert!(d(usage("odd", Some(5), None, None)).starts_with("no quota for tier odd"));
    }

    #[test]
    fn counts_get_thousands_separators() {
        use crate::render::html::fmt_count;
        assert_eq!(fmt_count(0), "0");
        assert_eq!(fmt_count(999), "999");
        assert_eq!(fmt_count(1000), "1,000");
        assert_eq!(fmt_count(10_000_000), "10,000,000");
    }
}
