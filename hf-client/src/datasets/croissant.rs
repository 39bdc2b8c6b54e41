//! [`Croissant`]: the Croissant JSON-LD of a dataset (`GET /api/datasets/{id}/croissant`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A dataset's Croissant metadata (MLCommons, JSON-LD), kept whole, with typed accessors.
///
/// The Hub generates it from the dataset card and the Parquet conversion: `name`,
/// `description`, `license` (a URL), `creator`, `distribution` (one `cr:FileObject` for the
/// repository and one `cr:FileSet` of Parquet files per config) and `recordSet` (one
/// `cr:RecordSet` per config, plus a `cr:Split` record set listing the splits).
///
/// Accessors never fail: a missing key or a value of an unexpected shape gives `None` or an
/// empty list, and the JSON stays available in full through [`Croissant::as_value`]. Values
/// that may be one item or a list (`license`, `creator`, `includes`, `@type`) are read both ways.
/// Types match by their local name (`cr:FileSet`, `FileSet` and
/// `http://mlcommons.org/croissant/FileSet` are the same).
///
/// ```
/// use hf_client::datasets::Croissant;
///
/// let croissant = Croissant::from_value(serde_json::json!({
///     "@type": "sc:Dataset", "name": "mnist", "license": "mit",
///     "creator": {"@type": "Person", "name": "Yann LeCun"},
///     "distribution": [{"@type": "cr:FileSet", "@id": "parquet-files", "includes": "*/*/*.parquet"}],
///     "recordSet": [{"@type": "cr:RecordSet", "@id": "mnist_splits", "dataType": "cr:Split",
///                    "key": {"@id": "mnist_splits/split_name"},
///                    "data": [{"mnist_splits/split_name": "train"}, {"mnist_splits/split_name": "test"}]}]
/// }));
/// assert_eq!(croissant.name(), Some("mnist"));
/// assert_eq!(croissant.licenses(), ["mit"]);
/// assert_eq!(croissant.creators()[0].name.as_deref(), Some("Yann LeCun"));
/// assert_eq!(croissant.file_sets()[0].includes, ["*/*/*.parquet"]);
/// assert_eq!(croissant.splits(), ["train", "test"]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Croissant {
    json: Value,
}

/// A `creator` of a dataset (an `Organization` or a `Person`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CroissantCreator {
    /// `@type` (`Organization`, `Person`, `sc:Person`).
    pub kind: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `url` (the Hub profile).
    pub url: Option<String>,
}

/// A `cr:FileObject` of the distribution: one file (for the Hub, the git repository).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FileObject {
    /// `@id`.
    pub id: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `contentUrl`.
    pub content_url: Option<String>,
    /// `encodingFormat` (`git+https`).
    pub encoding_format: Option<String>,
    /// `sha256` (the Hub puts a placeholder URL here).
    pub sha256: Option<String>,
    /// `containedIn` ids.
    pub contained_in: Vec<String>,
}

/// A `cr:FileSet` of the distribution: files matching glob patterns (for the Hub, the Parquet
/// files of one config).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FileSet {
    /// `@id` (`parquet-files-for-config-default`).
    pub id: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `encodingFormat` (`application/x-parquet`).
    pub encoding_format: Option<String>,
    /// `includes` glob patterns (`default/*/*.parquet`).
    pub includes: Vec<String>,
    /// `containedIn` ids (`repo`).
    pub contained_in: Vec<String>,
}

/// A `cr:RecordSet`: the records of one config, or the list of splits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecordSet {
    /// `@id` (`default`, `default_splits`).
    pub id: Option<String>,
    /// `name` (absent in some files; see [`RecordSet::label`]).
    pub name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `dataType` (`cr:Split` for the split list).
    pub data_types: Vec<String>,
    /// `key` field ids.
    pub key: Vec<String>,
    /// `field` entries.
    pub fields: Vec<Field>,
    /// The split names, for a record set of type `cr:Split` with inline `data`.
    pub split_names: Vec<String>,
    /// Inline `data` records, as sent.
    pub data: Option<Value>,
}

impl RecordSet {
    /// True for the record set listing splits (`dataType: cr:Split`).
    pub fn is_split_list(&self) -> bool {
        self.data_types.iter().any(|t| local_name(t) == "Split")
    }

    /// `name`, else `@id`.
    pub fn label(&self) -> Option<&str> {
        self.name.as_deref().or(self.id.as_deref())
    }
}

/// A `cr:Field` of a record set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Field {
    /// `@id` (`default/text`).
    pub id: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `dataType` (`sc:Text`, `sc:Integer`, `sc:ImageObject`, …).
    pub data_types: Vec<String>,
    /// `source.fileSet` id.
    pub file_set: Option<String>,
    /// `source.fileObject` id.
    pub file_object: Option<String>,
    /// `source.extract.column`: the Parquet column.
    pub column: Option<String>,
    /// `references.field` id (the split field refers to the split list).
    pub references: Option<String>,
    /// `repeated`: the field holds a list of values.
    pub repeated: bool,
    /// `subField` entries.
    pub sub_fields: Vec<Field>,
}

impl Field {
    /// `name`, else `@id`.
    pub fn label(&self) -> Option<&str> {
        self.name.as_deref().or(self.id.as_deref())
    }
}

impl Croissant {
    /// Wrap a Croissant document.
    pub fn from_value(json: Value) -> Self {
        Self { json }
    }

    /// The whole document.
    pub fn as_value(&self) -> &Value {
        &self.json
    }

    /// The whole document, owned.
    pub fn into_value(self) -> Value {
        self.json
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.json.get(key)
    }

    /// `name` (the repository name, e.g. `duorc`).
    pub fn name(&self) -> Option<&str> {
        self.get("name").and_then(Value::as_str)
    }

    /// `description` (the card summary).
    pub fn description(&self) -> Option<&str> {
        self.get("description").and_then(Value::as_str)
    }

    /// `url` (the dataset page).
    pub fn url(&self) -> Option<&str> {
        self.get("url").and_then(Value::as_str)
    }

    /// `conformsTo` (`http://mlcommons.org/croissant/1.0`).
    pub fn conforms_to(&self) -> Option<String> {
        self.get("conformsTo").and_then(text)
    }

    /// `version`.
    pub fn version(&self) -> Option<String> {
        self.get("version").and_then(text)
    }

    /// `datePublished`.
    pub fn date_published(&self) -> Option<String> {
        self.get("datePublished").and_then(text)
    }

    /// `citeAs` (BibTeX).
    pub fn cite_as(&self) -> Option<String> {
        self.get("citeAs").and_then(text)
    }

    /// `license`: one or several (URLs such as `https://choosealicense.com/licenses/mit/`, or
    /// ids such as `mit`; objects give their `@id`, `url` or `name`).
    pub fn licenses(&self) -> Vec<String> {
        self.get("license").map(texts).unwrap_or_default()
    }

    /// The first license.
    pub fn license(&self) -> Option<String> {
        self.licenses().into_iter().next()
    }

    /// `keywords`.
    pub fn keywords(&self) -> Vec<String> {
        self.get("keywords").map(texts).unwrap_or_default()
    }

    /// `alternateName` (the repo id and the pretty name).
    pub fn alternate_names(&self) -> Vec<String> {
        self.get("alternateName").map(texts).unwrap_or_default()
    }

    /// `sameAs` (the project's home page).
    pub fn same_as(&self) -> Vec<String> {
        self.get("sameAs").map(texts).unwrap_or_default()
    }

    /// `creator`: one object or a list (a bare string becomes a name).
    pub fn creators(&self) -> Vec<CroissantCreator> {
        items(self.get("creator"))
            .filter_map(|c| match c {
                Value::Object(_) => Some(CroissantCreator {
                    kind: types(c).into_iter().next(),
                    name: c.get("name").and_then(text),
                    url: c.get("url").and_then(text),
                }),
                Value::String(s) => Some(CroissantCreator {
                    name: Some(s.clone()),
                    ..CroissantCreator::default()
                }),
                _ => None,
            })
            .collect()
    }

    /// The `cr:FileObject` entries of `distribution`.
    pub fn file_objects(&self) -> Vec<FileObject> {
        self.distribution("FileObject")
            .map(|d| FileObject {
                id: d.get("@id").and_then(text),
                name: d.get("name").and_then(text),
                description: d.get("description").and_then(text),
                content_url: d.get("contentUrl").and_then(text),
                encoding_format: d.get("encodingFormat").and_then(text),
                sha256: d.get("sha256").and_then(text),
                contained_in: ref_ids(d.get("containedIn")),
            })
            .collect()
    }

    /// The `cr:FileSet` entries of `distribution`.
    pub fn file_sets(&self) -> Vec<FileSet> {
        self.distribution("FileSet")
            .map(|d| FileSet {
                id: d.get("@id").and_then(text),
                name: d.get("name").and_then(text),
                description: d.get("description").and_then(text),
                encoding_format: d.get("encodingFormat").and_then(text),
                includes: d.get("includes").map(texts).unwrap_or_default(),
                contained_in: ref_ids(d.get("containedIn")),
            })
            .collect()
    }

    fn distribution<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        items(self.get("distribution"))
            .filter(move |d| types(d).iter().any(|t| local_name(t) == kind))
    }

    /// The `recordSet` entries (objects; anything else is skipped).
    pub fn record_sets(&self) -> Vec<RecordSet> {
        items(self.get("recordSet"))
            .filter(|r| r.is_object())
            .map(record_set)
            .collect()
    }

    /// The split names, from the record sets of type `cr:Split`, in order, without repeats.
    pub fn splits(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for rs in self.record_sets() {
            for name in rs.split_names {
                if !out.contains(&name) {
                    out.push(name);
                }
            }
        }
        out
    }
}

fn record_set(r: &Value) -> RecordSet {
    let mut rs = RecordSet {
        id: r.get("@id").and_then(text),
        name: r.get("name").and_then(text),
        description: r.get("description").and_then(text),
        data_types: r.get("dataType").map(texts).unwrap_or_default(),
        key: ref_ids(r.get("key")),
        fields: items(r.get("field")).filter_map(field).collect(),
        split_names: Vec::new(),
        data: r.get("data").cloned(),
    };
    if rs.is_split_list() {
        rs.split_names = items(r.get("data"))
            .filter_map(|row| split_name(row, &rs.key))
            .collect();
    }
    rs
}

/// The split name of one `data` row: the key field's value, else a `…split_name` value, else
/// the only text.
fn split_name(row: &Value, key: &[String]) -> Option<String> {
    let obj = match row {
        Value::Object(obj) => obj,
        Value::String(s) => return Some(s.clone()),
        _ => return None,
    };
    key.iter()
        .find_map(|k| obj.get(k).and_then(text))
        .or_else(|| {
            obj.iter()
                .find(|(k, _)| k.ends_with("split_name"))
                .and_then(|(_, v)| text(v))
        })
        .or_else(|| {
            let mut texts = obj.values().filter_map(text);
            match (texts.next(), texts.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        })
}

fn field(f: &Value) -> Option<Field> {
    if !f.is_object() {
        return None;
    }
    let source = f.get("source");
    let pick = |key: &str| source.and_then(|s| s.get(key));
    Some(Field {
        id: f.get("@id").and_then(text),
        name: f.get("name").and_then(text),
        description: f.get("description").and_then(text),
        data_types: f.get("dataType").map(texts).unwrap_or_default(),
        file_set: ref_ids(pick("fileSet")).into_iter().next(),
        file_object: ref_ids(pick("fileObject")).into_iter().next(),
        column: pick("extract").and_then(|e| e.get("column")).and_then(text),
        references: f
            .get("references")
            .and_then(|r| ref_ids(r.get("field")).into_iter().next()),
        repeated: f.get("repeated").and_then(Value::as_bool).unwrap_or(false),
        sub_fields: items(f.get("subField")).filter_map(field).collect(),
    })
}

/// A value as a list of items: a list gives its items, `null`/absent nothing, anything else
/// itself.
fn items(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    let slice: &[Value] = match v {
        Some(Value::Array(a)) => a,
        Some(Value::Null) | None => &[],
        Some(other) => std::slice::from_ref(other),
    };
    slice.iter()
}

/// The text of a value: a string, a number or boolean as text, or an object's `@value`,
/// `@id`, `url` or `name`.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(o) => ["@value", "@id", "url", "name"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str))
            .map(str::to_owned),
        _ => None,
    }
}

/// The texts of a value that may be one item or a list.
fn texts(v: &Value) -> Vec<String> {
    items(Some(v)).filter_map(text).collect()
}

/// Ids referenced as `{"@id": …}`, a list of those, or bare strings.
fn ref_ids(v: Option<&Value>) -> Vec<String> {
    items(v)
        .filter_map(|r| match r {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("@id").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        })
        .collect()
}

fn types(v: &Value) -> Vec<String> {
    v.get("@type").map(texts).unwrap_or_default()
}

/// `cr:FileSet`, `http://mlcommons.org/croissant/FileSet` → `FileSet`.
fn local_name(t: &str) -> &str {
    t.rsplit([':', '/', '#']).next().unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn odd_shapes_give_empty_answers() {
        for doc in [
            json!(null),
            json!([]),
            json!("x"),
            json!({"license": {"weird": 1}, "creator": [1, null], "distribution": {"@type": 3},
                   "recordSet": [1, {"field": "x", "dataType": ["cr:Split"], "data": 7}]}),
        ] {
            let c = Croissant::from_value(doc);
            assert_eq!(c.name(), None);
            assert!(c.licenses().is_empty());
            assert!(c.creators().is_empty());
            assert!(c.file_sets().is_empty());
            assert!(c.splits().is_empty());
            let _ = c.record_sets();
        }
    }

    #[test]
    fn lists_and_iris_are_read() {
        let c = Croissant::from_value(json!({
            "license": ["mit", {"@id": "https://spdx.org/licenses/MIT"}],
            "creator": [{"@type": ["sc:Organization"], "name": "A"}, "B"],
            "distribution": [{"@type": "http://mlcommons.org/croissant/FileObject", "@id": "repo"}],
            "recordSet": {"@type": "cr:RecordSet", "@id": "s", "dataType": "cr:Split",
                          "data": {"s/split_name": "train"}}
        }));
        assert_eq!(c.licenses(), ["mit", "https://spdx.org/licenses/MIT"]);
        let creators = c.creators();
        assert_eq!(creators[0].kind.as_deref(), Some("sc:Organization"));
        assert_eq!(creators[1].name.as_deref(), Some("B"));
        assert_eq!(c.file_objects()[0].id.as_deref(), Some("repo"));
        assert_eq!(c.splits(), ["train"]);
    }
}
