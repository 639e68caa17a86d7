//! Small SQL helpers: quoting, one query with a clear error, the read-only transaction.

use crate::{Error, Result};
use tokio_postgres::Client;

/// Quotes one identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a configured `name` or `schema.name`, read by PostgreSQL's rules ([`parse_qualified`]):
/// `Tenants` is `"tenants"`, `public."Tenants"` is `"public"."Tenants"`.
pub fn quote_qualified(name: &str) -> String {
    match parse_qualified(name) {
        Some((Some(schema), table)) => format!("{}.{}", quote_ident(&schema), quote_ident(&table)),
        Some((None, table)) => quote_ident(&table),
        // Configured names are checked when read; anything else is one identifier, verbatim.
        None => quote_ident(name),
    }
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
            block_comment_end(&b, i)
        } else if c == '\'' || c == '"' {
            // an escape string is `E'…'` with the E a token of its own (`date'\'` is not one)
            let escapes = c == '\''
                && i > 0
                && matches!(b[i - 1], 'E' | 'e')
                && (i < 2 || !(b[i - 2].is_alphanumeric() || b[i - 2] == '_' || b[i - 2] == '$'));
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

/// The end of the block comment that starts at `start` (`/*`): PostgreSQL's block comments nest.
fn block_comment_end(b: &[char], start: usize) -> usize {
    let (mut depth, mut k) = (0usize, start);
    while k + 1 < b.len() {
        match (b[k], b[k + 1]) {
            ('/', '*') => {
                depth += 1;
                k += 2;
            }
            ('*', '/') => {
                depth -= 1;
                k += 2;
                if depth == 0 {
                    return k;
                }
            }
            _ => k += 1,
        }
    }
    b.len()
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
        } else if s.starts_with("/*") {
            let chars: Vec<char> = s.chars().collect();
            let end = block_comment_end(&chars, 0);
            s = s.char_indices().nth(end).map_or("", |(at, _)| &s[at..]).trim_start();
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

/// `name` or `schema.name` read as PostgreSQL reads an identifier: an unquoted part is letters,
/// digits and underscores and folds to lower case; a quoted part keeps its case and any
/// character but a control, `""` standing for one `"`. `None` if it is not such a name.
pub fn parse_qualified(name: &str) -> Option<(Option<String>, String)> {
    let mut parts = Vec::new();
    let mut chars = name.chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    '"' => break,
                    c if c.is_control() => return None,
                    c => part.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek().filter(|c| c.is_ascii_alphanumeric() || **c == '_') {
                part.push(c.to_ascii_lowercase());
                chars.next();
            }
        }
        if part.is_empty() {
            return None;
        }
        parts.push(part);
        match chars.next() {
            None => break,
            Some('.') if parts.len() < 2 => {}
            Some(_) => return None,
        }
    }
    let table = parts.pop()?;
    Some((parts.pop(), table))
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

/// Statements that would let text run after a `COMMIT` write: turning the session's read-only
/// default off or resetting it.
fn lifts_read_only(statement: &str) -> bool {
    let up = statement.to_uppercase();
    up.contains("TRANSACTION_READ_ONLY")
        || up.contains("CHARACTERISTICS")
        || matches!(first_keyword(statement).as_str(), "RESET" | "DISCARD")
}

/// A read-only session and transaction for SQL typed by a person (the notebook's `sql`,
/// `sql_as`, `sql_admin`): [`read_only`], with the session's default also read-only, so that
/// even a statement that ended the transaction could not be followed by a write.
pub async fn read_only_session(client: &mut Client) -> Result<tokio_postgres::Transaction<'_>> {
    client
        .batch_execute("SET default_transaction_read_only = on")
        .await
        .map_err(|e| Error::query("making the session read-only", &e))?;
    read_only(client).await
}

/// Runs SQL typed by a person (one or more statements) in `tx`, a transaction from
/// [`read_only_session`]: statements that control the transaction or lift its read-only
/// setting are refused before anything runs, and the transaction is confirmed still open after
/// (what the lexer cannot see, the server can): otherwise an error says so.
pub async fn run_typed_sql(
    tx: &tokio_postgres::Transaction<'_>,
    sql: &str,
) -> Result<Vec<tokio_postgres::SimpleQueryMessage>> {
    let fix = "run queries only: the notebook runs them read-only in a transaction it rolls back";
    if let Some(s) = split_statements(sql).iter().find(|s| is_transaction_control(s) || lifts_read_only(s)) {
        return Err(Error::input(
            "the query",
            format!("`{}` would end the read-only transaction or lift it, so nothing was run", first_keyword(s)),
            fix,
        ));
    }
    tx.batch_execute("SELECT set_config('bridge.transaction_open', 'yes', true)")
        .await
        .map_err(|e| Error::query("marking the transaction", &e))?;
    let rows = tx.simple_query(sql).await.map_err(|e| Error::query("running the query", &e))?;
    let open: Option<String> = tx
        .query_one("SELECT current_setting('bridge.transaction_open', true)", &[])
        .await
        .map_err(|e| Error::query("confirming the transaction is open", &e))?
        .get(0);
    if open.as_deref() != Some("yes") {
        return Err(Error::input(
            "the query",
            "it ended the read-only transaction it ran in (what followed ran read-only in its own)",
            fix,
        ));
    }
    Ok(rows)
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
        assert!(is_transaction_control("/* a /* nested */ b */ COMMIT"));
        // `date'\'` is a plain string under standard_conforming_strings: the `;` after it splits
        assert_eq!(
            split_statements("select date'\\'; commit; select 'x'"),
            vec!["select date'\\'", "commit", "select 'x'"]
        );
        assert_eq!(split_statements("select E'\\'; commit'; x"), vec!["select E'\\'; commit'", "x"]);
        assert_eq!(split_statements("/* /* ; */ ; */ a; b"), vec!["/* /* ; */ ; */ a", "b"]);
        assert!(lifts_read_only("set default_transaction_read_only = off") && lifts_read_only("RESET ALL"));
        assert!(!lifts_read_only("select 1"));
        assert!(!is_transaction_control("insert into t values ('commit')"));
        let p = |s: &str| parse_qualified(s).map(|(a, b)| (a.map(|a| a.to_string()), b));
        assert_eq!(p("s.t"), Some((Some("s".into()), "t".into())));
        assert_eq!(p("Tenants"), Some((None, "tenants".into())));
        assert_eq!(p("\"Tenants\""), Some((None, "Tenants".into())));
        assert_eq!(p("public.\"Ten\"\"ants\""), Some((Some("public".into()), "Ten\"ants".into())));
        assert_eq!(p("\"a.b\""), Some((None, "a.b".into())));
        for bad in ["", "a.", ".a", "a.b.c", "\"\"", "\"open", "a b", "a;drop", "\"x\"y"] {
            assert_eq!(p(bad), None, "{bad}");
        }
        assert_eq!(quote_qualified("public.\"Tenants\""), "\"public\".\"Tenants\"");
        assert_eq!(quote_qualified("Tenants"), "\"tenants\"");
    }
}
