//! The JSON Schemas under `schemas/` are the ones the types generate, and they describe what a
//! run writes: every key of every record of a small offline run is a property of its schema, and
//! every required property is there.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use hf_extractor::schemas::{render, schema_file_name, schemas};
use hf_offline_hub::OfflineHub;
use serde_json::Value;

mod common;
use common::extractor_at;

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas")
}

#[test]
fn the_committed_schemas_are_the_generated_ones() {
    let dir = committed_dir();
    let mut expected = BTreeSet::new();
    for (file, schema) in schemas() {
        let name = schema_file_name(file);
        let committed = std::fs::read_to_string(dir.join(&name)).unwrap_or_default();
        assert!(
            committed == render(&schema),
            "schemas/{name} differs from what the types generate: run \
             `cargo run -p hf-extractor-examples --bin gen-schemas` and commit the result"
        );
        expected.insert(name);
    }
    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        present, expected,
        "schemas/ holds exactly the generated schemas"
    );
}

/// The object schemas `schema` may be, following `$ref`, `anyOf`, `oneOf` and `allOf`.
fn objects<'s>(root: &'s Value, schema: &'s Value, out: &mut Vec<&'s Value>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/$defs/");
        objects(root, &root["$defs"][name], out);
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        for s in schema[key].as_array().into_iter().flatten() {
            objects(root, s, out);
        }
    }
    if schema.get("properties").is_some() {
        out.push(schema);
    }
}

/// The records a file holds: the file itself when its schema is an object's, an array's items,
/// or a map's values (lists flattened, nulls skipped), with the schema each follows.
fn records<'v>(root: &'v Value, data: &'v Value) -> (Vec<&'v Value>, &'v Value) {
    if root.get("properties").is_some() {
        // One record: run.json.
        return (vec![data], root);
    }
    match data {
        Value::Array(items) => (items.iter().collect(), &root["items"]),
        Value::Object(map) => {
            let values = &root["additionalProperties"];
            let item = if values.get("items").is_some() {
                &values["items"]
            } else {
                values
            };
            let found = map
                .values()
                .flat_map(|v| match v {
                    Value::Array(a) => a.iter().collect::<Vec<_>>(),
                    Value::Null => Vec::new(),
                    other => vec![other],
                })
                .collect();
            (found, item)
        }
        _ => panic!("neither an array nor a map"),
    }
}

#[tokio::test]
async fn every_key_written_is_in_its_schema() {
    let hub = OfflineHub::start().await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = extractor_at(&hub.uri(), out.path(), 8).run().await.unwrap();
    for (file, schema) in schemas() {
        let text = std::fs::read_to_string(run.folder.path().join(file)).unwrap();
        let data: Value = serde_json::from_str(&text).unwrap();
        let (found, item) = records(&schema, &data);
        assert!(!found.is_empty(), "{file}: no record to check");
        let mut shapes = Vec::new();
        objects(&schema, item, &mut shapes);
        assert!(!shapes.is_empty(), "{file}: no object schema");
        let allowed: BTreeSet<&str> = shapes
            .iter()
            .flat_map(|s| s["properties"].as_object().unwrap().keys())
            .map(String::as_str)
            .collect();
        let required: BTreeSet<&str> = shapes
            .iter()
            .flat_map(|s| s["required"].as_array().into_iter().flatten())
            .filter_map(Value::as_str)
            .collect();
        for record in found {
            let keys: BTreeSet<&str> = record
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let unknown: Vec<_> = keys.difference(&allowed).collect();
            assert!(unknown.is_empty(), "{file}: {unknown:?} not in the schema");
            let missing: Vec<_> = required.difference(&keys).collect();
            assert!(missing.is_empty(), "{file}: required {missing:?} missing");
        }
    }
}
