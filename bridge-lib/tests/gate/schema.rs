//! A focused JSON Schema validator for the two schemas these tests use: the official SARIF
//! 2.1.0 schema (draft-04) and `schema/report.schema.json` (draft-07). It implements every
//! keyword those schemas use and panics on any other, so nothing is skipped silently:
//! `$ref` (local), `type`, `enum`, `const`, `properties`, `required`, `additionalProperties`,
//! `items`, `minItems`, `maxItems`, `uniqueItems`, `minimum`, `maximum`, `pattern`, `format`
//! (`date-time`, `uri`, `uri-reference`), `anyOf`, `oneOf`, `allOf`, `not`.
//! (Written instead of the `jsonschema` crate, whose dependency tree would add minutes to a
//! cold test build for two schemas.)

use serde_json::Value;

const ANNOTATIONS: [&str; 8] = ["description", "default", "title", "$schema", "id", "$id", "definitions", "examples"];

/// Every violation of `schema` by `doc`, each as `path: what`.
pub fn validate(schema: &Value, doc: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    check(schema, schema, doc, "", &mut errs);
    errs
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        other => panic!("unknown type {other}"),
    }
}

fn format_ok(f: &str, s: &str) -> bool {
    let re = |p: &str| regex::Regex::new(p).unwrap().is_match(s);
    let clean = !s.chars().any(|c| c.is_whitespace() || c.is_control() || "<>\"{}|\\^`".contains(c))
        && re(r"^([^%]|%[0-9A-Fa-f]{2})*$");
    match f {
        "date-time" => re(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"),
        "uri" => clean && re(r"^[A-Za-z][A-Za-z0-9+.-]*:"),
        "uri-reference" => clean,
        other => panic!("unsupported format {other}"),
    }
}

fn check(root: &Value, s: &Value, v: &Value, path: &str, errs: &mut Vec<String>) {
    let Some(obj) = s.as_object() else {
        if s == &Value::Bool(false) {
            errs.push(format!("{path}: not allowed"));
        }
        return;
    };
    if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        let target = r.strip_prefix('#').and_then(|p| root.pointer(p)).unwrap_or_else(|| panic!("bad $ref {r}"));
        return check(root, target, v, path, errs);
    }
    for (k, kv) in obj {
        let mut fail = |what: String| errs.push(format!("{path}: {what}"));
        match k.as_str() {
            k if ANNOTATIONS.contains(&k) => {}
            "type" => {
                let ok = match kv {
                    Value::String(t) => type_ok(t, v),
                    Value::Array(ts) => ts.iter().any(|t| type_ok(t.as_str().unwrap(), v)),
                    _ => panic!("bad type"),
                };
                if !ok {
                    fail(format!("expected type {kv}, found {v}"));
                }
            }
            "enum" if !kv.as_array().unwrap().contains(v) => fail(format!("{v} not in {kv}")),
            "const" if kv != v => fail(format!("expected {kv}, found {v}")),
            "enum" | "const" => {}
            "required" => {
                for r in kv.as_array().unwrap() {
                    if v.as_object().is_some_and(|o| !o.contains_key(r.as_str().unwrap())) {
                        fail(format!("missing required {r}"));
                    }
                }
            }
            "properties" => {
                if let Some(o) = v.as_object() {
                    for (name, ps) in kv.as_object().unwrap() {
                        if let Some(x) = o.get(name) {
                            check(root, ps, x, &format!("{path}/{name}"), errs);
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(o) = v.as_object() {
                    let known = obj.get("properties").and_then(Value::as_object);
                    for (name, x) in o.iter().filter(|(n, _)| !known.is_some_and(|p| p.contains_key(*n))) {
                        match kv {
                            Value::Bool(false) => errs.push(format!("{path}: unexpected property `{name}`")),
                            Value::Bool(true) => {}
                            sub => check(root, sub, x, &format!("{path}/{name}"), errs),
                        }
                    }
                }
            }
            "items" => {
                for (i, x) in v.as_array().into_iter().flatten().enumerate() {
                    check(root, kv, x, &format!("{path}/{i}"), errs);
                }
            }
            "minItems" | "maxItems" => {
                if let Some(a) = v.as_array() {
                    let n = kv.as_u64().unwrap() as usize;
                    if (k == "minItems" && a.len() < n) || (k == "maxItems" && a.len() > n) {
                        fail(format!("{k} {n}, found {}", a.len()));
                    }
                }
            }
            "uniqueItems" => {
                if let (Some(true), Some(a)) = (kv.as_bool(), v.as_array()) {
                    if a.iter().enumerate().any(|(i, x)| a[..i].contains(x)) {
                        fail("items are not unique".into());
                    }
                }
            }
            "minimum" | "maximum" => {
                if let Some(n) = v.as_f64() {
                    let lim = kv.as_f64().unwrap();
                    if (k == "minimum" && n < lim) || (k == "maximum" && n > lim) {
                        fail(format!("{k} {lim}, found {n}"));
                    }
                }
            }
            "pattern" => {
                if let Some(t) = v.as_str() {
                    if !regex::Regex::new(kv.as_str().unwrap()).unwrap().is_match(t) {
                        fail(format!("`{t}` does not match {kv}"));
                    }
                }
            }
            "format" => {
                if let Some(t) = v.as_str() {
                    if !format_ok(kv.as_str().unwrap(), t) {
                        fail(format!("`{t}` is not a valid {kv}"));
                    }
                }
            }
            "anyOf" | "oneOf" | "allOf" | "not" => {
                if let Some(e) = combinator(root, k, kv, v, path) {
                    fail(e);
                }
            }
            other => panic!("the test validator does not implement the keyword `{other}` (at {path})"),
        }
    }
}

/// `anyOf`, `oneOf`, `allOf`, `not`: what is wrong, if anything.
fn combinator(root: &Value, k: &str, kv: &Value, v: &Value, path: &str) -> Option<String> {
    let matches = |sub: &Value| {
        let mut e = Vec::new();
        check(root, sub, v, path, &mut e);
        e.is_empty()
    };
    if k == "not" {
        return matches(kv).then(|| "matches a `not` schema".to_string());
    }
    let subs = kv.as_array().unwrap();
    let passing = subs.iter().filter(|sub| matches(sub)).count();
    let ok = match k {
        "anyOf" => passing >= 1,
        "oneOf" => passing == 1,
        _ => passing == subs.len(),
    };
    (!ok).then(|| format!("{k}: {passing} of {} subschemas match", subs.len()))
}

#[test]
fn the_validator_rejects_what_it_should() {
    let schema = serde_json::json!({
        "type": "object", "required": ["a"], "additionalProperties": false,
        "properties": { "a": { "$ref": "#/definitions/n" }, "u": { "type": "string", "format": "uri-reference" } },
        "definitions": { "n": { "type": "integer", "minimum": 1 } }
    });
    assert!(validate(&schema, &serde_json::json!({"a": 2, "u": "db/1.sql"})).is_empty());
    assert_eq!(validate(&schema, &serde_json::json!({"a": 0})).len(), 1);
    assert_eq!(validate(&schema, &serde_json::json!({"b": 1})).len(), 2, "missing a, unexpected b");
    assert_eq!(validate(&schema, &serde_json::json!({"a": 1, "u": "a b"})).len(), 1);
    assert_eq!(validate(&schema, &serde_json::json!({"a": "1"})).len(), 1);
}
