//! What several rules share: which tables have their policies judged, the remedies and evidence
//! they attach, and the row counts the live rules read.

use crate::checks::rls::catalog::{Catalog, Policy, Relation};
use crate::checks::rls::policy::{unscoped_policies, Cmd};
use crate::checks::rls::probe::{Count, Observations};
use crate::config::Config;
use crate::db::{self, quote_ident};
use serde_json::json;

/// The commands whose row filter (USING) must be tenant-scoped.
pub const READS: [Cmd; 3] = [Cmd::Select, Cmd::Update, Cmd::Delete];
/// The commands whose new-row check (WITH CHECK, or USING) must be tenant-scoped.
pub const WRITES: [Cmd; 2] = [Cmd::Insert, Cmd::Update];

/// A table with row level security off that the application can read or write rows of
/// (RLS001, RLS002, RLS011); no other table rule is judged on it.
pub fn rls_off_and_reachable(r: &Relation) -> bool {
    r.is_table() && !r.rls && (r.select || r.insert || r.update || r.delete)
}

/// A table whose policies apply to the application: RLS on and not bypassed through the owner.
pub fn policies_judged(r: &Relation) -> bool {
    r.is_table() && r.rls && !r.owner_bypass()
}

/// The policies on `r` that apply to the application role.
pub fn app_policies<'a>(cat: &'a Catalog, r: &Relation) -> Vec<&'a Policy> {
    cat.policies.iter().filter(|p| p.table == r.name && p.applies_to_app).collect()
}

/// The permissive policies that widen `cmd` (its row filter when `read`, else its new-row check)
/// past the tenant column, on a table whose policies are judged.
pub fn widening<'a>(cfg: &Config, cat: &'a Catalog, r: &Relation, cmd: Cmd, read: bool) -> Vec<&'a Policy> {
    if !policies_judged(r) {
        return Vec::new();
    }
    unscoped_policies(&app_policies(cat, r), cmd, read, r.key(cfg))
}

/// RLS on, not bypassed, at least one policy for the application, and every command bounded by
/// the tenant column.
pub fn tenant_scoped(cfg: &Config, cat: &Catalog, r: &Relation) -> bool {
    policies_judged(r)
        && !app_policies(cat, r).is_empty()
        && READS.iter().all(|c| widening(cfg, cat, r, *c, true).is_empty())
        && WRITES.iter().all(|c| widening(cfg, cat, r, *c, false).is_empty())
}

pub(super) fn enable_sql(t: &str) -> String {
    format!("ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;\nALTER TABLE {t} FORCE ROW LEVEL SECURITY;")
}

pub(super) fn tenant_policy_sql(t: &str, cfg: &Config, app: &str) -> String {
    let p = cfg.tenancy.policy_predicate();
    format!(
        "CREATE POLICY tenant_isolation ON {t} AS RESTRICTIVE TO {} USING ({p}) WITH CHECK ({p});",
        quote_ident(app)
    )
}

pub(super) fn rel_evidence(r: &Relation) -> serde_json::Value {
    json!({"relation": r.name, "kind": r.kind_word(), "rls": r.rls, "force": r.force, "owner": r.owner,
           "owner_bypasses": r.owner_bypasses, "app_has_owner_privileges": r.app_has_owner_privs,
           "policies": r.policies, "tenant_key": r.tenant_key, "found_by": r.found_by,
           "column_grants_only": r.column_grants, "privileges": {"select": r.select, "insert": r.insert, "update": r.update,
           "delete": r.delete, "truncate": r.truncate}})
}

/// The fix for a relation the live probe saw leak, by its kind and flags.
pub(super) fn remedy_for(cat: &Catalog, relation: &str) -> String {
    match cat.relations.iter().find(|r| r.name == relation) {
        Some(r) if r.kind == "v" => format!("ALTER VIEW {relation} SET (security_invoker = true);"),
        Some(r) if r.kind == "m" || r.kind == "f" => {
            format!("REVOKE SELECT ON {relation} FROM {};", db::quote_ident(&cat.role.name))
        }
        Some(r) if !r.rls => format!(
            "ALTER TABLE {relation} ENABLE ROW LEVEL SECURITY;\nALTER TABLE {relation} FORCE ROW LEVEL SECURITY;"
        ),
        Some(r) if !r.force => format!("ALTER TABLE {relation} FORCE ROW LEVEL SECURITY;"),
        _ => "review the policies that apply to the application role on this relation (see the other findings)".into(),
    }
}

/// Own and other rows of a count that succeeded.
pub fn rows(c: Option<&Count>) -> Option<(i64, i64)> {
    match c {
        Some(Count::Rows { own, other }) => Some((*own, *other)),
        _ => None,
    }
}

/// Every relation probed under some tenant's context, sorted.
pub fn probed_relations(obs: &Observations) -> Vec<&String> {
    obs.reads.values().flat_map(|m| m.keys()).collect::<std::collections::BTreeSet<_>>().into_iter().collect()
}

/// How many probe tenants saw their own rows through `r`.
pub fn tenants_with_rows(obs: &Observations, r: &String) -> usize {
    obs.reads.values().filter(|m| rows(m.get(r)).is_some_and(|(own, _)| own > 0)).count()
}

/// At least two tenants were probed and the context took effect (some tenant saw its own rows
/// somewhere, or nothing was probed): zero foreign rows can mean something.
pub fn reads_can_prove(obs: &Observations) -> bool {
    let all = probed_relations(obs);
    obs.tenants.len() >= 2 && (all.is_empty() || all.iter().any(|r| tenants_with_rows(obs, r) > 0))
}

/// Relations where 0 foreign rows proves nothing: fewer than two probe tenants have rows there,
/// and the server's live-row estimate does not show rows beyond what each probe tenant saw.
pub fn thin_relations(obs: &Observations) -> Vec<&String> {
    probed_relations(obs).into_iter().filter(|r| tenants_with_rows(obs, r) < 2 && !others_have_rows(obs, r)).collect()
}

/// The table holds rows no probe tenant saw as its own or shared (the server's live-row
/// estimate is larger than what each saw), and every probe tenant's context took effect (it saw
/// own rows somewhere): so each tenant's 0 foreign rows there means something.
pub fn others_have_rows(obs: &Observations, r: &String) -> bool {
    let Some(&live) = obs.live_rows.get(r) else { return false };
    let every_context_worked =
        obs.reads.values().all(|m| m.values().any(|c| rows(Some(c)).is_some_and(|(own, _)| own > 0)));
    every_context_worked
        && obs.reads.iter().all(|(t, m)| match rows(m.get(r)) {
            Some((own, other)) => {
                let shared = obs.shared.get(t).and_then(|s| s.get(r)).copied().unwrap_or(0);
                own + other + shared < crate::checks::rls::probe::ROW_CAP && own + shared < live
            }
            None => false,
        })
}

/// A judged table where no permissive policy applies to the application: restrictive policies
/// grant nothing by themselves, so it sees and writes nothing (RLS003).
pub fn deny_all(cat: &Catalog, r: &Relation) -> bool {
    policies_judged(r) && !app_policies(cat, r).iter().any(|p| p.permissive)
}
