//! `mlentory_id`: the identity of an entity in the MLentory graph, compatible with the Python
//! extractor this crate replaces.
//!
//! The id is `https://w3id.org/mlentory/mlentory_graph/` followed by the hex SHA-256 of the
//! string Python's `json.dumps({"id": ID, "platform": "HF", "type": TYPE}, sort_keys=True)`
//! produces: keys sorted, separators `", "` and `": "`, non-ASCII escaped as `\uXXXX`
//! (UTF-16 surrogate pairs beyond the BMP), and `"`, `\`, control characters escaped as
//! `json.dumps` does.
//!
//! # The identity rule
//!
//! The downstream links a model to an entity by `hash(TYPE, id)` of the id in an identified map
//! and finds the entity by its record's `mlentory_id`, so every record carries the **exact** id of
//! its map ([`crate::entities`]) and its `mlentory_id` is [`EntityType::id`] of that string: one
//! record per id, no two records with one `mlentory_id`. Canonical ids are learnt before a map is
//! written and used in it: models are keyed by their canonical id (old names kept in `aliases`; a
//! legacy id the Hub answers as itself, `gpt2` owned by `openai-community`, is named
//! `openai-community/gpt2`, [`crate::models::canonical_repo_id`]), base-model references to a model
//! that was read are rewritten to its canonical id ([`crate::lineage::canonicalise_base_models`];
//! the text as written stays in `raw`), and legacy dataset ids answered through a 307 (`mnist` →
//! `ylecun/mnist`), or as themselves with an `author` (named `author/id` as models are), are
//! resolved before the datasets' map is written ([`crate::legacy_datasets`]): references name the
//! canonical id (`raw` keeps `mnist`), and the one record of the dataset is keyed by it, with
//! `mnist` in its `aliases`. A run naming one dataset both ways has one record, and every link
//! lands on it. `hf_extractor::downstream` describes the whole contract.

use sha2::{Digest, Sha256};

/// The prefix of every `mlentory_id`.
pub const MLENTORY_GRAPH_PREFIX: &str = "https://w3id.org/mlentory/mlentory_graph/";

/// The platform every id of this crate is minted for.
pub const PLATFORM: &str = "HF";

/// The `TYPE` of an entity in [`mlentory_id`], one per kind of record a run folder holds (the
/// downstream's names: a base model is a `Model`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityType {
    /// A model (`hf_models_with_ancestors.json`, and the base-model links).
    Model,
    /// A dataset (`hf_datasets_specific.json`).
    Dataset,
    /// An article: an arXiv paper or a DOI (`arxiv_articles.json`).
    Article,
    /// A keyword (`keywords.json`).
    Keyword,
    /// A license (`licenses.json`).
    License,
    /// A language (`languages.json`; the identified and the README languages).
    Language,
    /// A task (`tasks.json`).
    Task,
    /// The model's author or organisation (`sharedby.json`).
    SharedBy,
}

impl EntityType {
    /// The type as the downstream spells it (`Model`, `Dataset`, `SharedBy`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Model => "Model",
            EntityType::Dataset => "Dataset",
            EntityType::Article => "Article",
            EntityType::Keyword => "Keyword",
            EntityType::License => "License",
            EntityType::Language => "Language",
            EntityType::Task => "Task",
            EntityType::SharedBy => "SharedBy",
        }
    }

    /// The type of the records of an identified kind.
    pub fn of(kind: hf_identifiers::EntityKind) -> Self {
        use hf_identifiers::EntityKind;
        match kind {
            EntityKind::Datasets => EntityType::Dataset,
            EntityKind::Articles => EntityType::Article,
            EntityKind::BaseModels => EntityType::Model,
            EntityKind::Keywords => EntityType::Keyword,
            EntityKind::Licenses => EntityType::License,
            EntityKind::Languages => EntityType::Language,
            EntityKind::Tasks => EntityType::Task,
        }
    }

    /// `mlentory_id(self, id)`: the id of the record of `id`, exactly as the map spells it.
    ///
    /// ```
    /// use hf_enrich::mlentory::{EntityType, mlentory_id};
    ///
    /// assert_eq!(EntityType::SharedBy.id("google"), mlentory_id("SharedBy", "google"));
    /// ```
    pub fn id(self, id: &str) -> String {
        mlentory_id(self.as_str(), id)
    }
}

/// The `mlentory_id` of the entity `id` of type `entity_type` (`Model`, `Dataset`, `Article`, …).
///
/// ```
/// use hf_enrich::mlentory::mlentory_id;
///
/// assert_eq!(
///     mlentory_id("Model", "google-bert/bert-base-uncased"),
///     "https://w3id.org/mlentory/mlentory_graph/dd1e67ffacf9b91d52a25fb7e0df4683aeb5640dca0cca83f252de7e1694ef56"
/// );
/// ```
pub fn mlentory_id(entity_type: &str, id: &str) -> String {
    let canonical = python_json_dumps_sorted(id, entity_type);
    let digest = Sha256::digest(canonical.as_bytes());
    let mut out = String::with_capacity(MLENTORY_GRAPH_PREFIX.len() + 64);
    out.push_str(MLENTORY_GRAPH_PREFIX);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// `json.dumps({"id": id, "platform": "HF", "type": entity_type}, sort_keys=True)`.
fn python_json_dumps_sorted(id: &str, entity_type: &str) -> String {
    let mut s = String::with_capacity(id.len() + entity_type.len() + 40);
    s.push_str("{\"id\": ");
    push_python_json_string(&mut s, id);
    s.push_str(", \"platform\": ");
    push_python_json_string(&mut s, PLATFORM);
    s.push_str(", \"type\": ");
    push_python_json_string(&mut s, entity_type);
    s.push('}');
    s
}

/// A JSON string as Python's `json.dumps` (with `ensure_ascii=True`) writes it.
fn push_python_json_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_test_vectors() {
        assert_eq!(
            mlentory_id("Model", "google-bert/bert-base-uncased"),
            format!(
                "{MLENTORY_GRAPH_PREFIX}dd1e67ffacf9b91d52a25fb7e0df4683aeb5640dca0cca83f252de7e1694ef56"
            )
        );
        assert_eq!(
            mlentory_id("Article", "2106.09685"),
            format!(
                "{MLENTORY_GRAPH_PREFIX}e3e451e60d71347e0ea75809d96fceacb214c564ef4ec27ed582903558dc4745"
            )
        );
    }

    #[test]
    fn strings_are_escaped_like_python_json_dumps() {
        // Each expected string is what Python 3 prints for json.dumps(value).
        let cases = [
            ("plain", r#""plain""#),
            ("a\"b\\c", r#""a\"b\\c""#),
            ("tab\there\nnl", r#""tab\there\nnl""#),
            ("\u{1}", r#""\u0001""#),
            ("\u{7f}", r#""\u007f""#),
            ("café", r#""caf\u00e9""#),
            ("日本", r#""\u65e5\u672c""#),
            ("😀", r#""\ud83d\ude00""#),
        ];
        for (value, expected) in cases {
            let mut out = String::new();
            push_python_json_string(&mut out, value);
            assert_eq!(out, expected, "{value:?}");
        }
        assert_eq!(
            python_json_dumps_sorted("a/b", "Model"),
            r#"{"id": "a/b", "platform": "HF", "type": "Model"}"#
        );
    }
}
