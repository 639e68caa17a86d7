//! Where a finding points in the repository: the migration file and line that created or last
//! altered its object, for SARIF (GitHub code scanning rejects a result without a file) and
//! GitHub annotations.
//!
//! [`Migrations::scan`] reads every `*.sql` file under a directory (subfolders included, in
//! lexical order of their paths, as migration tools apply them) and records, per object, the
//! last statement that touched it: `CREATE TABLE / VIEW / MATERIALIZED VIEW / FUNCTION /
//! PROCEDURE / POLICY`, `ALTER TABLE … ROW LEVEL SECURITY` or `… OWNER TO`, `ALTER VIEW /
//! FUNCTION / POLICY`, and `GRANT … ON …`. The latest wins. Comments, string literals and
//! dollar-quoted bodies are skipped. Unqualified names are taken to be in `public`.
//!
//! A finding's object is the part of its key after `CODE:` (`RLS001:public.documents`,
//! `RLS013:public.documents/tenant_isolation` for a policy, `RLS010:public.f()` for a
//! function). Findings whose object no migration touched get the fallback location: the
//! migrations directory when one was given, else `README.md` ([`Locator::fallback`]).

use crate::finding::Finding;
use crate::{Error, Result};
use std::collections::HashMap;
use std::path::Path;

/// A place in the repository: a URI reference (repository-relative path, or `file://` URL for
/// an absolute path) and a 1-based line when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    /// Repository-relative path with `/` separators, percent-encoded where a URI needs it.
    pub uri: String,
    /// The statement's first line.
    pub line: Option<u32>,
}

/// The objects the migrations define, each with the last statement that touched it.
#[derive(Debug, Clone, Default)]
pub struct Migrations {
    /// The directory as given (a URI reference).
    pub dir: String,
    objects: HashMap<String, SourceLocation>,
}

impl Migrations {
    /// Scans `dir` recursively for `*.sql` files.
    pub fn scan(dir: &Path) -> Result<Self> {
        let unreadable = |e: std::io::Error| {
            Error::config(
                format!("--migrations {}: cannot read the directory: {e}", dir.display()),
                "pass the folder of your SQL migrations, relative to the repository root",
            )
        };
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).map_err(unreadable)? {
                let p = entry.map_err(unreadable)?.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("sql")) {
                    files.push(p);
                }
            }
        }
        files.sort();
        let mut sources = Vec::new();
        for p in files {
            let text = crate::files::read_bounded(&p, 64 * crate::files::MIB, "a migration file").map_err(|e| {
                Error::config(format!("--migrations: {e}"), "point --migrations at your SQL migrations folder")
            })?;
            sources.push((path_uri(&p), String::from_utf8_lossy(&text).into_owned()));
        }
        Ok(Migrations::from_sources(&path_uri(dir), &sources))
    }

    /// The index of already-read files `(uri, text)`, in the order they apply.
    pub fn from_sources(dir: &str, files: &[(String, String)]) -> Self {
        let mut m = Migrations { dir: dir.trim_end_matches('/').to_string(), objects: HashMap::new() };
        for (uri, text) in files {
            for stmt in statements(text) {
                if let Some((line, keys)) = touched(&stmt) {
                    for k in keys {
                        m.objects.insert(k, SourceLocation { uri: uri.clone(), line: Some(line) });
                    }
                }
            }
        }
        m
    }

    /// The statement that last touched the finding's object, if a migration did.
    pub fn locate(&self, f: &Finding) -> Option<SourceLocation> {
        let object = f.key.split_once(':').map(|(_, o)| o)?;
        let candidates = match object.split_once('/') {
            Some((table, policy)) => {
                vec![
                    format!("policy:{}/{}", qualified(table), ident(&tokens(policy))),
                    format!("rel:{}", qualified(table)),
                ]
            }
            None if object.ends_with(')') => {
                vec![format!("fn:{}", qualified(object.split('(').next().unwrap_or(object)))]
            }
            None => vec![format!("rel:{}", qualified(object)), format!("fn:{}", qualified(object))],
        };
        candidates.iter().find_map(|k| self.objects.get(k).cloned())
    }

    /// How many objects the migrations define.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// True when no migration defines anything this scanner recognises.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

/// Findings to locations: the migrations when given, else the fallback.
#[derive(Debug, Clone, Default)]
pub struct Locator {
    /// The scanned migrations (`--migrations DIR`).
    pub migrations: Option<Migrations>,
}

impl Locator {
    /// Where a finding's object was last defined, when known.
    pub fn known(&self, f: &Finding) -> Option<SourceLocation> {
        self.migrations.as_ref().and_then(|m| m.locate(f))
    }

    /// The location of a finding no migration explains: the migrations directory when given,
    /// else `README.md` (both repository-relative, so GitHub code scanning accepts them).
    pub fn fallback(&self) -> SourceLocation {
        let uri = self.migrations.as_ref().map(|m| m.dir.clone()).unwrap_or_else(|| "README.md".into());
        SourceLocation { uri, line: None }
    }

    /// The known location, else the fallback.
    pub fn locate(&self, f: &Finding) -> SourceLocation {
        self.known(f).unwrap_or_else(|| self.fallback())
    }
}

/// A path as a URI reference: relative paths keep `/` separators (a leading `./` dropped);
/// absolute ones become `file://` URLs; bytes a URI cannot hold are percent-encoded.
pub fn path_uri(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    let s = s.strip_prefix("./").unwrap_or(&s);
    let mut out = String::from(if s.starts_with('/') { "file://" } else { "" });
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
struct Token {
    text: String,
    quoted: bool,
    line: u32,
}

impl Token {
    fn is(&self, kw: &str) -> bool {
        !self.quoted && self.text.eq_ignore_ascii_case(kw)
    }
}

/// Splits SQL into statements of tokens: words, quoted identifiers and punctuation; literals
/// become a `'` token, comments vanish.
fn statements(sql: &str) -> Vec<Vec<Token>> {
    let c: Vec<char> = sql.chars().collect();
    let (mut out, mut cur, mut i, mut line) = (Vec::new(), Vec::new(), 0usize, 1u32);
    let skip_to = |from: usize, end: &[char], line: &mut u32| -> usize {
        let mut j = from;
        while j < c.len() && !c[j..].starts_with(end) {
            *line += u32::from(c[j] == '\n');
            j += 1;
        }
        (j + end.len()).min(c.len())
    };
    while i < c.len() {
        let ch = c[i];
        let l = line;
        let tok = |text: String, quoted| Token { text, quoted, line: l };
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if c[i..].starts_with(&['-', '-']) {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i..].starts_with(&['/', '*']) {
            i = skip_to(i + 2, &['*', '/'], &mut line);
        } else if ch == '\'' {
            let escapes = cur.last().is_some_and(|t: &Token| t.is("e") && i > 0 && c[i - 1].eq_ignore_ascii_case(&'e'));
            let (mut j, start) = (i + 1, tok("'".into(), false));
            while j < c.len() {
                let escaped = escapes && c[j] == '\\';
                if escaped || (c[j] == '\'' && c.get(j + 1) == Some(&'\'')) {
                    // a backslash escape (E'…') or a doubled quote: skip the next character
                    j += 1;
                } else if c[j] == '\'' {
                    break;
                }
                line += u32::from(c.get(j) == Some(&'\n'));
                j += 1;
            }
            cur.push(start);
            i = j + 1;
        } else if ch == '"' {
            let (mut j, mut s) = (i + 1, String::new());
            while j < c.len() && !(c[j] == '"' && c.get(j + 1) != Some(&'"')) {
                line += u32::from(c[j] == '\n');
                s.push(c[j]);
                j += if c[j] == '"' { 2 } else { 1 };
            }
            cur.push(tok(s, true));
            i = j + 1;
        } else if ch == '$' && dollar_tag(&c[i..]).is_some() {
            let tag: Vec<char> = dollar_tag(&c[i..]).unwrap_or_default();
            cur.push(tok("'".into(), false));
            i = skip_to(i + tag.len(), &tag, &mut line);
        } else if ch.is_alphanumeric() || ch == '_' {
            let mut j = i;
            while j < c.len() && (c[j].is_alphanumeric() || c[j] == '_' || c[j] == '$') {
                j += 1;
            }
            cur.push(tok(c[i..j].iter().collect(), false));
            i = j;
        } else {
            if ch == ';' {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            } else {
                cur.push(tok(ch.to_string(), false));
            }
            i += 1;
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `$tag$` (or `$$`) at the start of `c`, when it opens a dollar-quoted string.
fn dollar_tag(c: &[char]) -> Option<Vec<char>> {
    let end = c.iter().skip(1).position(|&x| x == '$')? + 1;
    let tag = &c[1..end];
    let ok = tag.first().is_none_or(|f| !f.is_ascii_digit()) && tag.iter().all(|x| x.is_alphanumeric() || *x == '_');
    ok.then(|| c[..=end].to_vec())
}

/// The tokens of a bare name (a finding's object).
fn tokens(s: &str) -> Vec<Token> {
    statements(s).into_iter().next().unwrap_or_default()
}

/// An identifier as PostgreSQL folds it: quoted keeps its case, bare is lowercased.
fn ident(t: &[Token]) -> String {
    t.first().map(|t| if t.quoted { t.text.clone() } else { t.text.to_lowercase() }).unwrap_or_default()
}

/// `schema.name` of a written name (`public` when unqualified).
fn qualified(s: &str) -> String {
    let (name, _) = name_at(&tokens(s), 0);
    name.unwrap_or_default()
}

/// The qualified name starting at token `i`, and the index after it.
fn name_at(t: &[Token], i: usize) -> (Option<String>, usize) {
    let mut parts = Vec::new();
    let mut j = i;
    while let Some(tok) = t.get(j) {
        if !(tok.quoted || tok.text.chars().next().is_some_and(|c| c.is_alphanumeric() || c == '_')) {
            break;
        }
        parts.push(ident(&t[j..]));
        j += 1;
        if t.get(j).is_some_and(|d| d.text == "." && !d.quoted) {
            j += 1;
        } else {
            break;
        }
    }
    match parts.len() {
        0 => (None, j),
        1 => (Some(format!("public.{}", parts[0])), j),
        _ => (Some(parts[parts.len() - 2..].join(".")), j),
    }
}

/// Skips the keywords `words` at `i` when all are there.
fn skip(t: &[Token], i: usize, words: &[&str]) -> usize {
    let all = words.iter().enumerate().all(|(k, w)| t.get(i + k).is_some_and(|x| x.is(w)));
    if all {
        i + words.len()
    } else {
        i
    }
}

/// The object keys a statement creates or alters, with the statement's first line.
fn touched(t: &[Token]) -> Option<(u32, Vec<String>)> {
    let line = t.first()?.line;
    let at = |i: usize, kw: &str| t.get(i).is_some_and(|x| x.is(kw));
    let keys = if at(0, "CREATE") || at(0, "ALTER") {
        let create = at(0, "CREATE");
        let mut i = skip(t, 1, &["OR", "REPLACE"]);
        while ["TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL", "RECURSIVE"].iter().any(|w| at(i, w)) {
            i += 1;
        }
        let table = at(i, "TABLE");
        let (kind, i) = if at(i, "MATERIALIZED") && at(i + 1, "VIEW") {
            ("rel", i + 2)
        } else if at(i, "TABLE") || at(i, "VIEW") {
            ("rel", i + 1)
        } else if at(i, "FUNCTION") || at(i, "PROCEDURE") {
            ("fn", i + 1)
        } else if at(i, "POLICY") {
            ("policy", i + 1)
        } else {
            return None;
        };
        let i = skip(t, skip(t, skip(t, i, &["IF", "NOT", "EXISTS"]), &["IF", "EXISTS"]), &["ONLY"]);
        let (name, after) = name_at(t, i);
        let name = name?;
        match kind {
            "policy" => {
                let policy = ident(&t[i..]);
                let (table, _) = if at(after, "ON") { name_at(t, after + 1) } else { (None, after) };
                vec![format!("policy:{}/{policy}", table?)]
            }
            "rel" if !create && table => {
                let rls = t.windows(3).any(|w| w[0].is("ROW") && w[1].is("LEVEL") && w[2].is("SECURITY"));
                let owner = t.windows(2).any(|w| w[0].is("OWNER") && w[1].is("TO"));
                if !(rls || owner) {
                    return None;
                }
                vec![format!("rel:{name}")]
            }
            _ => vec![format!("{kind}:{name}")],
        }
    } else if at(0, "GRANT") {
        granted(t)
    } else {
        return None;
    };
    Some((line, keys))
}

/// The objects of `GRANT … ON [TABLE|FUNCTION|…] a, b(args) TO …` (not `ON ALL … IN SCHEMA`,
/// schemas or databases).
fn granted(t: &[Token]) -> Vec<String> {
    let Some(on) = t.iter().position(|x| x.is("ON")) else { return Vec::new() };
    let mut i = on + 1;
    let mut kind = "rel";
    if let Some(k) = t.get(i).filter(|x| !x.quoted) {
        match k.text.to_ascii_uppercase().as_str() {
            "TABLE" | "SEQUENCE" | "VIEW" => i += 1,
            "FUNCTION" | "PROCEDURE" | "ROUTINE" => {
                kind = "fn";
                i += 1;
            }
            "ALL" | "SCHEMA" | "DATABASE" | "LANGUAGE" | "TABLESPACE" | "TYPE" | "DOMAIN" | "FOREIGN" | "LARGE"
            | "PARAMETER" => return Vec::new(),
            _ => {}
        }
    }
    let mut out = Vec::new();
    while i < t.len() && !t[i].is("TO") {
        let (name, after) = name_at(t, i);
        let Some(name) = name else { break };
        out.push(format!("{kind}:{name}"));
        i = after;
        if t.get(i).is_some_and(|x| x.text == "(") {
            let mut depth = 0;
            while let Some(x) = t.get(i) {
                depth += i32::from(x.text == "(") - i32::from(x.text == ")");
                i += 1;
                if depth == 0 {
                    break;
                }
            }
        }
        if t.get(i).is_some_and(|x| x.text == ",") {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Status;

    fn finding(key: &str) -> Finding {
        let mut f = crate::checks::tenants::RULES[1].finding(Status::Fail, "x", "d");
        f.key = key.into();
        f
    }

    fn at(m: &Migrations, key: &str) -> Option<(String, u32)> {
        m.locate(&finding(key)).map(|l| (l.uri, l.line.unwrap_or(0)))
    }

    #[test]
    fn latest_statement_wins_across_files_in_order() {
        let files = vec![
            (
                "db/001_init.sql".to_string(),
                "-- CREATE TABLE ignored (a int);\nCREATE TABLE documents (\n  id int,\n  tenant_id text\n);\n\
                 CREATE TABLE IF NOT EXISTS public.\"Chunks\" (id int);\n\
                 CREATE FUNCTION f() RETURNS int AS $$ CREATE TABLE nope (a int); SELECT 1 $$ LANGUAGE sql;\n\
                 CREATE POLICY iso ON documents USING (tenant_id = 'a;b');\n"
                    .to_string(),
            ),
            (
                "db/002_rls.sql".to_string(),
                "ALTER TABLE documents ADD COLUMN x int;\n\n/* block\n comment */ ALTER TABLE ONLY documents\n  \
                 ENABLE ROW LEVEL SECURITY;\nGRANT SELECT, INSERT ON TABLE public.\"Chunks\", other TO app;\n\
                 GRANT EXECUTE ON FUNCTION f(int, text) TO app;\nGRANT SELECT ON ALL TABLES IN SCHEMA public TO app;\n"
                    .to_string(),
            ),
        ];
        let m = Migrations::from_sources("db", &files);
        assert_eq!(at(&m, "RLS001:public.documents"), Some(("db/002_rls.sql".into(), 4)));
        assert_eq!(at(&m, "RLS001:public.\"Chunks\""), Some(("db/002_rls.sql".into(), 6)));
        assert_eq!(at(&m, "RLS001:public.other"), Some(("db/002_rls.sql".into(), 6)));
        assert_eq!(at(&m, "RLS010:public.f()"), Some(("db/002_rls.sql".into(), 7)));
        assert_eq!(at(&m, "RLS013:public.documents/iso"), Some(("db/001_init.sql".into(), 8)));
        assert_eq!(at(&m, "RLS013:public.documents/other_policy"), Some(("db/002_rls.sql".into(), 4)));
        assert_eq!(at(&m, "RLS001:public.nope"), None, "a function body is not a migration statement");
        assert_eq!(at(&m, "RLS001:public.ignored"), None, "a comment is not a statement");
        assert_eq!(at(&m, "TEN001"), None);
        let loc = Locator { migrations: Some(m) };
        assert_eq!(loc.locate(&finding("CAP005:acme")), SourceLocation { uri: "db".into(), line: None });
        assert_eq!(Locator::default().fallback().uri, "README.md");
    }

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(path_uri(Path::new("./db/my migration.sql")), "db/my%20migration.sql");
        assert_eq!(path_uri(Path::new("/repo/db/1.sql")), "file:///repo/db/1.sql");
    }
}
