//! RLS043: rows visible with the tenant setting set to the empty string, and the policy escape
//! that lets them through.

use super::shared::{app_policies, remedy_for, rows};
use crate::checks::rls::catalog::Catalog;
use crate::checks::rls::policy::escape;
use crate::checks::rls::probe::Observations;
use crate::config::Config;
use crate::db::{quote_ident, quote_literal};
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// Rows are visible with the tenant setting set to the empty string.
pub static EMPTY_CONTEXT_READ: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS043",
    name: "empty-context-read",
    title: "rows are visible with the tenant setting set to the empty string",
    checks: "Live, inside the probe transaction: with the tenant setting set to '' (the application's way, or \
             `set_config(setting, '', true)`), the rows visible through every readable tenant relation that shows \
             none with the setting never set (that case is RLS022's). The finding names each policy on the table \
             whose USING has an escape branch (`… OR current_setting(…) = ''`).",
    why: "A pooler's `RESET`, a middleware default or a request that sets the tenant to an empty value leaves the \
          setting as '', not NULL: a policy with an `OR current_setting(...) = ''` branch then shows every \
          tenant's rows to a request that has no tenant at all.",
    remedy: "Drop the escape from the named policy: `ALTER POLICY tenant_isolation ON t USING (tenant_id = \
             current_setting('app.current_tenant', true));` (an admin path belongs in a separate role, not in the \
             tenant policy).",
    limits: "Shared rows (a NULL tenant or a BRIDGE_SHARED_TENANT marker) are not counted. Only the empty string is \
             tried, not other sentinel values (`'none'`, `'*'`). Tables whose every SELECT policy is the plain \
             `tenant_id = current_setting(…)` comparison are not read (the empty string matches only a '' tenant \
             there). Counts at most 100,000 rows per relation.",
};

/// RLS043 for each relation that shows rows under the empty-string context and none without one.
pub fn empty_context_read(cfg: &Config, cat: &Catalog, obs: &Observations) -> Vec<Finding> {
    let (tcol, setting) = (&cfg.tenancy.column, &cfg.tenancy.context.setting);
    let mut out = Vec::new();
    for (rel, c) in &obs.empty_context {
        let Some((own, other)) = rows(Some(c)) else { continue };
        let without = rows(obs.no_context.get(rel)).map_or(0, |(o, x)| o + x);
        if own + other == 0 || without > 0 {
            continue;
        }
        let escapes: Vec<(String, String)> = cat
            .relations
            .iter()
            .filter(|r| r.name == *rel)
            .flat_map(|r| app_policies(cat, r))
            .filter(|p| p.permissive)
            .filter_map(|p| p.using.as_deref().and_then(|u| escape(u, tcol)).map(|b| (p.name.clone(), b)))
            .collect();
        let named = escapes.iter().map(|(p, b)| format!("policy `{p}` lets it through with `{b}`")).collect::<Vec<_>>();
        let detail = format!(
            "expected 0 rows through `{rel}` with {setting} set to '', found {}{}",
            own + other,
            if named.is_empty() { String::new() } else { format!(": {}", named.join("; ")) }
        );
        let ctx = format!("current_setting({}, true)", quote_literal(setting));
        let remedy = if escapes.is_empty() {
            remedy_for(cat, rel)
        } else {
            escapes
                .iter()
                .map(|(p, _)| {
                    format!("ALTER POLICY {} ON {rel} USING ({} = {ctx});", quote_ident(p), quote_ident(tcol))
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let key = escapes.first().map_or(rel.clone(), |(p, _)| format!("{rel}/{p}"));
        out.push(
            EMPTY_CONTEXT_READ
                .finding(Status::Fail, &key, detail)
                .with_evidence(json!({"relation": rel, "rows_with_empty_setting": own + other,
                                      "escapes": escapes.iter().map(|(p, b)| json!({"policy": p, "escape": b})).collect::<Vec<_>>()}))
                .with_remedy(remedy),
        );
    }
    out
}

#[cfg(test)]
const ESCAPE: &str = "((tenant_id = current_setting('app.current_tenant'::text, true)) OR (current_setting('app.current_tenant'::text, true) = ''::text))";

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    use super::fixtures::{self, count, DOCS};
    let (cfg, mut cat, mut obs) = (fixtures::cfg(), fixtures::catalog(), fixtures::observations());
    cat.policies[0].using = Some(ESCAPE.into());
    obs.empty_context.insert(DOCS.into(), count(0, 6));
    empty_context_read(&cfg, &cat, &obs)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, count, problems, DOCS};
    use super::*;

    #[test]
    fn rls043_empty_context_read_fires() {
        let f = triggers();
        assert_eq!(problems(&f, "RLS043"), ["RLS043:public.docs/tenant_isolation"]);
        assert!(f[0].detail.ends_with("found 6: policy `tenant_isolation` lets it through with `(current_setting('app.current_tenant'::text, true) = ''::text)`"), "{}", f[0].detail);
        assert_eq!(
            f[0].remedy.as_deref(),
            Some("ALTER POLICY \"tenant_isolation\" ON public.docs USING (\"tenant_id\" = current_setting('app.current_tenant', true));")
        );
    }

    #[test]
    fn rls043_empty_context_read_quiet() {
        let (cfg, cat, mut obs) = (fixtures::cfg(), fixtures::catalog(), fixtures::observations());
        obs.empty_context.insert(DOCS.into(), count(0, 0));
        assert!(empty_context_read(&cfg, &cat, &obs).is_empty());
        obs.empty_context.insert(DOCS.into(), count(0, 6));
        obs.no_context.insert(DOCS.into(), count(0, 6));
        assert!(empty_context_read(&cfg, &cat, &obs).is_empty(), "rows without any context are RLS022's");
    }
}
