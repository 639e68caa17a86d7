//! Reading a `describe_index_stats` answer straight from its bytes. The namespaces map is read
//! entry by entry into counts, without first building a JSON tree with one small object per
//! namespace: at 100,000 namespaces (4 MB) that tree was most of the time and memory the read
//! took. Only the fields this code knows are kept, each as the scalar JSON gave, then judged
//! by the same rules and with the same errors as [`super::parse`]: counts as numbers or
//! strings, camelCase or snake_case names (the first name present and not `null` wins), and an
//! error names the field, never a value from the body.

use super::model::{IndexStats, NamespaceStats};
use super::parse::{count_of, field_path, float_of, problem, syntax_error, ParseError};
use serde::de::{DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;

const VECTOR_COUNT: &[&str] = &["vectorCount", "vector_count", "recordCount", "record_count"];
pub(crate) const SIZE_BYTES: &[&str] = &["sizeBytes", "size_bytes"];
const DIMENSION: &[&str] = &["dimension"];
const INDEX_FULLNESS: &[&str] = &["indexFullness", "index_fullness"];
const MEMORY_FULLNESS: &[&str] = &["memoryFullness", "memory_fullness"];
const STORAGE_FULLNESS: &[&str] = &["storageFullness", "storage_fullness"];
const TOTAL: &[&str] = &["totalVectorCount", "total_vector_count", "totalRecordCount"];
const METRIC: &[&str] = &["metric"];
const VECTOR_TYPE: &[&str] = &["vectorType", "vector_type"];

/// Parses a `describe_index_stats` body.
pub(crate) fn from_slice(body: &[u8]) -> Result<IndexStats, ParseError> {
    let found = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(body);
    let read = Stats { found: &found }.deserialize(&mut de).and_then(|s| de.end().map(|()| s));
    read.map_err(|e| found.take().unwrap_or_else(|| syntax_error(&e)))
}

/// The same, from any serde format (a saved snapshot).
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<IndexStats, D::Error> {
    let found = RefCell::new(None);
    Stats { found: &found }.deserialize(d).map_err(|e| match found.take() {
        Some(p) => D::Error::custom(p),
        None => e,
    })
}

/// One field's value by the name it was found under: the earliest of `names` not `null`.
struct Pick<'n> {
    names: &'n [&'n str],
    at: Option<(usize, Value)>,
}

impl<'n> Pick<'n> {
    fn new(names: &'n [&'n str]) -> Self {
        Pick { names, at: None }
    }

    /// Whether `key` is one of the names; its value is then read (a scalar, or skipped).
    fn offer<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        let Some(i) = self.names.iter().position(|n| *n == key) else { return Ok(false) };
        let v: Value = map.next_value_seed(Scalar)?;
        if !v.is_null() && self.at.as_ref().is_none_or(|(j, _)| i <= *j) {
            self.at = Some((i, v));
        }
        Ok(true)
    }

    fn path(&self, parent: &str) -> String {
        field_path(parent, self.at.as_ref().map_or(self.names[0], |(i, _)| self.names[*i]))
    }

    fn count(&self, parent: &str) -> Result<Option<u64>, ParseError> {
        match &self.at {
            None => Ok(None),
            Some((_, v)) => {
                count_of(v).map(Some).ok_or_else(|| problem(self.path(parent), "is not a whole non-negative count"))
            }
        }
    }

    fn float(&self) -> Result<Option<f64>, ParseError> {
        match &self.at {
            None => Ok(None),
            Some((_, v)) => float_of(v).map(Some).ok_or_else(|| problem(self.path(""), "is not a number")),
        }
    }

    fn text(&self) -> Result<Option<String>, ParseError> {
        match &self.at {
            None => Ok(None),
            Some((_, Value::String(s))) => Ok(Some(s.clone())),
            Some(_) => Err(problem(self.path(""), "is not a string")),
        }
    }
}

/// A value kept only when it is a scalar (an array or object is read past and kept as a
/// marker that fails every rule).
struct Scalar;

impl<'de> DeserializeSeed<'de> for Scalar {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::from(n))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::from(n))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Value::from(n))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Array(Vec::new()))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Value::Object(serde_json::Map::new()))
    }
}

/// The visit methods of a visitor that wants an object: anything else is `problem(path, "is
/// not a JSON object")`.
macro_rules! refuse_non_objects {
    ($value:ty, $path:expr) => {
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<$value, E> {
            Err(fail(self.found, problem($path, "is not a JSON object")))
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<$value, E> {
            Err(fail(self.found, problem($path, "is not a JSON object")))
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<$value, E> {
            Err(fail(self.found, problem($path, "is not a JSON object")))
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<$value, E> {
            Err(fail(self.found, problem($path, "is not a JSON object")))
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<$value, E> {
            Err(fail(self.found, problem($path, "is not a JSON object")))
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<$value, A::Error> {
            Err(fail(self.found, problem($path, "is not a JSON object")))
        }
    };
}

/// Records the first problem found and turns it into the format's error (which stops the read).
fn fail<E: serde::de::Error>(found: &RefCell<Option<ParseError>>, p: ParseError) -> E {
    let e = E::custom(&p);
    found.borrow_mut().get_or_insert(p);
    e
}

/// The whole answer, which must be an object.
struct Stats<'a> {
    found: &'a RefCell<Option<ParseError>>,
}

impl<'de> DeserializeSeed<'de> for Stats<'_> {
    type Value = IndexStats;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<IndexStats, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Stats<'_> {
    type Value = IndexStats;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<IndexStats, A::Error> {
        let mut namespaces = BTreeMap::new();
        let [mut dimension, mut index_f, mut memory_f, mut storage_f, mut total, mut metric, mut vector_type] =
            [DIMENSION, INDEX_FULLNESS, MEMORY_FULLNESS, STORAGE_FULLNESS, TOTAL, METRIC, VECTOR_TYPE].map(Pick::new);
        while let Some(key) = map.next_key::<String>()? {
            if key == "namespaces" {
                namespaces = map.next_value_seed(Namespaces { found: self.found })?;
                continue;
            }
            let mut taken = false;
            for p in
                [&mut dimension, &mut index_f, &mut memory_f, &mut storage_f, &mut total, &mut metric, &mut vector_type]
            {
                if !taken {
                    taken = p.offer(&key, &mut map)?;
                }
            }
            if !taken {
                map.next_value::<IgnoredAny>()?;
            }
        }
        let judged = (|| {
            Ok::<_, ParseError>(IndexStats {
                namespaces,
                dimension: dimension.count("")?,
                index_fullness: index_f.float()?,
                memory_fullness: memory_f.float()?,
                storage_fullness: storage_f.float()?,
                total_vector_count: total.count("")?,
                metric: metric.text()?,
                vector_type: vector_type.text()?,
            })
        })();
        judged.map_err(|p| fail(self.found, p))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<IndexStats, E> {
        Err(fail(self.found, problem("", "is not a JSON object")))
    }
    refuse_non_objects!(IndexStats, "");
}

/// `namespaces`: an object of name → counts, or `null`.
struct Namespaces<'a> {
    found: &'a RefCell<Option<ParseError>>,
}

impl<'de> DeserializeSeed<'de> for Namespaces<'_> {
    type Value = BTreeMap<String, NamespaceStats>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Namespaces<'_> {
    type Value = BTreeMap<String, NamespaceStats>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(BTreeMap::new())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // collected, then built: a map is built from sorted entries in one pass
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(name) = map.next_key::<String>()? {
            entries.push((name, map.next_value_seed(Namespace { found: self.found })?));
        }
        Ok(entries.into_iter().collect())
    }
    refuse_non_objects!(Self::Value, "namespaces");
}

/// One namespace's counts, an object.
struct Namespace<'a> {
    found: &'a RefCell<Option<ParseError>>,
}

impl<'de> DeserializeSeed<'de> for Namespace<'_> {
    type Value = NamespaceStats;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<NamespaceStats, D::Error> {
        // anything but an object is read as a scalar and refused below
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Namespace<'_> {
    type Value = NamespaceStats;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NamespaceStats, A::Error> {
        let (mut count, mut bytes) = (Pick::new(VECTOR_COUNT), Pick::new(SIZE_BYTES));
        while let Some(key) = map.next_key::<String>()? {
            if !count.offer(&key, &mut map)? && !bytes.offer(&key, &mut map)? {
                map.next_value::<IgnoredAny>()?;
            }
        }
        let judged = (|| {
            Ok::<_, ParseError>(NamespaceStats {
                vector_count: count.count("namespaces.*")?.unwrap_or(0),
                size_bytes: bytes.count("namespaces.*")?,
            })
        })();
        judged.map_err(|p| fail(self.found, p))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<NamespaceStats, E> {
        Err(fail(self.found, problem("namespaces.*", "is not a JSON object")))
    }
    refuse_non_objects!(NamespaceStats, "namespaces.*");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The streaming read and the tree read agree, on good bodies and on every kind of bad one
    /// (the same error text).
    #[test]
    fn reads_as_the_tree_does() {
        let bodies: &[&str] = &[
            r#"{"namespaces":{"":{"vectorCount":50000},"a":{"vectorCount":"30000","sizeBytes":12}},
                "dimension":1024,"indexFullness":0.4,"totalVectorCount":"80000","metric":"cosine","vectorType":"dense"}"#,
            r#"{"namespaces":{"a":{"vector_count":7,"other":{"x":[1,2]}}},"index_fullness":"0.1",
                "memory_fullness":0.3,"storage_fullness":0.2,"total_vector_count":7,"extra":[{"y":1}]}"#,
            r#"{"namespaces":{"a":{"recordCount":3,"vectorCount":null},"b":{"record_count":4,"vectorCount":5}}}"#,
            r#"{"namespaces":{"a":{"vectorCount":5.0},"a":{"vectorCount":6}}}"#,
            r#"{"namespaces":{"a":{}, "b":{"vectorCount":null}},"dimension":null,"metric":null}"#,
            r#"{"namespaces":null}"#,
            "{}",
            r#"{"namespaces":{"a":{"vectorCount":-1}}}"#,
            r#"{"namespaces":{"a":{"vectorCount":1.5}}}"#,
            r#"{"namespaces":{"a":{"vectorCount":"secret"}}}"#,
            r#"{"namespaces":{"a":{"vectorCount":[1]}}}"#,
            r#"{"namespaces":{"a":{"sizeBytes":"x"}}}"#,
            r#"{"namespaces":{"a":7}}"#,
            r#"{"namespaces":{"a":"secret"}}"#,
            r#"{"namespaces":["secret"]}"#,
            r#"{"namespaces":"secret"}"#,
            r#"{"dimension":"secret"}"#,
            r#"{"indexFullness":"secret"}"#,
            r#"{"indexFullness":"NaN"}"#,
            r#"{"metric":7}"#,
            r#"["secret"]"#,
            r#""secret""#,
            "null",
            r#"{"namespaces":{"a":{"vectorCount":"#,
            r#"{"a": "secret"} trailing"#,
            "",
        ];
        for body in bodies {
            let tree = parse_tree(body.as_bytes());
            let streamed = from_slice(body.as_bytes());
            assert_eq!(streamed, tree, "{body}");
            if let Err(e) = &streamed {
                assert!(!e.to_string().contains("secret"), "{e}");
            }
            let from_str = serde_json::from_str::<IndexStats>(body).map_err(|e| e.to_string());
            if let (Ok(tree), Ok(streamed)) = (&tree, &from_str) {
                assert_eq!(streamed, tree, "{body}");
            }
        }
    }

    /// The way it was read before: a JSON tree, then field by field.
    fn parse_tree(body: &[u8]) -> Result<IndexStats, ParseError> {
        use super::super::parse::{json, Obj};
        let v = json(body)?;
        let o = Obj::root(&v)?;
        let namespaces = o
            .entries(&["namespaces"])?
            .into_iter()
            .map(|(name, ns)| {
                let vector_count = ns.count(VECTOR_COUNT)?.unwrap_or(0);
                Ok((name.to_string(), NamespaceStats { vector_count, size_bytes: ns.count(SIZE_BYTES)? }))
            })
            .collect::<Result<BTreeMap<_, _>, ParseError>>()?;
        Ok(IndexStats {
            namespaces,
            dimension: o.count(DIMENSION)?,
            index_fullness: o.float(INDEX_FULLNESS)?,
            memory_fullness: o.float(MEMORY_FULLNESS)?,
            storage_fullness: o.float(STORAGE_FULLNESS)?,
            total_vector_count: o.count(TOTAL)?,
            metric: o.text(METRIC)?,
            vector_type: o.text(VECTOR_TYPE)?,
        })
    }
}
