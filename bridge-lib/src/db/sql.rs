//! Small SQL helpers: quoting, one query with a clear error, the read-only transaction.

use crate::{Error, Result};
use tokio_postgres::Client;

/// Quotes one identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes `name` or `schema.name`.
pub fn quote_qualified(name: &str) -> String {
    name.split('.').map(quote_ident).collect::<Vec<_>>().join(".")
}

/// Quotes a string literal as PostgreSQL's own `quote_literal` does: quotes doubled, and a
/// value with a backslash written as `E'…'` with the backslashes doubled, so the literal means
/// the same whatever `standard_conforming_strings` says. Values sent to the server go as bound
/// parameters; this is for SQL shown to users (remedies, dry runs) and for statements that
/// cannot take a parameter (`SET`).
pub fn quote_literal(value: &str) -> String {
    let quoted = value.replace('\'', "''");
    if value.contains('\\') {
        format!("E'{}'", quoted.replace('\\', "\\\\"))
    } else {
        format!("'{quoted}'")
    }
}

/// The statements of a SQL text, split at top-level `;` (outside quotes, dollar quotes,
/// quoted identifiers and comments), trimmed, empty ones dropped.
pub fn split_statements(sql: &str) -> Vec<String> {
    let b: Vec<char> = sql.chars().collect();
    let (mut out, mut cur, mut i) = (Vec::new(), String::new(), 0);
    while i < b.len() {
        let c = b[i];
        let rest: String = b[i..].iter().take(2).collect();
        let end = if rest == "--" {
            b[i..].iter().position(|&x| x == '\n').map_or(b.len(), |p| i + p + 1)
        } else if rest == "/*" {
            find(&b, i + 2, "*/").map_or(b.len(), |p| p + 2)
        } else if c == '\'' || c == '"' {
            let escapes = c == '\'' && i > 0 && matches!(b[i - 1], 'E' | 'e');
            let mut j = i + 1;
            while j < b.len() && !(b[j] == c && b.get(j + 1) != Some(&c)) {
                j += if b[j] == c || (escapes && b[j] == '\\') { 2 } else { 1 };
            }
            (j + 1).min(b.len())
        } else if c == '$' {
            let tag_end = b[i + 1..].iter().position(|&x| !(x.is_alphanumeric() || x == '_')).map(|p| i + 1 + p);
            match tag_end.filter(|&e| b[e] == '$') {
                Some(e) => {
                    let tag: String = b[i..=e].iter().collect();
                    find(&b, e + 1, &tag).map_or(b.len(), |p| p + tag.chars().count())
                }
                None => i + 1,
            }
        } else if c == ';' {
            out.push(std::mem::take(&mut cur));
            i += 1;
            continue;
        } else {
            i + 1
        };
        cur.extend(&b[i..end]);
        i = end;
    }
    out.push(cur);
    out.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

fn find(b: &[char], from: usize, pat: &str) -> Option<usize> {
    let p: Vec<char> = pat.chars().collect();
    (from..b.len()).find(|&k| b[k..].starts_with(&p))
}

/// The first keyword of a statement with its comments stripped, upper-cased.
pub fn first_keyword(statement: &str) -> String {
    let mut s = statement.trim_start();
    loop {
        if let Some(r) = s.strip_prefix("--") {
            s = r.split_once('\n').map_or("", |x| x.1).trim_start();
        } else if let Some(r) = s.strip_prefix("/*") {
            s = r.split_once("*/").map_or("", |x| x.1).trim_start();
        } else {
            break;
        }
    }
    s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>().to_uppercase()
}

/// Whether a statement controls the transaction (`COMMIT`, `ROLLBACK`, `BEGIN`, …), which
/// operator SQL run inside the tool's transaction must not do.
pub fn is_transaction_control(statement: &str) -> bool {
    let k = first_keyword(statement);
    matches!(k.as_str(), "COMMIT" | "ROLLBACK" | "END" | "BEGIN" | "START" | "SAVEPOINT" | "RELEASE" | "ABORT")
        || (k == "PREPARE" && statement.to_uppercase().split_whitespace().nth(1) == Some("TRANSACTION"))
}

/// Splits `schema.name` into its parts; a bare name is looked up on the search path (`None`).
pub fn split_qualified(name: &str) -> (Option<&str>, &str) {
    match name.split_once('.') {
        Some((s, n)) => (Some(s), n),
        None => (None, name),
    }
}

/// Runs a query with a clear error naming what it was for.
pub async fn query(
    client: &Client,
    context: &str,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<tokio_postgres::Row>> {
    client.query(sql, params).await.map_err(|e| Error::query(context, &e))
}

/// Starts a read-only transaction with a 15 s statement timeout: what every check and every
/// notebook read runs in, so none of them can change user data or hang.
pub async fn read_only(client: &mut Client) -> Result<tokio_postgres::Transaction<'_>> {
    let tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .await
        .map_err(|e| Error::query("starting a read-only transaction", &e))?;
    tx.batch_execute("SET LOCAL statement_timeout = '15s'")
        .await
        .map_err(|e| Error::query("setting statement_timeout", &e))?;
    Ok(tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_qualified("public.tenants"), "\"public\".\"tenants\"");
        assert_eq!(quote_literal("o'k"), "'o''k'");
        assert_eq!(quote_literal("a\\'b"), "E'a\\\\''b'");
        assert_eq!(
            split_statements("select ';' ; -- a;b\nselect $x$;$x$; /* ; */ commit;"),
            vec!["select ';'", "-- a;b\nselect $x$;$x$", "/* ; */ commit"]
        );
        assert!(is_transaction_control("/* x */ COMMIT"));
        assert!(!is_transaction_control("insert into t values ('commit')"));
        assert_eq!(split_qualified("s.t"), (Some("s"), "t"));
        assert_eq!(split_qualified("t"), (None, "t"));
    }
}
