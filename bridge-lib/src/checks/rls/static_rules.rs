//! The static half of the audit: catalog facts in, findings out (pure, unit-tested).

use super::catalog::{Catalog, Policy, Relation};
use super::rules::*;
use crate::config::Config;
use crate::db::quote_ident;
use crate::finding::{Finding, Status};
use serde_json::json;

/// True when `expr` refers to the identifier `col` outside string literals.
pub fn mentions_ident(expr: &str, col: &str) -> bool {
    let mut code = String::with_capacity(expr.len());
    let mut in_str = false;
    for ch in expr.chars() {
        if ch == '\'' {
            in_str = !in_str;
            code.push(' ');
        } else if in_str {
            code.push(' ');
        } else {
            code.push(ch);
        }
    }
    let is_ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let quoted = format!("\"{col}\"");
    if code.contains(&quoted) {
        return true;
    }
    code.match_indices(col).any(|(i, _)| {
        let before = code[..i].chars().next_back();
        let after = code[i + col.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// The commands PostgreSQL applies policies to, with the clause it uses for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    /// SELECT (USING).
    Select,
    /// INSERT (WITH CHECK, or USING for an ALL policy without one).
    Insert,
    /// UPDATE: USING for which rows, WITH CHECK (or USING) for the new row.
    Update,
    /// DELETE (USING).
    Delete,
}

impl Cmd {
    fn word(self) -> &'static str {
        match self {
            Cmd::Select => "SELECT",
            Cmd::Insert => "INSERT",
            Cmd::Update => "UPDATE",
            Cmd::Delete => "DELETE",
        }
    }
    fn code(self) -> &'static str {
        match self {
            Cmd::Select => "r",
            Cmd::Insert => "a",
            Cmd::Update => "w",
            Cmd::Delete => "d",
        }
    }
}

/// The clause a policy contributes to a command's row filter (`read`) or new-row check:
/// PostgreSQL's semantics, so a missing clause grants nothing and an UPDATE/ALL policy without
/// WITH CHECK reuses USING.
pub fn clause(p: &Policy, cmd: Cmd, read: bool) -> Option<&str> {
    if p.cmd != "*" && p.cmd != cmd.code() {
        return None;
    }
    if read {
        if cmd == Cmd::Insert {
            return None;
        }
        p.using.as_deref()
    } else {
        match cmd {
            Cmd::Insert | Cmd::Update => p.with_check.as_deref().or(p.using.as_deref()),
            _ => None,
        }
    }
}

/// The permissive policies that widen `cmd` past the tenant boundary (empty when bounded).
pub fn unscoped_policies<'a>(policies: &[&'a Policy], cmd: Cmd, read: bool, tcol: &str) -> Vec<&'a Policy> {
    let scoped = |p: &&Policy| clause(p, cmd, read).is_some_and(|c| mentions_ident(c, tcol));
    if policies.iter().filter(|p| !p.permissive).any(scoped) {
        return Vec::new(); // a restrictive tenant policy bounds every permissive one
    }
    policies.iter().filter(|p| p.permissive && clause(p, cmd, read).is_some() && !scoped(p)).copied().collect()
}

/// A USING clause with a top-level escape for a missing context, e.g.
/// `current_setting(...) IS NULL OR ...` or a `coalesce(current_setting(...), ...)` default.
pub fn fails_open(using: &str) -> bool {
    let u = using.to_lowercase();
    u.contains("current_setting")
        && (u.contains("is null or")
            || u.contains("is null) or")
            || u.contains("coalesce(current_setting")
            || u.contains("= ''::text) or"))
}

fn enable_sql(t: &str) -> String {
    format!("ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;\nALTER TABLE {t} FORCE ROW LEVEL SECURITY;")
}

fn tenant_policy_sql(t: &str, cfg: &Config, app: &str) -> String {
    let p = cfg.tenancy.policy_predicate();
    format!(
        "CREATE POLICY tenant_isolation ON {t} AS RESTRICTIVE TO {} USING ({p}) WITH CHECK ({p});",
        quote_ident(app)
    )
}

fn rel_evidence(r: &Relation) -> serde_json::Value {
    json!({"relation": r.name, "kind": r.kind_word(), "rls": r.rls, "force": r.force, "owner": r.owner,
           "owner_bypasses": r.owner_bypasses, "app_has_owner_privileges": r.app_has_owner_privs,
           "policies": r.policies, "privileges": {"select": r.select, "insert": r.insert, "update": r.update,
           "delete": r.delete, "truncate": r.truncate}})
}

/// All static findings.
pub fn evaluate(cfg: &Config, cat: &Catalog) -> Vec<Finding> {
    let mut out = Vec::new();
    let app = &cat.role.name;
    let tcol = &cfg.tenancy.column;

    // the role itself
    if cat.role.bypasses() || !cat.role.bypassing_memberships.is_empty() {
        let (status, detail) = if cat.role.bypasses() {
            (
                Status::Fail,
                format!(
                    "expected role `{app}` to be NOSUPERUSER NOBYPASSRLS, found superuser={} bypassrls={}",
                    cat.role.superuser, cat.role.bypassrls
                ),
            )
        } else {
            (
                Status::Fail,
                format!(
                    "expected role `{app}` to reach no bypassing role, found membership in {}",
                    cat.role.bypassing_memberships.join(", ")
                ),
            )
        };
        let mut remedy = Vec::new();
        if cat.role.superuser {
            remedy.push(format!("ALTER ROLE {} NOSUPERUSER;", quote_ident(app)));
        }
        if cat.role.bypassrls {
            remedy.push(format!("ALTER ROLE {} NOBYPASSRLS;", quote_ident(app)));
        }
        for m in &cat.role.bypassing_memberships {
            remedy.push(format!("REVOKE {} FROM {};", quote_ident(m), quote_ident(app)));
        }
        out.push(
            APP_BYPASSES.finding(status, app, detail).with_evidence(json!(cat.role)).with_remedy(remedy.join("\n")),
        );
    } else {
        out.push(APP_BYPASSES.finding(
            Status::Pass,
            app,
            format!("role `{app}` is not a superuser, has no BYPASSRLS and reaches no role that has"),
        ));
    }

    let wrong_setting = !cat.settings_read.is_empty() && !cat.settings_read.contains(&cfg.tenancy.context.setting);
    if wrong_setting {
        out.push(
            WRONG_SETTING
                .finding(
                    Status::Fail,
                    &cfg.tenancy.context.setting,
                    format!(
                        "expected policies to read `{}`, found they read {}",
                        cfg.tenancy.context.setting,
                        cat.settings_read.join(", ")
                    ),
                )
                .with_evidence(
                    json!({"configured": cfg.tenancy.context.setting, "read_by_policies": cat.settings_read}),
                )
                .with_remedy(format!(
                    "set BRIDGE_TENANT_SETTING={} (or change the policies to read {})",
                    cat.settings_read[0], cfg.tenancy.context.setting
                )),
        );
    }
    for s in &cat.role_settings {
        out.push(
            ROLE_DEFAULT
                .finding(
                    Status::Fail,
                    s,
                    format!("expected no default for `{}`, found {s}", cfg.tenancy.context.setting),
                )
                .with_evidence(json!({"setting": s}))
                .with_remedy(format!(
                    "ALTER ROLE {} RESET {};  -- or ALTER DATABASE ... RESET",
                    quote_ident(app),
                    cfg.tenancy.context.setting
                )),
        );
    }

    let mut protected = 0;
    for r in cat.relations.iter().filter(|r| r.is_table()) {
        let t = &r.name;
        let reaches_rows = r.select || r.insert || r.update || r.delete;
        if !r.rls && reaches_rows {
            let is_child = r.parent.is_some();
            let (rule, detail) = if is_child {
                (&PARTITION_UNPROTECTED, format!("expected {} `{t}` (child of {}) to have row level security, found it off and reachable directly", r.kind_word(), r.parent.clone().unwrap_or_default()))
            } else if r.policies > 0 {
                (
                    &POLICIES_IGNORED,
                    format!(
                        "expected row level security on `{t}`, found it off with {} policies that therefore do nothing",
                        r.policies
                    ),
                )
            } else {
                (
                    &RLS_DISABLED,
                    format!(
                        "expected row level security on {} `{t}`, found it off: every tenant's rows are visible",
                        r.kind_word()
                    ),
                )
            };
            let mut remedy = enable_sql(t);
            if r.policies == 0 {
                remedy.push('\n');
                remedy.push_str(&tenant_policy_sql(t, cfg, app));
            }
            out.push(rule.finding(Status::Fail, t, detail).with_evidence(rel_evidence(r)).with_remedy(remedy));
            continue;
        }
        if r.owner_bypass() {
            let how = if r.owner == *app { "owns it".to_string() } else { format!("inherits its owner `{}`", r.owner) };
            out.push(
                OWNER_BYPASSES
                    .finding(Status::Fail, t, format!("expected FORCE ROW LEVEL SECURITY on `{t}`, found it off while `{app}` {how}"))
                    .with_evidence(rel_evidence(r))
                    .with_remedy(format!("ALTER TABLE {t} FORCE ROW LEVEL SECURITY;\nALTER TABLE {t} OWNER TO <a role the application does not inherit>;")),
            );
            continue;
        }
        if r.rls && !r.force && r.app_can_become_owner {
            out.push(
                OWNER_BYPASSES
                    .finding(Status::Warn, t, format!("expected `{app}` unable to become the owner `{}` of `{t}`, found it can SET ROLE to it and FORCE is off", r.owner))
                    .with_evidence(rel_evidence(r))
                    .with_remedy(format!("ALTER TABLE {t} FORCE ROW LEVEL SECURITY;")),
            );
        }
        if r.truncate {
            out.push(
                TRUNCATE_ALLOWED
                    .finding(
                        Status::Fail,
                        t,
                        format!("expected no TRUNCATE privilege for `{app}` on `{t}`, found it granted"),
                    )
                    .with_evidence(rel_evidence(r))
                    .with_remedy(format!("REVOKE TRUNCATE ON {t} FROM {};", quote_ident(app))),
            );
        }
        if !r.rls {
            continue;
        }
        let mine: Vec<&Policy> = cat.policies.iter().filter(|p| p.table == *t && p.applies_to_app).collect();
        if mine.is_empty() {
            out.push(
                NO_POLICY
                    .finding(
                        Status::Warn,
                        t,
                        format!(
                            "expected a tenant policy for `{app}` on `{t}`, found none: the application sees nothing"
                        ),
                    )
                    .with_evidence(rel_evidence(r))
                    .with_remedy(tenant_policy_sql(t, cfg, app)),
            );
            continue;
        }
        for p in mine.iter().filter(|p| p.permissive) {
            if let Some(using) = p.using.as_deref().filter(|u| fails_open(u)) {
                out.push(
                    NO_CONTEXT_READ
                        .finding(Status::Warn, &format!("{t}/{}", p.name), format!("expected policy `{}` on `{t}` to fail closed without a tenant context, found USING ({using})", p.name))
                        .with_evidence(json!({"policy": p}))
                        .with_remedy(tenant_policy_sql(t, cfg, app)),
                );
            }
        }
        let mut scoped = true;
        for (cmd, read, rule) in [
            (Cmd::Select, true, &POLICY_NOT_SCOPED),
            (Cmd::Update, true, &POLICY_NOT_SCOPED),
            (Cmd::Delete, true, &POLICY_NOT_SCOPED),
            (Cmd::Insert, false, &CHECK_NOT_SCOPED),
            (Cmd::Update, false, &CHECK_NOT_SCOPED),
        ] {
            for p in unscoped_policies(&mine, cmd, read, tcol) {
                scoped = false;
                let text = clause(p, cmd, read).unwrap_or_default();
                let what = if read { "USING" } else { "WITH CHECK" };
                out.push(
                    rule.finding(
                        Status::Fail,
                        &format!("{t}/{}/{}", p.name, cmd.word()),
                        format!("expected every permissive {} policy for `{app}` on `{t}` to restrict `{tcol}`, found `{}` with {what} ({text})", cmd.word(), p.name),
                    )
                    .with_evidence(json!({"policy": p, "command": cmd.word()}))
                    .with_remedy(format!(
                        "{}\n-- or drop the widening policy: DROP POLICY {} ON {t};",
                        tenant_policy_sql(t, cfg, app),
                        quote_ident(&p.name)
                    )),
                );
            }
        }
        if scoped {
            protected += 1;
        }
    }
    let tables = cat.relations.iter().filter(|r| r.is_table()).count();
    if tables > 0 && protected == tables {
        out.push(RLS_DISABLED.finding(Status::Pass, "", format!("all {tables} tenant tables have row level security on, forced where needed, and tenant-scoped policies")));
    }

    for v in &cat.views {
        let bases = v.base_tables.join(", ");
        if v.kind == "m" {
            out.push(
                UNPROTECTABLE
                    .finding(
                        Status::Fail,
                        &v.name,
                        format!(
                            "expected no readable materialized view of tenant data, found `{}` over {bases}",
                            v.name
                        ),
                    )
                    .with_evidence(json!(v))
                    .with_remedy(format!(
                        "REVOKE SELECT ON {} FROM {};  -- or replace it with a view WITH (security_invoker = true)",
                        v.name,
                        quote_ident(app)
                    )),
            );
        } else if !v.security_invoker {
            let (status, why) = if v.owner_bypasses {
                (Status::Fail, format!("its owner `{}` bypasses RLS on {bases}", v.owner))
            } else {
                (Status::Warn, format!("policies are evaluated for its owner `{}`, not for `{app}`", v.owner))
            };
            out.push(
                VIEW_BYPASSES
                    .finding(
                        status,
                        &v.name,
                        format!("expected view `{}` WITH (security_invoker = true), found it without: {why}", v.name),
                    )
                    .with_evidence(json!(v))
                    .with_remedy(format!("ALTER VIEW {} SET (security_invoker = true);", v.name)),
            );
        }
    }
    for r in cat.relations.iter().filter(|r| r.kind == "f" && r.select) {
        out.push(
            UNPROTECTABLE
                .finding(
                    Status::Fail,
                    &r.name,
                    format!("expected no readable foreign table with `{tcol}`, found `{}`", r.name),
                )
                .with_evidence(rel_evidence(r))
                .with_remedy(format!("REVOKE SELECT ON {} FROM {};", r.name, quote_ident(app))),
        );
    }

    for f in &cat.definers {
        let reads: Vec<&Relation> =
            cat.relations.iter().filter(|r| r.is_table() && mentions_ident(&f.body, &r.relname)).collect();
        if reads.is_empty() {
            continue;
        }
        let bypass_on: Vec<&str> = reads
            .iter()
            .filter(|r| f.owner_bypasses || !r.rls || (r.owner == f.owner && !r.force))
            .map(|r| r.name.as_str())
            .collect();
        if bypass_on.is_empty() {
            continue;
        }
        out.push(
            DEFINER_BYPASSES
                .finding(
                    Status::Fail,
                    &f.signature,
                    format!(
                        "expected SECURITY DEFINER function `{}` not to bypass RLS, found its owner `{}` bypasses it on {}{}",
                        f.signature,
                        f.owner,
                        bypass_on.join(", "),
                        if f.search_path_fixed { "" } else { " (and its search_path is mutable)" }
                    ),
                )
                .with_evidence(json!({"function": f.signature, "owner": f.owner, "owner_bypasses": f.owner_bypasses, "reads": bypass_on, "search_path_fixed": f.search_path_fixed}))
                .with_remedy(format!(
                    "ALTER FUNCTION {} SECURITY INVOKER;  -- or REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC, {};",
                    f.signature,
                    f.signature,
                    quote_ident(app)
                )),
        );
    }

    for s in &cat.side_channels {
        let rule = if s.kind == "unique key" { &UNIQUE_SIDE_CHANNEL } else { &FK_SIDE_CHANNEL };
        out.push(
            rule.finding(Status::Warn, &format!("{}/{}", s.table, s.name), format!("expected {} `{}` on `{}` to include `{tcol}`, found {}", s.kind, s.name, s.table, s.definition))
                .with_evidence(json!(s))
                .with_remedy(if s.kind == "unique key" {
                    format!("replace it with a unique key on ({tcol}, ...): CREATE UNIQUE INDEX ON {} ({tcol}, <columns>); DROP INDEX {};", s.table, s.name)
                } else {
                    format!("make it composite: FOREIGN KEY ({tcol}, <column>) REFERENCES <parent> ({tcol}, <key>) (constraint {})", s.name)
                }),
        );
    }
    for f in &cat.leakproof {
        out.push(
            LEAKPROOF
                .finding(Status::Warn, f, format!("expected no user function marked LEAKPROOF, found `{f}`"))
                .with_remedy(format!("ALTER FUNCTION {f} NOT LEAKPROOF;")),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pol(cmd: &str, permissive: bool, using: Option<&str>, check: Option<&str>) -> Policy {
        Policy {
            table: "public.t".into(),
            name: format!("p_{cmd}_{permissive}"),
            permissive,
            cmd: cmd.into(),
            roles: vec!["public".into()],
            applies_to_app: true,
            using: using.map(str::to_string),
            with_check: check.map(str::to_string),
        }
    }

    const TENANT: &str = "(tenant_id = current_setting('app.current_tenant'::text, true))";

    #[test]
    fn null_escape_fails_open() {
        assert!(fails_open("((current_setting('app.current_tenant'::text, true) IS NULL) OR (tenant_id = current_setting('app.current_tenant'::text, true)))"));
        assert!(!fails_open(TENANT));
    }

    #[test]
    fn identifiers_not_strings() {
        assert!(mentions_ident(TENANT, "tenant_id"));
        assert!(!mentions_ident("(owner_tenant_id = 'x')", "tenant_id"));
        assert!(!mentions_ident("(name = 'tenant_id')", "tenant_id"));
        assert!(mentions_ident("(\"tenant_id\" = 1)", "tenant_id"));
        assert!(!mentions_ident("true", "tenant_id"));
    }

    #[test]
    fn using_true_widens_reads() {
        let a = pol("*", true, Some(TENANT), None);
        let b = pol("r", true, Some("true"), None);
        assert_eq!(unscoped_policies(&[&a, &b], Cmd::Select, true, "tenant_id").len(), 1);
        assert!(unscoped_policies(&[&a, &b], Cmd::Delete, true, "tenant_id").is_empty());
    }

    #[test]
    fn restrictive_tenant_policy_bounds_permissive_ones() {
        let a = pol("*", false, Some(TENANT), None);
        let b = pol("r", true, Some("true"), None);
        assert!(unscoped_policies(&[&a, &b], Cmd::Select, true, "tenant_id").is_empty());
    }

    #[test]
    fn update_without_check_reuses_using_and_insert_without_check_grants_nothing() {
        let upd = pol("w", true, Some(TENANT), None);
        assert!(unscoped_policies(&[&upd], Cmd::Update, false, "tenant_id").is_empty(), "no false alarm");
        let ins = pol("a", true, None, None);
        assert!(unscoped_policies(&[&ins], Cmd::Insert, false, "tenant_id").is_empty(), "grants nothing");
        let open = pol("a", true, None, Some("true"));
        assert_eq!(unscoped_policies(&[&open], Cmd::Insert, false, "tenant_id").len(), 1);
        let all_check_true = pol("*", true, Some(TENANT), Some("true"));
        assert_eq!(unscoped_policies(&[&all_check_true], Cmd::Update, false, "tenant_id").len(), 1);
        assert!(unscoped_policies(&[&all_check_true], Cmd::Select, true, "tenant_id").is_empty());
    }
}
