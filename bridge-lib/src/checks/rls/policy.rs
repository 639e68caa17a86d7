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

/// The top-level OR branches of a clause as `pg_get_expr` prints it (outer parentheses
/// stripped, string literals and nested parentheses respected).
pub fn or_branches(expr: &str) -> Vec<&str> {
    let mut e = expr.trim();
    while wrapped(e) {
        e = e[1..e.len() - 1].trim();
    }
    let (mut out, mut start, mut depth, mut in_str) = (Vec::new(), 0usize, 0i32, false);
    for (i, ch) in e.char_indices() {
        match ch {
            '\'' => in_str = !in_str,
            '(' if !in_str => depth += 1,
            ')' if !in_str => depth -= 1,
            _ if !in_str && depth == 0 && i >= start && e[i..].starts_with(" OR ") => {
                out.push(e[start..i].trim());
                start = i + 4;
            }
            _ => {}
        }
    }
    out.push(e[start..].trim());
    out
}

/// True when `e` is one parenthesised group: its first `(` closes at its last character.
fn wrapped(e: &str) -> bool {
    if !(e.starts_with('(') && e.ends_with(')')) {
        return false;
    }
    let (mut depth, mut in_str) = (0i32, false);
    for (i, ch) in e.char_indices() {
        match ch {
            '\'' => in_str = !in_str,
            '(' if !in_str => depth += 1,
            ')' if !in_str => {
                depth -= 1;
                if depth == 0 {
                    return i == e.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

/// The escape in a USING clause that lets rows through whatever their tenant when the context
/// is missing or empty: a top-level OR branch that reads a setting but not the tenant column
/// (`current_setting(…) IS NULL OR …`, `… OR current_setting(…) = ''`), or a
/// `coalesce(current_setting(…), …)` default. Returns the branch.
pub fn escape(using: &str, tcol: &str) -> Option<String> {
    if using.to_lowercase().contains("coalesce(current_setting") {
        return Some(using.to_string());
    }
    let branches = or_branches(using);
    if branches.len() < 2 {
        return None;
    }
    branches
        .into_iter()
        .find(|b| b.to_lowercase().contains("current_setting(") && !mentions_ident(b, tcol))
        .map(str::to_string)
}

/// True when `using` fails open ([`escape`] finds a branch) for the tenant column `tcol`.
pub fn fails_open(using: &str, tcol: &str) -> bool {
    escape(using, tcol).is_some()
}

/// A table the empty-string context cannot open: row level security on and binding the
/// application, and every policy that filters its SELECT is the plain
/// `tenant = current_setting('<setting>'[, true])` comparison (an empty setting then matches
/// only rows whose tenant is '', which are its own). The live probe skips the empty-string read
/// on these.
pub fn plain_tenant_table(
    cfg: &crate::config::Config,
    cat: &super::catalog::Catalog,
    r: &super::catalog::Relation,
) -> bool {
    let (col, setting) = (&cfg.tenancy.column, &cfg.tenancy.context.setting);
    let plain = |using: &str| {
        let norm: String = using.chars().filter(|c| *c != '(' && *c != ')').collect();
        let ctx = format!("current_setting'{setting}'::text");
        [
            format!("{col} = {ctx}, true"),
            format!("{col} = {ctx}"),
            format!("{col}::text = {ctx}, true"),
            format!("{col}::text = {ctx}"),
        ]
        .contains(&norm)
    };
    let reads: Vec<&Policy> = cat
        .policies
        .iter()
        .filter(|p| p.table == r.name && p.applies_to_app && (p.cmd == "*" || p.cmd == "r"))
        .collect();
    r.is_table()
        && r.rls
        && !r.owner_bypass()
        && !reads.is_empty()
        && reads.iter().all(|p| p.using.as_deref().is_some_and(plain))
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
    fn only_plain_tenant_tables_skip_the_empty_setting_read() {
        let cfg = crate::config::Config::default();
        let mut cat = crate::checks::rls::catalog::Catalog {
            relations: vec![crate::checks::rls::catalog::Relation {
                name: "public.t".into(),
                kind: "r".into(),
                rls: true,
                force: true,
                ..Default::default()
            }],
            policies: vec![pol("*", true, Some(TENANT), Some(TENANT))],
            ..Default::default()
        };
        assert!(plain_tenant_table(&cfg, &cat, &cat.relations[0]));
        cat.policies[0].using =
            Some(format!("({TENANT} OR (current_setting('app.current_tenant'::text, true) = ''::text))"));
        assert!(!plain_tenant_table(&cfg, &cat, &cat.relations[0]));
        cat.policies.clear();
        assert!(!plain_tenant_table(&cfg, &cat, &cat.relations[0]), "no policy: probe it");
    }

    #[test]
    fn null_escape_fails_open() {
        assert!(fails_open("((current_setting('app.current_tenant'::text, true) IS NULL) OR (tenant_id = current_setting('app.current_tenant'::text, true)))", "tenant_id"));
        assert!(!fails_open(TENANT, "tenant_id"));
    }

    #[test]
    fn empty_string_escape_in_either_order_fails_open_and_shared_rows_do_not() {
        let trailing = "((tenant_id = current_setting('app.current_tenant'::text, true)) OR (current_setting('app.current_tenant'::text, true) = ''::text))";
        assert_eq!(
            escape(trailing, "tenant_id").as_deref(),
            Some("(current_setting('app.current_tenant'::text, true) = ''::text)")
        );
        let shared = "((tenant_id = current_setting('app.current_tenant'::text, true)) OR (tenant_id IS NULL))";
        assert!(escape(shared, "tenant_id").is_none());
        let and = "((tenant_id = current_setting('x'::text)) AND (current_setting('y'::text) = ''::text))";
        assert!(escape(and, "tenant_id").is_none(), "AND is no escape");
        assert!(fails_open("(tenant_id = COALESCE(current_setting('x'::text, true), tenant_id))", "tenant_id"));
        assert!(escape("(name = 'a OR b' OR tenant_id = 'x')", "tenant_id").is_none());
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
