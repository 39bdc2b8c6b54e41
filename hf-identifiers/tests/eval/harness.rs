//! The labelled evaluation set: loading the cases, building each model's view from
//! `testdata/hub-samples/`, and scoring the identifiers against the expected references.
//!
//! Shared by the exact-assert test (`tests/main.rs`) and the report command
//! (`cargo run -p hf-identifiers --example eval_report`).

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hf_identifiers::{EntityKind, Identified, ModelView, Provenance, identify_all};
use serde::Deserialize;
use serde_json::Value;

/// One labelled model.
#[derive(Debug, Deserialize)]
pub struct Case {
    /// A short name.
    pub name: String,
    /// The model id (defaults to the model-info body's `id`, or the card's file name).
    #[serde(default)]
    pub id: Option<String>,
    /// A `GET /api/models/{id}` body under `hub-samples/` (tags, pipeline_tag, library_name, cardData).
    #[serde(default)]
    pub model_info: Option<String>,
    /// A README under `hub-samples/`: its body is the card text; its front matter is the card data
    /// when there is no model-info body.
    #[serde(default)]
    pub card: Option<String>,
    /// Inline input (hand-written hard cases), overriding the files.
    #[serde(default)]
    pub inline: Option<Inline>,
    /// The expected ids per kind.
    pub expected: BTreeMap<EntityKind, Vec<String>>,
    /// Why the expectations are what they are.
    #[serde(default)]
    pub notes: Option<String>,
    /// Fields expected on some references, as serialised: `{kind: {id: {field: value}}}`
    /// (`{"datasets": {"squad": {"relations": ["evaluated_on"]}}}`). An absent field reads as
    /// `null`, and `false` matches an absent boolean.
    #[serde(default)]
    pub details: BTreeMap<EntityKind, BTreeMap<String, serde_json::Map<String, Value>>>,
}

/// Inline input of a hand-written case.
#[derive(Debug, Default, Deserialize)]
pub struct Inline {
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub pipeline_tag: Option<String>,
    #[serde(default)]
    pub library_name: Option<String>,
    #[serde(default)]
    pub card_data: Option<Value>,
    #[serde(default)]
    pub card_text: Option<String>,
    #[serde(default)]
    pub base_models: Option<Value>,
    #[serde(default)]
    pub raw_front_matter: Option<String>,
}

/// The owned input of one model, from which a [`ModelView`] borrows.
#[derive(Debug, Default)]
pub struct Input {
    pub id: String,
    pub tags: Vec<String>,
    pub pipeline_tag: Option<String>,
    pub library_name: Option<String>,
    pub card_data: Option<Value>,
    pub card_text: Option<String>,
    pub base_models: Option<Value>,
    pub raw_front_matter: Option<String>,
}

impl Input {
    pub fn view(&self) -> ModelView<'_> {
        ModelView {
            id: &self.id,
            tags: &self.tags,
            pipeline_tag: self.pipeline_tag.as_deref(),
            library_name: self.library_name.as_deref(),
            card_data: self.card_data.as_ref(),
            card_text: self.card_text.as_deref(),
            base_models: self.base_models.as_ref(),
            raw_front_matter: self.raw_front_matter.as_deref(),
        }
    }
}

pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/hub-samples")
}

pub fn cases_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/eval/cases.json")
}

pub fn load_cases() -> Vec<Case> {
    let text = std::fs::read_to_string(cases_path()).expect("read tests/eval/cases.json");
    serde_json::from_str(&text).expect("parse tests/eval/cases.json")
}

/// Parses a front matter as the Hub does: a YAML mapping, or nothing (the lenient reader then
/// gets the raw text).
pub fn parse_front_matter(yaml: &str) -> Option<Value> {
    let options = serde_saphyr::options! { strict_booleans: true };
    match serde_saphyr::from_str_with_options::<Value>(yaml, options) {
        Ok(v @ Value::Object(_)) => Some(v),
        _ => None,
    }
}

pub fn build_input(case: &Case) -> Input {
    let dir = samples_dir();
    let mut input = Input::default();
    if let Some(path) = &case.model_info {
        let body: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(path)).expect("read model info"),
        )
        .expect("parse model info");
        input.id = body["id"].as_str().unwrap_or_default().to_string();
        input.tags = body["tags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        input.pipeline_tag = body["pipeline_tag"].as_str().map(str::to_string);
        input.library_name = body["library_name"].as_str().map(str::to_string);
        input.card_data = body.get("cardData").cloned();
        input.base_models = body.get("baseModels").cloned();
    }
    if let Some(path) = &case.card {
        let readme = std::fs::read_to_string(dir.join(path)).expect("read card");
        let (front, body) = hf_identifiers::lenient::split_front_matter(&readme);
        input.card_text = Some(body.to_string());
        if case.model_info.is_none() {
            if let Some(front) = front {
                input.card_data = parse_front_matter(front);
                if input.card_data.is_none() {
                    input.raw_front_matter = Some(front.to_string());
                }
            }
            let file = Path::new(path)
                .file_name()
                .and_then(|f| f.to_str())
                .unwrap_or_default();
            let stem = file
                .split(".README")
                .next()
                .unwrap_or(file)
                .trim_end_matches(".md");
            input.id = stem.replacen("__", "/", 1);
        }
    }
    if let Some(inline) = &case.inline {
        if let Some(t) = &inline.tags {
            input.tags = t.clone();
        }
        if inline.pipeline_tag.is_some() {
            input.pipeline_tag = inline.pipeline_tag.clone();
        }
        if inline.library_name.is_some() {
            input.library_name = inline.library_name.clone();
        }
        if inline.card_data.is_some() {
            input.card_data = inline.card_data.clone();
        }
        if inline.card_text.is_some() {
            input.card_text = inline.card_text.clone();
        }
        if inline.base_models.is_some() {
            input.base_models = inline.base_models.clone();
        }
        if inline.raw_front_matter.is_some() {
            input.raw_front_matter = inline.raw_front_matter.clone();
        }
    }
    if let Some(id) = &case.id {
        input.id = id.clone();
    }
    input
}

/// Counts for one kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
}

/// One difference between the expected and the found references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    pub case: String,
    pub kind: EntityKind,
    pub id: String,
    /// `true` for a false positive (found, not expected), `false` for a false negative.
    pub false_positive: bool,
}

/// The scores of the whole set.
#[derive(Debug, Default)]
pub struct Report {
    pub cases: usize,
    pub counts: BTreeMap<EntityKind, Counts>,
    /// Counts per provenance: a found reference counts under each place it was found; a false
    /// negative counts under no provenance (see [`Report::provenance_recall`]).
    pub by_provenance: BTreeMap<Provenance, Counts>,
    /// How many references were expected in all.
    pub expected: usize,
    pub misses: Vec<Miss>,
    /// Differences from the cases' `details`: `case kind id field: expected …, found …`.
    pub detail_misses: Vec<String>,
}

impl Report {
    /// The share of all expected references that were found (also) in one place.
    pub fn provenance_recall(&self, p: Provenance) -> f64 {
        let tp = self.by_provenance.get(&p).map_or(0, |c| c.tp);
        if self.expected == 0 {
            1.0
        } else {
            tp as f64 / self.expected as f64
        }
    }
}

/// The provenances of each reference found, per kind and id.
fn provenances(found: &Value, kind: EntityKind) -> BTreeMap<String, Vec<Provenance>> {
    let mut out = BTreeMap::new();
    for r in found[kind.as_str()].as_array().into_iter().flatten() {
        let id = r["id"].as_str().unwrap_or_default().to_string();
        let ps: Vec<Provenance> =
            serde_json::from_value(r["provenance"].clone()).unwrap_or_default();
        out.insert(id, ps);
    }
    out
}

fn check_details(case: &Case, found: &Value, report: &mut Report) {
    for (kind, ids) in &case.details {
        let refs = found[kind.as_str()].as_array().cloned().unwrap_or_default();
        for (id, fields) in ids {
            let Some(r) = refs.iter().find(|r| r["id"] == id.as_str()) else {
                report.detail_misses.push(format!(
                    "{} {} {id}: not found",
                    case.name,
                    kind.as_str()
                ));
                continue;
            };
            for (field, want) in fields {
                let got = r.get(field).cloned().unwrap_or(Value::Null);
                let same = got == *want || (*want == Value::Bool(false) && got.is_null());
                if !same {
                    report.detail_misses.push(format!(
                        "{} {} {id} {field}: expected {want}, found {got}",
                        case.name,
                        kind.as_str()
                    ));
                }
            }
        }
    }
}

pub fn evaluate_case(case: &Case, found: &Identified, report: &mut Report) {
    let json = serde_json::to_value(found).expect("references serialise");
    check_details(case, &json, report);
    for kind in EntityKind::ALL {
        let places = provenances(&json, kind);
        let got: BTreeSet<&str> = found.ids(kind).into_iter().collect();
        let want: BTreeSet<&str> = case
            .expected
            .get(&kind)
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default();
        report.expected += want.len();
        for (id, ps) in &places {
            for p in ps {
                let c = report.by_provenance.entry(*p).or_default();
                if want.contains(id.as_str()) {
                    c.tp += 1;
                } else {
                    c.fp += 1;
                }
            }
        }
        let c = report.counts.entry(kind).or_default();
        for id in &got {
            if want.contains(id) {
                c.tp += 1;
            } else {
                c.fp += 1;
                report.misses.push(Miss {
                    case: case.name.clone(),
                    kind,
                    id: id.to_string(),
                    false_positive: true,
                });
            }
        }
        for id in want.difference(&got) {
            c.fn_ += 1;
            report.misses.push(Miss {
                case: case.name.clone(),
                kind,
                id: id.to_string(),
                false_positive: false,
            });
        }
    }
}

pub fn evaluate() -> Report {
    let mut report = Report::default();
    for case in load_cases() {
        let input = build_input(&case);
        let found = identify_all(&input.view());
        evaluate_case(&case, &found, &mut report);
        report.cases += 1;
    }
    report
}
