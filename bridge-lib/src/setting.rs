//! Reading one setting from a variable: each helper takes the lookup, the variable and the
//! default, so a setting is one line in its owner's `from_lookup` (the default included, which
//! `Default` then reuses). The owners (each check's `settings.rs`, `tenant`, `pinecone`) use
//! only this, not `config`, which aggregates them: this module depends on nothing of theirs.

use crate::{Error, Result};
use std::str::FromStr;

/// A variable lookup that answers only for variables that are set and not blank
/// (`Config::from_lookup` filters the blanks out before the owners see it).
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A lookup with no variable set: every setting takes its default.
pub fn nothing_set(_: &str) -> Option<String> {
    None
}

/// `var` parsed by `parse`, or `default` when unset.
pub fn or<T>(get: Lookup, var: &str, default: T, parse: impl FnOnce(&str) -> Result<T>) -> Result<T> {
    get(var).map(|v| parse(&v)).transpose().map(|v| v.unwrap_or(default))
}

/// `var` as text, or `default`.
pub fn text(get: Lookup, var: &str, default: &str) -> String {
    get(var).unwrap_or_else(|| default.to_string())
}

/// `var` as a comma-separated list (items trimmed, empty items dropped), or `default`.
pub fn list(get: Lookup, var: &str, default: &[&str]) -> Vec<String> {
    match get(var) {
        Some(v) => v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect(),
        None => default.iter().map(|s| s.to_string()).collect(),
    }
}

/// `var` as a number for which `valid` holds, or `default`; otherwise a configuration error
/// "`VAR` `value` is not `what`" with `fix`.
pub fn number<T: FromStr>(
    get: Lookup,
    var: &str,
    default: T,
    valid: impl Fn(&T) -> bool,
    what: &str,
    fix: &str,
) -> Result<T> {
    or(get, var, default, |v| {
        v.trim()
            .parse()
            .ok()
            .filter(|n| valid(n))
            .ok_or_else(|| Error::config(format!("{var} `{v}` is not {what}"), fix))
    })
}

/// `var` as a table or column name ([`checked_name`]), or `default`.
pub fn name(get: Lookup, var: &str, default: &str) -> Result<String> {
    or(get, var, default.to_string(), |v| checked_name(var, v))
}

/// `var` as a table name, `name` or `schema.name` by PostgreSQL's rules (`Tenants` folds to
/// `tenants`; `"Tenants"` and `public."Tenants"` keep their case), or `default`. The value is kept
/// as written: `to_regclass` and [`crate::db::quote_qualified`] read it by the same rules.
pub fn table_name(get: Lookup, var: &str, default: &str) -> Result<String> {
    or(get, var, default.to_string(), |v| match crate::db::sql::parse_qualified(v) {
        Some(_) => Ok(v.to_string()),
        None => Err(Error::config(
            format!("{var} {v:?} is not a table name"),
            "write name or schema.name; letters, digits and underscores, or a \"Quoted\" name to keep its case",
        )),
    })
}

/// Accepts `name` or `schema.name` made of letters, digits and underscores.
pub fn checked_name(var: &str, v: &str) -> Result<String> {
    let ok = !v.is_empty()
        && v.split('.').count() <= 2
        && v.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    if ok {
        Ok(v.to_string())
    } else {
        Err(Error::config(
            format!("{var} `{v}` is not a table or column name"),
            "use letters, digits and underscores, optionally schema.name",
        ))
    }
}
