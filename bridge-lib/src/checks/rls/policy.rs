//! Policy semantics as PostgreSQL applies them: which clause a policy contributes to each
//! command, when permissive policies widen a command past the tenant boundary, and when a USING
//! clause fails open. Pure, shared by the rules and the probe.

use super::catalog::Policy;

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
    /// The SQL keyword.
    pub fn word(self) -> &'static str {
        match self {
            Cmd::Select => "SELECT",
            Cmd::Insert => "INSERT",
            Cmd::Update => "UPDATE",
            Cmd::Delete => "DELETE",
        }
    }
    /// The letter `pg_policy.polcmd` uses.
    pub fn code(self) -> &'static str {
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
