//! Conformance of a run folder to what the Python extractor's downstream reads (the MLentory
//! HF transformer's contract, summarised in the top README): every key where the contract reads
//! it, with its JSON type; the identity rule for every link of every kind; maps that reduce to
//! plain strings.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use hf_extractor::mlentory::{MLENTORY_GRAPH_PREFIX, mlentory_id};
use serde_json::{Map, Value};

/// Per kind: the map's kind name, the entity file, the record's key, the TYPE of the hash.
pub const KINDS: [(&str, &str, &str, &str); 8] = [
    (
        "datasets",
        "hf_datasets_specific.json",
        "datasetId",
        "Dataset",
    ),
    ("articles", "arxiv_articles.json", "arxiv_id", "Article"),
    ("base_models", "hf_base_models.json", "id", "Model"),
    ("keywords", "keywords.json", "keyword", "Keyword"),
    ("licenses", "licenses.json", "Identifier", "License"),
    ("languages", "languages.json", "code", "Language"),
    ("tasks", "tasks.json", "task", "Task"),
    ("sharedby", "sharedby.json", "name", "SharedBy"),
];

/// The JSON types a key may have.
#[derive(Clone, Copy, Debug)]
enum Ty {
    Str,
    /// A non-empty string: a name or a key.
    Key,
    OptStr,
    Bool,
    /// ISO 8601 (RFC 3339) or `YYYY-MM-DD`, or null.
    OptDate,
    StrList,
    /// `[{"name": str}]` or `[str]`.
    Authors,
    OptObject,
}

fn check(record: &Value, key: &str, ty: Ty, file: &str) {
    let Some(value) = record.get(key) else {
        panic!("{file}: a record without {key:?}: {record}");
    };
    let ok = match ty {
        Ty::Str => value.is_string(),
        Ty::Key => value.as_str().is_some_and(|s| !s.trim().is_empty()),
        Ty::OptStr => value.is_string() || value.is_null(),
        Ty::Bool => value.is_boolean(),
        Ty::OptDate => value.is_null() || value.as_str().is_some_and(is_date),
        Ty::StrList => value
            .as_array()
            .is_some_and(|a| a.iter().all(Value::is_string)),
        Ty::Authors => value.as_array().is_some_and(|a| {
            a.iter()
                .all(|x| x.is_string() || x.get("name").is_some_and(Value::is_string))
        }),
        Ty::OptObject => value.is_object() || value.is_null(),
    };
    assert!(ok, "{file}: {key} is not {ty:?}: {value}");
}

fn is_date(text: &str) -> bool {
    text.parse::<jiff::Timestamp>().is_ok() || text.parse::<jiff::civil::Date>().is_ok()
}

/// The keys the downstream reads from each entity file, beyond `mlentory_id` and
/// `extraction_metadata`.
fn entity_keys(file: &str) -> &'static [(&'static str, Ty)] {
    match file {
        "hf_datasets_specific.json" => &[
            ("datasetId", Ty::Key),
            ("croissant_metadata", Ty::OptObject),
            ("enriched", Ty::Bool),
        ],
        "arxiv_articles.json" => &[
            ("arxiv_id", Ty::Key),
            ("title", Ty::OptStr),
            ("summary", Ty::OptStr),
            ("authors", Ty::Authors),
            ("published", Ty::OptDate),
            ("updated", Ty::OptDate),
            ("categories", Ty::StrList),
            ("primary_category", Ty::OptStr),
            ("journal_ref", Ty::OptStr),
            ("comment", Ty::OptStr),
            ("doi", Ty::OptStr),
            ("pdf_url", Ty::OptStr),
            ("links", Ty::StrList),
        ],
        "licenses.json" => &[
            ("Identifier", Ty::Key),
            ("Name", Ty::Key),
            ("URL", Ty::OptStr),
            ("OSI Approved", Ty::Bool),
            ("Deprecated", Ty::Bool),
            ("Notes", Ty::OptStr),
            ("Text", Ty::OptStr),
        ],
        "keywords.json" => &[
            ("keyword", Ty::Key),
            ("url", Ty::Str),
            ("aliases", Ty::StrList),
            ("definition", Ty::OptStr),
            ("wikidata_qid", Ty::OptStr),
        ],
        "languages.json" => &[
            ("code", Ty::Key),
            ("name", Ty::Key),
            ("alpha_2", Ty::OptStr),
            ("alpha_3", Ty::OptStr),
            ("scope", Ty::OptStr),
            ("type", Ty::OptStr),
        ],
        "tasks.json" => &[
            ("task", Ty::Key),
            ("url", Ty::Str),
            ("category", Ty::OptStr),
            ("definition", Ty::OptStr),
        ],
        "sharedby.json" => &[("name", Ty::Key)],
        _ => &[("id", Ty::Key)],
    }
}

fn read(folder: &Path, file: &str) -> Value {
    let text = std::fs::read_to_string(folder.join(file))
        .unwrap_or_else(|e| panic!("{file} is missing: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn array<'v>(value: &'v Value, file: &str) -> &'v Vec<Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("{file} is not an array"))
}

fn object<'v>(value: &'v Value, file: &str) -> &'v Map<String, Value> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("{file} is not an object"))
}

/// Every record reads `mlentory_id` and `extraction_metadata`.
fn check_common(record: &Value, file: &str) {
    let id = record["mlentory_id"].as_str();
    assert!(
        id.is_some_and(|id| id.starts_with(MLENTORY_GRAPH_PREFIX)
            && id.len() == MLENTORY_GRAPH_PREFIX.len() + 64),
        "{file}: mlentory_id of {record}"
    );
    let meta = &record["extraction_metadata"];
    check(meta, "extraction_method", Ty::Key, file);
    let confidence = meta["confidence"].as_f64();
    assert!(
        confidence.is_some_and(|c| (0.0..=1.0).contains(&c)),
        "{file}: confidence {meta}"
    );
    assert!(
        meta["extraction_time"]
            .as_str()
            .is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok()),
        "{file}: extraction_time {meta}"
    );
    if let Some(error) = meta.get("error") {
        assert!(error.is_string() || error.is_null(), "{file}: error {meta}");
    }
}

/// A map reduced to what the downstream receives: `{model_id: [id strings]}`. Panics unless
/// each entry is a string or an object with a string `id`, and no two entries of one model
/// reduce to the same string (the reduction loses nothing the links need).
pub fn plain_map(map: &Value, file: &str) -> BTreeMap<String, Vec<String>> {
    object(map, file)
        .iter()
        .map(|(model, refs)| {
            let ids: Vec<String> = array(refs, file)
                .iter()
                .map(|r| {
                    r.as_str()
                        .or_else(|| r["id"].as_str())
                        .unwrap_or_else(|| panic!("{file}: {model}: {r} has no string id"))
                        .to_owned()
                })
                .collect();
            let distinct: BTreeSet<&String> = ids.iter().collect();
            assert_eq!(distinct.len(), ids.len(), "{file}: {model}: {ids:?}");
            (model.clone(), ids)
        })
        .collect()
}

/// One dataset is one record: no two records name one dataset (by `canonical_id`, else
/// `datasetId`, case-insensitively), and no record is keyed by a legacy id another record lists
/// in its `aliases`.
fn assert_one_record_per_dataset<'r>(records: impl Iterator<Item = &'r Value>, file: &str) {
    let mut datasets: BTreeMap<String, &str> = BTreeMap::new();
    let mut aliases = BTreeSet::new();
    let mut keys = BTreeSet::new();
    for r in records {
        let key = r["datasetId"].as_str().unwrap_or_default();
        let canonical = r["canonical_id"].as_str().unwrap_or(key);
        if let Some(other) = datasets.insert(canonical.to_lowercase(), key) {
            panic!("{file}: {other} and {key} are two records of the dataset {canonical}");
        }
        keys.insert(key.to_lowercase());
        for alias in r["aliases"].as_array().into_iter().flatten() {
            aliases.insert(alias.as_str().unwrap_or_default().to_lowercase());
        }
    }
    let both: Vec<&String> = keys.intersection(&aliases).collect();
    assert!(
        both.is_empty(),
        "{file}: legacy ids with records of their own: {both:?}"
    );
}

/// What [`assert_conforms`] saw, for the caller's own figures.
#[derive(Debug, Default)]
pub struct Conformance {
    /// Links checked per map (model → entity).
    pub links: BTreeMap<&'static str, usize>,
    /// Records checked per file.
    pub records: BTreeMap<&'static str, usize>,
}

/// Asserts that the run folder at `folder` satisfies the downstream's contract.
pub fn assert_conforms(folder: &Path) -> Conformance {
    let mut seen = Conformance::default();

    // Models: the join key, the keys read, ISO dates; only models that exist and were read.
    let file = "hf_models_with_ancestors.json";
    let models = read(folder, file);
    let mut model_ids = BTreeSet::new();
    let mut model_hashes = BTreeSet::new();
    for m in array(&models, file) {
        check(m, "modelId", Ty::Key, file);
        check(m, "author", Ty::OptStr, file);
        check(m, "createdAt", Ty::OptDate, file);
        check(m, "last_modified", Ty::OptDate, file);
        check(m, "card", Ty::Str, file);
        check_common(m, file);
        let id = m["modelId"].as_str().unwrap_or_default();
        assert_eq!(m["mlentory_id"], mlentory_id("Model", id), "{file}: {id}");
        assert_eq!(m["enriched"], true, "{file}: {id} was read");
        assert!(model_ids.insert(id.to_owned()), "{file}: {id} twice");
        assert!(model_hashes.insert(mlentory_id("Model", id)));
    }
    seen.records.insert(file, model_ids.len());

    // Stubs of parents not read are in hf_base_models.json only.
    let stubs: BTreeSet<String> =
        array(&read(folder, "hf_base_models.json"), "hf_base_models.json")
            .iter()
            .filter(|b| b["enriched"] == false)
            .map(|b| b["id"].as_str().unwrap_or_default().to_owned())
            .collect();
    for stub in &stubs {
        assert!(!model_ids.contains(stub), "{stub} is a stub and in {file}");
    }

    for (kind, file, key, ty) in KINDS {
        let map_file = format!("hf_identified_{kind}.json");
        let map = plain_map(&read(folder, &map_file), &map_file);
        let keys: BTreeSet<&String> = map.keys().collect();
        assert_eq!(
            keys,
            model_ids.iter().collect(),
            "{map_file}: one entry per model of {}",
            "hf_models_with_ancestors.json"
        );

        let records = read(folder, file);
        let mut by_hash: BTreeMap<String, &Value> = BTreeMap::new();
        for r in array(&records, file) {
            for (k, t) in entity_keys(file) {
                check(r, k, *t, file);
            }
            check_common(r, file);
            let hash = r["mlentory_id"].as_str().unwrap_or_default().to_owned();
            assert_eq!(
                hash,
                mlentory_id(ty, r[key].as_str().unwrap_or_default()),
                "{file}: the mlentory_id of {key} {}",
                r[key]
            );
            assert!(
                by_hash.insert(hash, r).is_none(),
                "{file}: two records share the mlentory_id of {}",
                r[key]
            );
        }
        seen.records.insert(file, by_hash.len());
        if kind == "datasets" {
            assert_one_record_per_dataset(by_hash.values().copied(), file);
        }

        let mut links = 0;
        let mut ids = BTreeSet::new();
        for (model, refs) in &map {
            for id in refs {
                links += 1;
                ids.insert(id.clone());
                let hash = mlentory_id(ty, id);
                if kind == "base_models" {
                    // A base model is a model: its link lands on a record of the models file,
                    // or, for a parent that could not be read, on its stub.
                    assert!(
                        model_hashes.contains(&hash) || stubs.contains(id),
                        "{model}: base model {id} resolves to no model record"
                    );
                    if !stubs.contains(id) {
                        assert!(model_ids.contains(id), "{model}: base model {id}");
                    }
                    // Never an alias of a model that has a record: the link names the model
                    // by its canonical id.
                    let record = by_hash.get(&hash);
                    assert!(
                        record.is_none_or(|r| r.get("canonical_id").is_none_or(Value::is_null)),
                        "{model}: base model {id} is an alias of {:?}",
                        record.map(|r| &r["canonical_id"])
                    );
                }
                let record = by_hash
                    .get(&hash)
                    .unwrap_or_else(|| panic!("{model}: {kind} {id} has no record in {file}"));
                assert_eq!(record[key].as_str(), Some(id.as_str()), "{file}: {id}");
            }
        }
        // No record without a link: each record is an id of the map.
        assert_eq!(
            ids.len(),
            by_hash.len(),
            "{file}: one record per id of {map_file}"
        );
        seen.links.insert(kind, links);
    }

    // README languages: codes with confidences, linked to languages by code.
    let file = "readme_languages.json";
    let readme = read(folder, file);
    let languages: BTreeSet<String> = array(&read(folder, "languages.json"), "languages.json")
        .iter()
        .map(|l| l["mlentory_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let mut links = 0;
    for (model, found) in object(&readme, file) {
        assert!(model_ids.contains(model), "{file}: {model} is no model");
        let found = array(found, file);
        assert!(found.len() <= 5, "{file}: {model}");
        for l in found {
            check(l, "code", Ty::Key, file);
            let confidence = l["confidence"].as_f64().unwrap_or(-1.0);
            assert!((0.75..=1.0).contains(&confidence), "{file}: {model}: {l}");
            let code = l["code"].as_str().unwrap_or_default();
            assert!(
                languages.contains(&mlentory_id("Language", code)),
                "{file}: {model}: {code} has no record in languages.json"
            );
            links += 1;
        }
    }
    assert_eq!(
        object(&readme, file).len(),
        model_ids.len(),
        "{file}: every model"
    );
    seen.links.insert("readme_languages", links);

    // Citation chunks.
    let file = "chunks_citation.json";
    let chunks = read(folder, file);
    assert_eq!(
        object(&chunks, file).len(),
        model_ids.len(),
        "{file}: every model"
    );
    let mut with_chunk = 0;
    for (model, chunk) in object(&chunks, file) {
        assert!(model_ids.contains(model), "{file}: {model} is no model");
        if chunk.is_null() {
            continue;
        }
        with_chunk += 1;
        for (k, t) in [
            ("id", Ty::Key),
            ("parent", Ty::OptStr),
            ("htext", Ty::Key),
            ("phtext", Ty::Key),
            ("text", Ty::Key),
        ] {
            check(chunk, k, t, file);
        }
        assert!(
            chunk["type"] == "code" || chunk["type"] == "section",
            "{file}: {chunk}"
        );
        assert!(chunk["length"].is_u64(), "{file}: {chunk}");
    }
    seen.records.insert(file, with_chunk);

    // The card chunks the downstream's LLM step reads: `type`, `phtext` and `text` of each, the
    // `parent` links resolving within the model's chunks, sections before what they hold.
    let file = "hf_modelcard_chunks.json";
    let chunks = read(folder, file);
    assert_eq!(
        object(&chunks, file).len(),
        model_ids.len(),
        "{file}: every model"
    );
    let mut chunked = 0;
    for (model, list) in object(&chunks, file) {
        assert!(model_ids.contains(model), "{file}: {model} is no model");
        let list = array(list, file);
        chunked += usize::from(!list.is_empty());
        let mut ids = BTreeSet::new();
        for chunk in list {
            let kind = chunk["type"].as_str().unwrap_or_default();
            assert!(
                ["section", "granular", "code", "table", "orphan"].contains(&kind),
                "{file}: {model}: {chunk}"
            );
            check(chunk, "text", Ty::Key, file);
            check(chunk, "phtext", Ty::OptStr, file);
            check(chunk, "parent", Ty::OptStr, file);
            assert!(chunk["length"].is_u64(), "{file}: {chunk}");
            if let Some(parent) = chunk["parent"].as_str() {
                assert!(
                    ids.contains(parent),
                    "{file}: {model}: {parent} before {chunk}"
                );
            }
            let id = chunk["id"].as_str().unwrap_or_default();
            assert!(ids.insert(id.to_owned()), "{file}: {model}: {id} twice");
        }
    }
    seen.records.insert(file, chunked);

    // The catalog source.
    let file = "sources.json";
    let sources = read(folder, file);
    let sources = array(&sources, file);
    assert_eq!(sources.len(), 1, "{file}");
    // The transformer links every model to hash("WebSite", "https://huggingface.co/") and reads
    // this record for that node: the public Hub's, whatever endpoint the run used.
    let catalog = mlentory_id("WebSite", "https://huggingface.co/");
    assert_eq!(
        sources[0]["https://schema.org/identifier"],
        serde_json::json!([catalog]),
        "{file}"
    );
    assert_eq!(
        sources[0]["https://schema.org/name"], "Hugging Face",
        "{file}"
    );
    assert_eq!(
        sources[0]["https://schema.org/url"], "https://huggingface.co/",
        "{file}"
    );
    assert_eq!(sources[0]["mlentory_id"], catalog.as_str(), "{file}");
    seen
}
