//! The generated part of the snapshot: demo models (`gen/*`) with cards, and dataset info bodies.
//!
//! Everything here is deterministic (no randomness, no clock): running the generator twice gives
//! the same bytes. `cargo run -p hf-extractor-examples --bin gen-offline-hub` rewrites the files;
//! a test checks that the committed files are what the generator writes.
//!
//! - Models: hand-written specs for the lineage cases (depth 3, cycle, self-reference, missing,
//!   gated and renamed parents, local path, merge, quantized) plus families of fillers.
//! - Datasets: no real `GET /api/datasets/{id}` body was recorded, so each body is built in the
//!   documented shape from the real Croissant file's metadata (listed in `recorded.json`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::snapshot::{Recorded, Snapshot};
use super::stand_ins;

/// The arXiv ids the generated cards cite that the recorded feeds hold.
pub const RECORDED_ARXIV_IDS: &[&str] = &[
    "1707.08567",
    "1605.08386",
    "2104.12255v1",
    "astro-ph/0601001",
    "quant-ph/0201082v1",
];

/// A well-formed arXiv id no recorded feed holds (arXiv answers without it).
pub const UNKNOWN_ARXIV_ID: &str = "0808.05394";

/// The demo's deliberate unknown paper: a valid arXiv id (December 2023, number 99999) that no
/// paper has, so arXiv answers without it. No stand-in is made for it.
pub const UNKNOWN_PAPER_ID: &str = "2312.99999";

/// The demo's deliberate missing dataset (its info answers 404). No stand-in is made for it.
pub const MISSING_DATASET_ID: &str = "gen/missing-dataset";

/// An id the client accepts but the offline arXiv rejects with HTTP 400: a new-style id dated
/// before April 2007, when the new scheme began.
pub const REJECTED_ARXIV_ID: &str = "0612.01234";

/// The arXiv id of the recorded Hub paper page (`papers/`).
pub const PAPER_PAGE_ID: &str = "2602.23229";

/// One generated model.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    id: String,
    pipeline: Option<&'static str>,
    library: String,
    license: String,
    languages: Vec<String>,
    datasets: Vec<String>,
    arxiv: Vec<String>,
    /// The card's `tags` (keywords), also among the Hub's tags.
    keywords: Vec<String>,
    extra_text: String,
    base: Vec<String>,
    relation: Option<&'static str>,
    card: CardKind,
    /// Put the base models in the tags and in `baseModels` (the Hub does so for Hub repos).
    base_on_hub: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CardKind {
    Full,
    Template,
    Missing,
}

pub(crate) fn spec(id: &str, pipeline: Option<&'static str>) -> Spec {
    Spec {
        id: id.to_owned(),
        pipeline,
        library: "transformers".to_owned(),
        license: "apache-2.0".to_owned(),
        languages: vec!["en".to_owned()],
        datasets: Vec::new(),
        arxiv: Vec::new(),
        keywords: vec!["generated".to_owned(), "offline-hub".to_owned()],
        extra_text: String::new(),
        base: Vec::new(),
        relation: None,
        card: CardKind::Full,
        base_on_hub: true,
    }
}

/// `items` owned.
fn owned<S: AsRef<str>>(items: &[S]) -> Vec<String> {
    items.iter().map(|s| s.as_ref().to_owned()).collect()
}

impl Spec {
    pub(crate) fn base<S: AsRef<str>>(mut self, base: &[S], relation: &'static str) -> Self {
        self.base = owned(base);
        self.relation = Some(relation);
        self
    }
    pub(crate) fn datasets<S: AsRef<str>>(mut self, d: &[S]) -> Self {
        self.datasets = owned(d);
        self
    }
    pub(crate) fn arxiv<S: AsRef<str>>(mut self, a: &[S]) -> Self {
        self.arxiv = owned(a);
        self
    }
    pub(crate) fn license(mut self, l: &str) -> Self {
        self.license = l.to_owned();
        self
    }
    pub(crate) fn languages<S: AsRef<str>>(mut self, l: &[S]) -> Self {
        self.languages = owned(l);
        self
    }
    pub(crate) fn keywords<S: AsRef<str>>(mut self, k: &[S]) -> Self {
        self.keywords = owned(k);
        self
    }
    pub(crate) fn library(mut self, l: &str) -> Self {
        self.library = l.to_owned();
        self
    }
    pub(crate) fn card(mut self, c: CardKind) -> Self {
        self.card = c;
        self
    }
    pub(crate) fn text(mut self, t: &str) -> Self {
        self.extra_text = t.to_owned();
        self
    }
}

/// The hand-written cases, then the fillers.
fn specs() -> Vec<Spec> {
    use CardKind::*;
    let tg = Some("text-generation");
    let mut out = vec![
        // Lineage of depth 3: gen/a <- gen/b <- gen/c <- gen/d.
        spec("gen/a", tg)
            .datasets(&["allenai/c4"])
            .arxiv(&["1707.08567"]),
        spec("gen/b", tg)
            .base(&["gen/a"], "finetune")
            .datasets(&["teknium/OpenHermes-2.5", "allenai/WildChat-1M"]),
        spec("gen/c", tg)
            .base(&["gen/b"], "finetune")
            .license("other")
            .datasets(&["allenai/WildChat-1M"]),
        spec("gen/d", tg)
            .base(&["gen/c"], "quantized")
            .library("gguf")
            .license("other"),
        // A cycle and a self-reference.
        spec("gen/x", tg).base(&["gen/y"], "finetune"),
        spec("gen/y", tg).base(&["gen/x"], "finetune"),
        spec("gen/self", tg).base(&["gen/self"], "finetune"),
        // A missing parent, a gated one (403), a local path, a renamed one.
        spec("gen/orphan", tg).base(&["gen/does-not-exist"], "finetune"),
        spec("gen/gated-child", tg).base(&["gen/gated-base"], "adapter"),
        Spec {
            base_on_hub: false,
            ..spec("gen/local-path", tg)
                .base(&["./output"], "adapter")
                .library("peft")
        },
        spec("gen/new-name", tg)
            .datasets(&["rajpurkar/squad"])
            .arxiv(&["1605.08386"]),
        spec("gen/renamed-child", tg).base(&["gen/old-name"], "finetune"),
        spec("gen/merge", tg).base(&["gen/a", "gen/new-name"], "merge"),
        // Real parents in the snapshot.
        spec("gen/llama-3.1-8b-q4-gguf", tg)
            .base(&["meta-llama/Llama-3.1-8B-Instruct"], "quantized")
            .library("gguf")
            .license("llama3.1")
            .languages(&["en", "de"]),
        spec("gen/bert-de-ner", Some("token-classification"))
            .base(&["google-bert/bert-base-uncased"], "finetune")
            .languages(&["de"])
            .license("mit"),
        // The Trainer's sentence names the parent by its legacy id (the Hub redirects it).
        spec("gen/bert-squad", Some("question-answering"))
            .base(&["google-bert/bert-base-uncased"], "finetune")
            .datasets(&["rajpurkar/squad", "rajpurkar/squad_v2", "ibm/duorc"])
            .arxiv(&["1605.08386", "2104.12255v1"])
            .text(
                "This model is a fine-tuned version of \
                 [bert-base-uncased](https://huggingface.co/bert-base-uncased) on the squad dataset.",
            ),
        spec("gen/mnist-cnn", Some("image-classification"))
            .library("pytorch")
            .datasets(&["ylecun/mnist", "mnist"])
            .arxiv(&["astro-ph/0601001"]),
        spec("gen/zh-chat", tg)
            .languages(&["zh-Hans"])
            .base(&["gen/b"], "finetune")
            .datasets(&["allenai/WildChat-1M"]),
        spec("gen/multilingual-embed", Some("sentence-similarity"))
            .library("sentence-transformers")
            .languages(&["multilingual"])
            .base(&["sentence-transformers/all-MiniLM-L6-v2"], "finetune"),
        spec("gen/malware-detector", Some("tabular-classification"))
            .library("sklearn")
            .datasets(&["dtrizna/quovadis-ember"])
            .arxiv(&["quant-ph/0201082v1", "2104.12255v1"]),
        spec("gen/paper-model", Some("image-text-to-text")).arxiv(&[PAPER_PAGE_ID]),
        spec("gen/odd-citations", tg)
            .arxiv(&["1707.08567", UNKNOWN_ARXIV_ID, UNKNOWN_PAPER_ID])
            .text(&format!(
                "Earlier work: arXiv:{REJECTED_ARXIV_ID} (dated before the new id scheme) and \
                 arxiv.org/abs/2401.1234x (not an id at all)."
            )),
        spec("gen/no-croissant-user", Some("text-classification"))
            .datasets(&["gen/no-parquet", MISSING_DATASET_ID]),
        // Low-information models, for HF_FILTER_LOW_INFO.
        spec("gen/template-1", None).card(Template),
        spec("gen/template-2", None).card(Template).library("peft"),
        spec("gen/no-card", None).card(Missing),
    ];
    // Fillers: five families of 28.
    let mut n = 0usize;
    for family in &FAMILIES {
        for i in 0..28 {
            out.push(filler(family, &format!("gen/{}-{i}", family.0), i, n));
            n += 1;
        }
    }
    out
}

/// A family of filler models: name, pipeline tag, base model, license, library.
pub(crate) type Family = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

pub(crate) const FAMILIES: [Family; 5] = [
    (
        "bert-sst2",
        "text-classification",
        "google-bert/bert-base-uncased",
        "mit",
        "transformers",
    ),
    (
        "t5-summarizer",
        "summarization",
        "google-t5/t5-small",
        "apache-2.0",
        "transformers",
    ),
    (
        "vit-mnist",
        "image-classification",
        "google/vit-base-patch16-224",
        "apache-2.0",
        "transformers",
    ),
    (
        "wav2vec2-de",
        "automatic-speech-recognition",
        "jonatasgrosman/wav2vec2-large-xlsr-53-english",
        "cc-by-4.0",
        "transformers",
    ),
    (
        "llama-ft",
        "text-generation",
        "meta-llama/Llama-3.1-8B-Instruct",
        "llama3.1",
        "transformers",
    ),
];

/// Filler number `n` overall, `i` within its `family`: every 7th is low-information (a template
/// card, no pipeline tag), every 4th in a family is quantized; languages, datasets and arXiv ids
/// cycle through what the snapshot holds.
fn filler(family: &Family, id: &str, i: usize, n: usize) -> Spec {
    const DATASETS: &[&str] = &[
        "rajpurkar/squad",
        "ylecun/mnist",
        "allenai/c4",
        "teknium/OpenHermes-2.5",
        "allenai/WildChat-1M",
        "ibm/duorc",
        "dtrizna/quovadis-ember",
        "rajpurkar/squad_v2",
    ];
    const LANGUAGES: &[&[&str]] = &[
        &["en"],
        &["de"],
        &["multilingual"],
        &["zh-Hans"],
        &["en", "de"],
    ];
    let (_, pipeline, base, license, library) = *family;
    let low_info = n % 7 == 6;
    let s = spec(id, (!low_info).then_some(pipeline))
        .base(&[base], if i % 4 == 3 { "quantized" } else { "finetune" })
        .license(license)
        .library(library)
        .languages(LANGUAGES[n % LANGUAGES.len()])
        .datasets(&[DATASETS[n % DATASETS.len()]])
        .arxiv(&[RECORDED_ARXIV_IDS[n % RECORDED_ARXIV_IDS.len()]]);
    if low_info {
        s.card(CardKind::Template)
    } else if base == "google-t5/t5-small" {
        // The Trainer's sentence, naming the base by its legacy id (the Hub redirects it).
        s.text("This model is a fine-tuned version of [t5-small](https://huggingface.co/t5-small).")
    } else {
        s
    }
}

/// The id of synthetic model number `n`: `syn/<family>-<n>`.
pub(crate) fn synthetic_id(n: usize) -> String {
    format!("syn/{}-{n}", FAMILIES[n % FAMILIES.len()].0)
}

/// Synthetic model number `n` (from 0) of a synthetic Hub: id `syn/<family>-<n>`, built like the
/// fillers of the bundled snapshot (families in turn), so its datasets, papers and base models
/// are the snapshot's. Returns the model info body.
pub(crate) fn synthetic_model(n: usize) -> Map<String, Value> {
    model_body(&synthetic_spec(n), n).0
}

/// The card of synthetic model `n` (see [`synthetic_model`]), if it has one.
pub(crate) fn synthetic_card(n: usize) -> Option<String> {
    let s = synthetic_spec(n);
    let (license_name, license_link) = license_of(&s);
    model_card(&s, license_name, license_link.as_deref())
}

fn synthetic_spec(n: usize) -> Spec {
    filler(
        &FAMILIES[n % FAMILIES.len()],
        &synthetic_id(n),
        n / FAMILIES.len(),
        n,
    )
}

/// FNV-1a, for deterministic hex ids.
pub(crate) fn fnv(text: &str, salt: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ salt;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// `n` hex digits derived from `text`.
pub(crate) fn hex(text: &str, n: usize) -> String {
    let mut out = String::new();
    let mut salt = 0;
    while out.len() < n {
        out.push_str(&format!("{:016x}", fnv(text, salt)));
        salt += 1;
    }
    out.truncate(n);
    out
}

/// `2025-09-01T00:00:00Z` plus `minutes`, in the Hub's format.
fn timestamp(base: &str, minutes: i64) -> String {
    let t: jiff::Timestamp = base.parse().unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let t = t
        .checked_add(jiff::SignedDuration::from_mins(minutes))
        .unwrap_or(t);
    t.strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string()
}

fn yaml_scalar(s: &str) -> String {
    let needs_quotes = s.contains(": ")
        || s.contains(" #")
        || s.starts_with(|c: char| "[]{}&*!|>'\"%@`#,?:-".contains(c));
    if needs_quotes {
        format!("\"{s}\"")
    } else {
        s.to_owned()
    }
}

fn arxiv_link(id: &str) -> String {
    format!("https://arxiv.org/abs/{id}")
}

fn model_files(s: &Spec, position: usize) -> (String, Option<String>) {
    let (body, license_name, license_link) = model_body(s, position);
    let body = serde_json::to_string_pretty(&Value::Object(body)).unwrap_or_default() + "\n";
    (body, model_card(s, license_name, license_link.as_deref()))
}

/// The model info body of `s`, with the license name and link its card names when the license
/// is `other`.
pub(crate) fn model_body(
    s: &Spec,
    position: usize,
) -> (Map<String, Value>, Option<&'static str>, Option<String>) {
    let owner = s.id.split('/').next().unwrap_or("gen");
    let (license_name, license_link) = license_of(s);

    // cardData mirrors the front matter.
    let mut card_data = Map::new();
    card_data.insert("license".into(), json!(s.license));
    if let Some(n) = license_name {
        card_data.insert("license_name".into(), json!(n));
        card_data.insert("license_link".into(), json!(license_link));
    }
    card_data.insert(
        "language".into(),
        match s.languages.as_slice() {
            [one] => json!(one),
            many => json!(many),
        },
    );
    if !s.datasets.is_empty() {
        card_data.insert("datasets".into(), json!(s.datasets));
    }
    if let Some(p) = s.pipeline {
        card_data.insert("pipeline_tag".into(), json!(p));
    }
    card_data.insert("library_name".into(), json!(s.library));
    if !s.base.is_empty() {
        card_data.insert(
            "base_model".into(),
            match s.base.as_slice() {
                [one] => json!(one),
                many => json!(many),
            },
        );
        if let Some(r) = s.relation {
            card_data.insert("base_model_relation".into(), json!(r));
        }
    }
    card_data.insert("tags".into(), json!(s.keywords));

    // The Hub's computed tags.
    let mut tags: Vec<String> = vec![s.library.to_owned()];
    if s.library == "transformers" {
        tags.push("safetensors".into());
    }
    if let Some(p) = s.pipeline {
        tags.push(p.to_owned());
    }
    tags.extend(s.keywords.iter().cloned());
    tags.extend(s.languages.iter().cloned());
    tags.extend(s.datasets.iter().map(|d| format!("dataset:{d}")));
    tags.extend(s.arxiv.iter().map(|a| {
        let id = hf_client::arxiv::ArxivId::parse(a)
            .map_or_else(|_| (*a).to_owned(), |i| i.id().to_owned());
        format!("arxiv:{id}")
    }));
    if s.base_on_hub {
        for b in &s.base {
            tags.push(format!("base_model:{b}"));
            if let Some(r) = s.relation {
                tags.push(format!("base_model:{r}:{b}"));
            }
        }
    }
    tags.push(format!("license:{}", s.license));
    tags.push("endpoints_compatible".into());
    tags.push("region:us".into());

    let sha = hex(&s.id, 40);
    let mut body = Map::new();
    body.insert("_id".into(), json!(hex(&format!("_id {}", s.id), 24)));
    body.insert("id".into(), json!(s.id));
    body.insert("private".into(), json!(false));
    if let Some(p) = s.pipeline {
        body.insert("pipeline_tag".into(), json!(p));
    }
    body.insert("library_name".into(), json!(s.library));
    body.insert("tags".into(), json!(tags));
    body.insert("downloads".into(), json!(fnv(&s.id, 7) % 50_000));
    body.insert("likes".into(), json!(fnv(&s.id, 8) % 300));
    body.insert("modelId".into(), json!(s.id));
    body.insert("author".into(), json!(owner));
    body.insert("sha".into(), json!(sha));
    // Distinct, newest first in spec order, all in late 2025 (after the recorded models).
    let minutes = 60 * 24 * 100 - (position as i64) * 97;
    body.insert(
        "lastModified".into(),
        json!(timestamp("2025-09-01T00:00:00Z", minutes)),
    );
    body.insert("gated".into(), json!(false));
    body.insert("disabled".into(), json!(false));
    if s.card != CardKind::Missing {
        body.insert("cardData".into(), Value::Object(card_data));
    }
    let mut siblings = vec![json!({"rfilename": ".gitattributes"})];
    if s.card != CardKind::Missing {
        siblings.push(json!({"rfilename": "README.md"}));
    }
    siblings.push(json!({"rfilename": if s.library == "gguf" { "model-Q4_K_M.gguf" } else { "model.safetensors" }}));
    body.insert("siblings".into(), json!(siblings));
    body.insert("spaces".into(), json!([]));
    body.insert(
        "createdAt".into(),
        json!(timestamp("2025-06-01T00:00:00Z", (position as i64) * 13)),
    );
    body.insert(
        "usedStorage".into(),
        json!(1_000_000 + fnv(&s.id, 9) % 9_000_000_000),
    );
    // Expand-only: the Hub's structured base-model relation.
    if s.base_on_hub && !s.base.is_empty() {
        body.insert(
            "baseModels".into(),
            json!({
                "relation": s.relation.unwrap_or("finetune"),
                "models": s.base.iter().map(|b| json!({"id": b})).collect::<Vec<_>>(),
            }),
        );
    }
    (body, license_name, license_link)
}

/// The license name and link a card names when its license is `other`.
pub(crate) fn license_of(s: &Spec) -> (Option<&'static str>, Option<String>) {
    let name = (s.license == "other").then_some("gen-community-license");
    let link = name.map(|_| format!("https://huggingface.co/{}/blob/main/LICENSE", s.id));
    (name, link)
}

pub(crate) fn model_card(
    s: &Spec,
    license_name: Option<&str>,
    license_link: Option<&str>,
) -> Option<String> {
    let name = s.id.split('/').nth(1).unwrap_or(&s.id);
    match s.card {
        CardKind::Missing => None,
        CardKind::Template => Some(template_card(s)),
        CardKind::Full => Some(full_card(s, name, license_name, license_link)),
    }
}

fn front_matter(s: &Spec, license_name: Option<&str>, license_link: Option<&str>) -> String {
    let mut y = String::from("---\n");
    y.push_str(&format!("license: {}\n", yaml_scalar(&s.license)));
    if let (Some(n), Some(l)) = (license_name, license_link) {
        y.push_str(&format!("license_name: {n}\nlicense_link: {l}\n"));
    }
    match s.languages.as_slice() {
        [one] => y.push_str(&format!("language: {}\n", yaml_scalar(one))),
        many => {
            y.push_str("language:\n");
            for l in many {
                y.push_str(&format!("- {}\n", yaml_scalar(l)));
            }
        }
    }
    if !s.datasets.is_empty() {
        y.push_str("datasets:\n");
        for d in &s.datasets {
            y.push_str(&format!("- {d}\n"));
        }
    }
    if let Some(p) = s.pipeline {
        y.push_str(&format!("pipeline_tag: {p}\n"));
    }
    y.push_str(&format!("library_name: {}\n", s.library));
    match s.base.as_slice() {
        [] => {}
        [one] => y.push_str(&format!("base_model: {}\n", yaml_scalar(one))),
        many => {
            y.push_str("base_model:\n");
            for b in many {
                y.push_str(&format!("- {b}\n"));
            }
        }
    }
    if let (false, Some(r)) = (s.base.is_empty(), s.relation) {
        y.push_str(&format!("base_model_relation: {r}\n"));
    }
    y.push_str("tags:\n");
    for k in &s.keywords {
        y.push_str(&format!("- {}\n", yaml_scalar(k)));
    }
    y.push_str("---\n");
    y
}

fn full_card(
    s: &Spec,
    name: &str,
    license_name: Option<&str>,
    license_link: Option<&str>,
) -> String {
    let mut c = front_matter(s, license_name, license_link);
    c.push_str(&format!("\n# {name}\n\n"));
    c.push_str(&format!(
        "`{}` is a generated demo model of the offline Hub (not a real repository). ",
        s.id
    ));
    match s.pipeline {
        Some(p) => c.push_str(&format!("It is a {} model", p.replace('-', " "))),
        None => c.push_str("It is a model"),
    }
    match (s.base.as_slice(), s.relation) {
        ([], _) => c.push_str(" trained from scratch.\n"),
        (bases, relation) => c.push_str(&format!(
            " ({}) built on {}.\n",
            relation.unwrap_or("finetune"),
            bases
                .iter()
                .map(|b| format!("`{b}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        )),
    }
    if !s.datasets.is_empty() {
        c.push_str("\n## Training data\n\n");
        for d in &s.datasets {
            c.push_str(&format!("- [{d}](https://huggingface.co/datasets/{d})\n"));
        }
    }
    if !s.arxiv.is_empty() || !s.extra_text.is_empty() {
        c.push_str("\n## References\n\n");
        for a in &s.arxiv {
            c.push_str(&format!("- [arXiv:{a}]({})\n", arxiv_link(a)));
        }
        if !s.extra_text.is_empty() {
            c.push_str(&format!("\n{}\n", s.extra_text));
        }
    }
    c.push_str(
        "\n## Intended uses & limitations\n\nA fixture for tests and demos: it has no weights \
         worth running. The text is long enough to count as a real card for the low-information \
         filter, which looks at the length of the prose and the presence of a pipeline tag.\n",
    );
    c
}

fn template_card(s: &Spec) -> String {
    let mut c = front_matter(s, None, None);
    c.push_str(
        "\n# Model Card for Model ID\n\n<!-- Provide a quick summary of what the model is/does. -->\n\n\
         ## Model Details\n\n### Model Description\n\n- **Developed by:** [More Information Needed]\n\
         - **Model type:** [More Information Needed]\n- **License:** [More Information Needed]\n\n\
         ## Uses\n\n[More Information Needed]\n",
    );
    c
}

/// The dataset info body for a Croissant document, in the shape of `GET /api/datasets/{id}`.
pub(crate) fn dataset_body(id: &str, croissant: Option<&Value>, position: usize) -> String {
    let info = Value::Object(dataset_info(id, croissant, position));
    serde_json::to_string_pretty(&info).unwrap_or_default() + "\n"
}

/// The `GET /api/datasets/{id}` body of [`dataset_body`], as a JSON object.
pub(crate) fn dataset_info(
    id: &str,
    croissant: Option<&Value>,
    position: usize,
) -> Map<String, Value> {
    let owner = id.split('/').next().unwrap_or(id);
    let c = croissant.cloned().unwrap_or(Value::Null);
    let keywords: Vec<&str> = c
        .get("keywords")
        .and_then(Value::as_array)
        .map(|k| k.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let license = match c.get("license").and_then(Value::as_str) {
        Some(url) if url.starts_with("http") => url
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("unknown")
            .to_owned(),
        Some(l) => l.to_owned(),
        None if croissant.is_none() => "cc-by-4.0".to_owned(),
        None => "unknown".to_owned(),
    };
    let mut tags: Vec<String> = Vec::new();
    let mut tasks: Vec<String> = Vec::new();
    let mut english = croissant.is_none();
    for k in &keywords {
        if k.starts_with("arxiv:") {
            tags.push((*k).to_owned());
        } else if *k == "English" {
            english = true;
        } else if hf_client::tasks::pipeline_type(k).is_some() {
            tasks.push((*k).to_owned());
        } else if k.contains("<n<") {
            tags.push(format!("size_categories:{k}"));
        }
    }
    if croissant.is_none() {
        tasks.push("text-classification".into());
    }
    let mut all = Vec::new();
    all.extend(tasks.iter().map(|t| format!("task_categories:{t}")));
    if english {
        all.push("language:en".into());
    }
    all.push(format!("license:{license}"));
    all.extend(tags);
    if croissant.is_some() {
        all.extend([
            "format:parquet".into(),
            "library:datasets".into(),
            "croissant".into(),
        ]);
    }
    all.push("region:us".into());
    let pretty = c
        .get("alternateName")
        .and_then(Value::as_array)
        .and_then(|a| a.get(1))
        .or_else(|| c.get("name"))
        .and_then(Value::as_str)
        .unwrap_or(id.rsplit('/').next().unwrap_or(id));
    let mut card = Map::new();
    card.insert("license".into(), json!(license));
    if english {
        card.insert("language".into(), json!(["en"]));
    }
    if !tasks.is_empty() {
        card.insert("task_categories".into(), json!(tasks));
    }
    card.insert("pretty_name".into(), json!(pretty));
    let description = c
        .get("description")
        .and_then(Value::as_str)
        .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| {
            format!("{id}: a generated dataset of the offline Hub, without Croissant.")
        });
    let mut body = Map::new();
    body.insert("_id".into(), json!(hex(&format!("_id dataset {id}"), 24)));
    body.insert("id".into(), json!(id));
    body.insert("author".into(), json!(owner));
    body.insert("sha".into(), json!(hex(&format!("dataset {id}"), 40)));
    body.insert(
        "lastModified".into(),
        json!(timestamp("2025-03-01T00:00:00Z", (position as i64) * 1439)),
    );
    body.insert("createdAt".into(), json!("2022-03-02T23:29:22.000Z"));
    body.insert("private".into(), json!(false));
    body.insert("gated".into(), json!(false));
    body.insert("disabled".into(), json!(false));
    body.insert("downloads".into(), json!(fnv(id, 3) % 200_000));
    body.insert("likes".into(), json!(fnv(id, 4) % 2_000));
    body.insert("tags".into(), json!(all));
    body.insert("cardData".into(), Value::Object(card));
    body.insert("description".into(), json!(description));
    if let Some(cite) = c.get("citeAs").and_then(Value::as_str) {
        body.insert("citation".into(), json!(cite));
    }
    body
}

/// The generated datasets without Croissant (their `/croissant` answers 404).
pub const DATASETS_WITHOUT_CROISSANT: &[&str] = &["gen/no-parquet"];

/// The folders of a snapshot that hold generated files (see [`is_generated`]).
pub const GENERATED_FOLDERS: [&str; 5] = ["models", "cards", "datasets", "croissant", "arxiv"];

/// The file of the stand-in arXiv entries, relative to the snapshot folder.
const STAND_IN_FEED: &str = "arxiv/stand-ins.xml";

/// Every generated file: its path relative to the snapshot folder, and its text.
///
/// Reads the recorded answers `dir`'s `recorded.json` lists: the Croissant files (the dataset
/// bodies come from their metadata), and the models and cards, which with the generated ones
/// give what the snapshot cites ([`stand_ins::cited`]): every dataset and arXiv paper cited and
/// not recorded gets a stand-in, but for [`MISSING_DATASET_ID`], [`UNKNOWN_PAPER_ID`], the
/// datasets without Croissant and the legacy ids `routes.json` redirects.
pub fn generate(dir: &Path) -> std::io::Result<Vec<(PathBuf, String)>> {
    let recorded = Recorded::load(dir)?;
    let routes = Snapshot::load(dir)?;
    let mut out = Vec::new();
    let mut generated = Vec::new();
    for (position, s) in specs().iter().enumerate() {
        let (body, card) = model_files(s, position);
        let file = s.id.replace('/', "__");
        out.push((PathBuf::from(format!("models/{file}.json")), body.clone()));
        if let Some(card) = &card {
            out.push((
                PathBuf::from(format!("cards/{file}.README.md")),
                card.clone(),
            ));
        }
        if let Ok(Value::Object(body)) = serde_json::from_str(&body) {
            generated.push((body, card));
        }
    }
    let recorded_models = recorded.models()?;
    let recorded_cards = recorded.cards()?;
    let cited = stand_ins::cited(
        recorded_models
            .iter()
            .map(|(id, body)| (body, recorded_cards.get(id).map(String::as_str)))
            .chain(generated.iter().map(|(body, card)| (body, card.as_deref()))),
    );

    // Dataset bodies: the recorded Croissant files' first (their order fixes their dates), then
    // the datasets without Croissant, then the stand-ins (dated by their id, so that a new
    // stand-in leaves the others' bytes alone).
    let mut datasets: Vec<(String, Option<Value>, usize)> = recorded
        .croissant()?
        .into_iter()
        .map(|(id, c)| (id, Some(c)))
        .chain(
            DATASETS_WITHOUT_CROISSANT
                .iter()
                .map(|id| ((*id).to_owned(), None)),
        )
        .enumerate()
        .map(|(position, (id, c))| (id, c, position))
        .collect();
    let stand_ins_from = datasets.len();
    for id in &cited.datasets {
        let served = datasets.iter().any(|(known, ..)| known == id)
            || routes.dataset_redirects.contains_key(id)
            || id == MISSING_DATASET_ID;
        if served {
            continue;
        }
        let text = stand_ins::croissant(id);
        let doc =
            serde_json::from_str(&text).map_err(|e| super::snapshot::invalid(dir.display(), e))?;
        out.push((
            PathBuf::from(format!("croissant/{}.json", id.replace('/', "__"))),
            text,
        ));
        let position = stand_ins_from + (fnv(id, 10) % 400) as usize;
        datasets.push((id.clone(), Some(doc), position));
    }
    for (id, croissant, position) in &datasets {
        out.push((
            PathBuf::from(format!("datasets/{}.json", id.replace('/', "__"))),
            dataset_body(id, croissant.as_ref(), *position),
        ));
    }

    // arXiv: a stand-in entry for every cited paper no recorded feed holds.
    let recorded_feeds = recorded.arxiv()?;
    let recorded_ids: BTreeSet<&str> = recorded_feeds.ids().collect();
    let papers: BTreeSet<String> = cited
        .arxiv
        .iter()
        .filter(|id| !recorded_ids.contains(id.as_str()) && *id != UNKNOWN_PAPER_ID)
        .cloned()
        .collect();
    let known: BTreeMap<String, stand_ins::PaperText> = routes
        .papers
        .iter()
        .filter_map(|(id, page)| Some((id.clone(), stand_ins::PaperText::of_paper_page(page)?)))
        .collect();
    out.push((
        PathBuf::from(STAND_IN_FEED),
        stand_ins::arxiv_feed(&papers, &known),
    ));
    Ok(out)
}

/// True for a file the generator owns (so a stale one may be removed): generated models and
/// cards (`gen__*`), every dataset body and Croissant file kept in the snapshot folder (the
/// recorded ones live in `testdata/hub-samples/`), and the stand-in arXiv feed.
pub fn is_generated(relative: &Path) -> bool {
    let name = relative
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let folder = relative
        .parent()
        .and_then(|p| p.to_str())
        .unwrap_or_default();
    match folder {
        "models" | "cards" => name.starts_with("gen__"),
        "datasets" | "croissant" => name.ends_with(".json"),
        "arxiv" => relative == Path::new(STAND_IN_FEED),
        _ => false,
    }
}
