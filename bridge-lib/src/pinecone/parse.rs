//! Reading Pinecone's JSON answers field by field. A body that does not fit is a
//! [`ParseError`] that names the field (as this code spells it) and never shows a value from
//! the body: a proxy may echo the API key anywhere in it. Leniency lives here: counts as JSON
//! numbers or strings (proto3 int64), camelCase or snake_case names, and `null` taken as absent.

use serde_json::{Map, Value};
use std::fmt;

/// Why a body is not the expected response. Its text names a field, never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The field, as a path (`namespaces.*.vectorCount`, `namespaces[3].name`); empty for the
    /// body as a whole.
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "the body {}", self.problem)
        } else {
            write!(f, "field `{}` {}", self.field, self.problem)
        }
    }
}

impl std::error::Error for ParseError {}

pub(crate) fn problem(field: impl Into<String>, problem: impl Into<String>) -> ParseError {
    ParseError { field: field.into(), problem: problem.into() }
}

/// Parses a body as JSON; a syntax error gives its position only.
pub(crate) fn json(body: &[u8]) -> Result<Value, ParseError> {
    serde_json::from_slice(body).map_err(|e| syntax_error(&e))
}

/// A body that is not JSON: where, never what.
pub(crate) fn syntax_error(e: &serde_json::Error) -> ParseError {
    let what = match e.classify() {
        serde_json::error::Category::Eof => "ends early",
        _ => "is not valid JSON",
    };
    problem("", format!("{what} (line {}, column {})", e.line(), e.column()))
}

/// A count: a non-negative whole number, or a string holding one.
pub(crate) fn count_of(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().filter(|f| whole(*f)).map(|f| f as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A finite number, or a string holding one.
pub(crate) fn float_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok().filter(|f: &f64| f.is_finite()),
        _ => None,
    }
}

/// The path of field `name` in the object at `parent` (`parent.name`, or `name` at the top).
pub(crate) fn field_path(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

/// A JSON object being read, with the path that leads to it (a field's path is only spelled
/// out for an error).
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Obj<'a> {
    /// The body itself, which must be an object.
    pub(crate) fn root(v: &'a Value) -> Result<Obj<'a>, ParseError> {
        Obj::at(v, String::new())
    }

    /// `v` as an object found at `path`.
    pub(crate) fn at(v: &'a Value, path: String) -> Result<Obj<'a>, ParseError> {
        match v {
            Value::Object(map) => Ok(Obj { map, path }),
            _ => Err(problem(path, "is not a JSON object")),
        }
    }

    fn field(&self, name: &str) -> String {
        field_path(&self.path, name)
    }

    /// The first of `names` present and not `null`, with the name it was found by.
    fn get<'n>(&self, names: &[&'n str]) -> Option<(&'n str, &'a Value)> {
        names.iter().find_map(|n| self.map.get(*n).filter(|v| !v.is_null()).map(|v| (*n, v)))
    }

    /// A count: a non-negative whole number, or a string holding one.
    pub(crate) fn count(&self, names: &[&str]) -> Result<Option<u64>, ParseError> {
        let Some((name, v)) = self.get(names) else { return Ok(None) };
        count_of(v).map(Some).ok_or_else(|| problem(self.field(name), "is not a whole non-negative count"))
    }

    /// A number, or a string holding one (kept for tests: the tree read that the streaming
    /// read of describe_index_stats is proved against).
    #[cfg(test)]
    pub(crate) fn float(&self, names: &[&str]) -> Result<Option<f64>, ParseError> {
        let Some((name, v)) = self.get(names) else { return Ok(None) };
        float_of(v).map(Some).ok_or_else(|| problem(self.field(name), "is not a number"))
    }

    /// A string.
    pub(crate) fn text(&self, names: &[&str]) -> Result<Option<String>, ParseError> {
        match self.get(names) {
            None => Ok(None),
            Some((_, Value::String(s))) => Ok(Some(s.clone())),
            Some((name, _)) => Err(problem(self.field(name), "is not a string")),
        }
    }

    /// A string that must be there.
    pub(crate) fn required_text(&self, names: &[&str]) -> Result<String, ParseError> {
        self.text(names)?.ok_or_else(|| problem(self.field(names[0]), "is missing"))
    }

    /// A nested object.
    pub(crate) fn obj(&self, names: &[&str]) -> Result<Option<Obj<'a>>, ParseError> {
        self.get(names).map(|(name, v)| Obj::at(v, self.field(name))).transpose()
    }

    /// A nested object's entries, each with the path of its value (`{field}.*`: the key is a
    /// value from the body, so it is not shown).
    #[cfg(test)]
    pub(crate) fn entries(&self, names: &[&str]) -> Result<Vec<(&'a str, Obj<'a>)>, ParseError> {
        let Some(o) = self.obj(names)? else { return Ok(Vec::new()) };
        let each = format!("{}.*", o.path);
        o.map.iter().map(|(k, v)| Ok((k.as_str(), Obj::at(v, each.clone())?))).collect()
    }

    /// A nested array of objects, each with its path (`{field}[i]`).
    pub(crate) fn objects(&self, names: &[&str]) -> Result<Vec<Obj<'a>>, ParseError> {
        match self.get(names) {
            None => Ok(Vec::new()),
            Some((name, Value::Array(items))) => {
                let path = self.field(name);
                items.iter().enumerate().map(|(i, v)| Obj::at(v, format!("{path}[{i}]"))).collect()
            }
            Some((name, _)) => Err(problem(self.field(name), "is not a JSON array")),
        }
    }
}

fn whole(f: f64) -> bool {
    f >= 0.0 && f.fract() == 0.0 && f < u64::MAX as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_field_and_never_the_value() {
        let v: Value =
            serde_json::from_str(r#"{"a": {"k1": {"n": "secret"}}, "l": [{"s": 5}], "t": ["secret"]}"#).unwrap();
        let o = Obj::root(&v).unwrap();
        let e = o.entries(&["a"]).unwrap().pop().unwrap().1.count(&["n"]).unwrap_err();
        assert_eq!(e.to_string(), "field `a.*.n` is not a whole non-negative count");
        let e = o.objects(&["l"]).unwrap()[0].text(&["s"]).unwrap_err();
        assert_eq!(e.to_string(), "field `l[0].s` is not a string");
        let e = o.objects(&["t"]).err().unwrap();
        assert_eq!(e.to_string(), "field `t[0]` is not a JSON object");
        assert_eq!(o.required_text(&["name", "n"]).unwrap_err().to_string(), "field `name` is missing");
        let e = json(br#"{"a": "secret"#).unwrap_err().to_string();
        assert!(e.starts_with("the body ends early (line 1") && !e.contains("secret"), "{e}");
        let e = Obj::root(&Value::String("secret".into())).err().unwrap().to_string();
        assert_eq!(e, "the body is not a JSON object");
    }

    #[test]
    fn counts_numbers_and_null() {
        let v: Value =
            serde_json::from_str(r#"{"a": 3, "b": "4", "c": 5.0, "d": -1, "e": null, "f": "0.5", "g": 1.5}"#).unwrap();
        let o = Obj::root(&v).unwrap();
        assert_eq!(
            [o.count(&["a"]), o.count(&["b"]), o.count(&["c"])].map(Result::unwrap),
            [Some(3), Some(4), Some(5)]
        );
        assert!(o.count(&["d"]).is_err() && o.count(&["g"]).is_err());
        assert_eq!(o.count(&["e", "a"]).unwrap(), Some(3), "null is absent: the next name is tried");
        assert_eq!(o.count(&["missing"]).unwrap(), None);
        assert_eq!(o.float(&["f"]).unwrap(), Some(0.5));
    }
}
