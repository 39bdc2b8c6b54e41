//! Identification of the entities a Hugging Face model points to.
//!
//! A pure crate: model metadata in, references to related entities out. No IO, no async, no logging.
//! Seven kinds of entity are identified — datasets, articles (arXiv papers and DOIs), base models,
//! keywords, licenses, languages and tasks — each by one [`EntityIdentifier`] in its own module.
//! Every reference carries its normalised id, the raw text it came from, and its [`Provenance`]s:
//! the same entity found in several places is one reference listing all of them.
//!
//! ```
//! use hf_identifiers::{identify_all, ModelView, Provenance};
//! use serde_json::json;
//!
//! let tags: Vec<String> = ["transformers", "text-generation", "en", "dataset:HuggingFaceH4/ultrachat_200k",
//!     "arxiv:2305.18290", "base_model:finetune:mistralai/Mistral-7B-v0.1", "license:mit", "region:us"]
//!     .iter().map(|t| t.to_string()).collect();
//! let card = json!({"license": "mit", "language": ["en"], "base_model": "mistralai/Mistral-7B-v0.1"});
//! let text = "This model is a fine-tuned version of [mistralai/Mistral-7B-v0.1]\
//!     (https://huggingface.co/mistralai/Mistral-7B-v0.1). See the [DPO paper](https://arxiv.org/abs/2305.18290v2).";
//! let view = ModelView {
//!     tags: &tags,
//!     pipeline_tag: Some("text-generation"),
//!     library_name: Some("transformers"),
//!     card_data: Some(&card),
//!     card_text: Some(text),
//!     ..ModelView::new("HuggingFaceH4/zephyr-7b-beta")
//! };
//! let found = identify_all(&view);
//!
//! assert_eq!(found.base_models[0].id, "mistralai/Mistral-7B-v0.1");
//! assert_eq!(
//!     found.base_models[0].provenance,
//!     [Provenance::Tag, Provenance::CardData, Provenance::CardText]
//! );
//! assert_eq!(found.articles[0].id, "2305.18290");
//! assert_eq!(found.articles[0].version, Some(2));
//! assert_eq!(found.languages[0].id, "en");
//! assert_eq!(found.tasks[0].id, "text-generation");
//! // Tags claimed by another kind are not keywords.
//! let keywords: Vec<&str> = found.keywords.iter().map(|k| k.id.as_str()).collect();
//! assert_eq!(keywords, ["region:us", "transformers"]);
//! // The result serialises to JSON for a run folder.
//! let json = serde_json::to_string(&found).unwrap();
//! assert!(json.contains("\"provenance\":[\"tag\",\"card_data\",\"card_text\"]"));
//! ```
//!
//! # Where each kind looks
//!
//! | kind | tags | card data | card text | API |
//! |---|---|---|---|---|
//! | [datasets] | `dataset:` (trained on) | `datasets` (trained on), `model-index[].results[].dataset` `type` — or `name` when the type is not a Hub id (evaluated on) | `huggingface.co/datasets/…`, `hf.co/datasets/…` links (trained on) | |
//! | [articles] | `arxiv:`, `doi:` | | `arxiv.org/abs\|pdf/…`, `arXiv:ID`, `huggingface.co/papers/…`, `doi.org/…`, arXiv DOIs in every written form (`doi:`, `DOI:`, `dx.doi.org/…`, bare `10.48550/arXiv.…`, BibTeX `doi = {…}`), BibTeX `eprint` near `arXiv` | |
//! | [base_models] | `base_model:[relation:]id` | `base_model`, `base_model_relation` | Trainer, quantization (GGUF, MLX, TheBloke, bartowski), adapter and mergekit sentences, the template's "Finetuned from model", mergekit YAML configurations (`model:` and `base_model:`, relation `merge`, the `base_model:` marked as the merge base) — all low confidence | `baseModels` |
//! | [keywords] | every tag no other kind claimed | `tags`, `library_name` | | `library_name` |
//! | [licenses] | `license:` | `license`; for `other`, `license_name` (the id) and `license_link` | the template's `- **License:** …` line, when the metadata declares none | |
//! | [languages] | ISO 639-1 codes, or declared in the card | `language` (authoritative) | the template's `- **Language(s) (NLP):** …` line (names in English or in the language, or codes), when the metadata declares none | |
//! | [tasks] | the 57 task ids, or a declared pipeline tag | `pipeline_tag`, `task_categories` | | `pipeline_tag` |
//!
//! Every dataset reference says how the model relates to it ([`DatasetRelation`]): `trained_on`,
//! `evaluated_on`, or both for one dataset found in both roles. A custom license (`license: other`
//! with `license_name: llama3`) is identified by its name (`llama3`, marked
//! [`custom`](LicenseRef::custom)) and carries its link; `other` is left only when no name is
//! given.
//!
//! The card's `tags` are read like the Hub's tags, with provenance `card_data`. A front matter that
//! does not parse is read line by line ([`lenient`]) and its findings carry
//! [`Provenance::CardDataLenient`].
//!
//! # Cost
//!
//! The card text is scanned once, by one Aho–Corasick DFA (`aho-corasick`, the engine `regex`
//! itself uses), for all kinds ([`Evidence::new`]); small hand-written parsers read a bounded window
//! after each hit (fences are paired as they are hit, and only a code block holding a mergekit key
//! is read again, line by line), so no regex runs over the card. Time is linear in the card's size: the
//! `identifiers` criterion bench in `benches/` measures about 270–300 MiB/s per core on the sample
//! cards and about 360 MiB/s on a 10 MB card.
//!
//! # Quality
//!
//! A labelled set of 114 models (`tests/eval/cases.json`: the 47 recorded model-info bodies, the 19
//! sample cards, 3 combinations and 45 hand-written hard cases, near misses among them) is asserted
//! exactly by the tests, ids and the fields a case details (relations, merge base, license link,
//! provenance); `cargo run -p hf-identifiers --example eval_report` prints precision and recall per
//! kind and per provenance.
//!
//! # Limits
//!
//! - Card text only yields what it names by Hub id or Hub link: "trained based on DeepSeek-V3-Base"
//!   or "fine-tune LLaMA-2-7B" name no repo and are missed.
//! - A mergekit configuration is read when it is a fenced code block with a top-level
//!   `merge_method:`, or a block fenced as `yaml` listing `model:` entries under `slices:` or
//!   `models:`; other YAML (axolotl, serving configs) is not read. mergekit-moe's `experts:` and
//!   LoRA-joined ids (`a/b+c/d`) are not read.
//! - `model-index` datasets are taken by `type` when it is a Hub id, else by `name` when that is
//!   one; placeholders (`unknown`, `custom`) and the `datasets` file loaders (`imagefolder`,
//!   `json`, …) name none. A prose name ("MT-Bench") is not mapped to a repo.
//! - The template's license line is taken only when its value is one of the Hub's license ids
//!   (spaces and capitals allowed: `Apache 2.0`, `CC BY-NC 4.0`), and the template lines only when
//!   the metadata declares no license / no language; where both exist the metadata is
//!   authoritative.
//! - DOIs other than arXiv's are taken from `doi.org` links and `doi:` tags only; a bare DOI or a
//!   BibTeX `doi` field is read only for arXiv DOIs (others there often name models or data sets).
//! - A custom license name that keeps no ASCII letter or digit (`通义千问`) leaves the id `other`,
//!   with the name kept.
//! - Language tags are taken when they are ISO 639-1 codes or declared; three-letter codes only
//!   when declared. Full ISO 639-3 resolution is the client crate's job.
//! - A card base model that differs from the Hub's single `base_model:` tag is taken for the tag's
//!   old name (the Hub resolves renamed repos when it derives its tags).

pub mod articles;
pub mod arxiv;
pub mod base_models;
mod card_text;
mod collect;
pub mod datasets;
pub mod keywords;
pub mod languages;
pub mod lenient;
pub mod licenses;
mod provenance;
pub mod tasks;
mod view;
pub mod vocab;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use articles::{ArticleIdentifier, ArticleKind, ArticleRef};
pub use base_models::{BaseModelIdentifier, BaseModelRef, Confidence, Relation};
pub use datasets::{DatasetIdentifier, DatasetRef, DatasetRelation};
pub use keywords::{KeywordCategory, KeywordIdentifier, KeywordRef};
pub use languages::{LanguageIdentifier, LanguageRef};
pub use licenses::{LicenseIdentifier, LicenseRef};
pub use provenance::Provenance;
pub use tasks::{TaskIdentifier, TaskRef};
pub use view::{Evidence, ModelView};

/// The seven kinds of entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// Datasets ([`DatasetRef`]).
    Datasets,
    /// Articles: arXiv papers and DOIs ([`ArticleRef`]).
    Articles,
    /// Base models ([`BaseModelRef`]).
    BaseModels,
    /// Keywords ([`KeywordRef`]).
    Keywords,
    /// Licenses ([`LicenseRef`]).
    Licenses,
    /// Languages ([`LanguageRef`]).
    Languages,
    /// Tasks ([`TaskRef`]).
    Tasks,
}

impl EntityKind {
    /// All kinds, in output order.
    pub const ALL: [EntityKind; 7] = [
        EntityKind::Datasets,
        EntityKind::Articles,
        EntityKind::BaseModels,
        EntityKind::Keywords,
        EntityKind::Licenses,
        EntityKind::Languages,
        EntityKind::Tasks,
    ];

    /// The kind's name, as used in JSON (`datasets`, `base_models`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Datasets => "datasets",
            EntityKind::Articles => "articles",
            EntityKind::BaseModels => "base_models",
            EntityKind::Keywords => "keywords",
            EntityKind::Licenses => "licenses",
            EntityKind::Languages => "languages",
            EntityKind::Tasks => "tasks",
        }
    }
}

/// Finds the references of one kind in a model's [`Evidence`].
///
/// Implementations are pure and deterministic: the same evidence gives the same references in the
/// same order (sorted by id).
pub trait EntityIdentifier {
    /// The reference type this identifier returns.
    type Ref: Serialize;
    /// The kind of entity.
    const KIND: EntityKind;

    /// Identifies the references of this kind.
    fn identify(&self, evidence: &Evidence<'_>) -> Vec<Self::Ref>;

    /// Identifies from a view directly (prepares the evidence; prefer [`identify_all`] or a shared
    /// [`Evidence`] when running several identifiers).
    fn identify_view(&self, view: &ModelView<'_>) -> Vec<Self::Ref> {
        self.identify(&Evidence::new(view))
    }
}

/// All references of one model, per kind. Serialises to JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identified {
    /// Datasets.
    pub datasets: Vec<DatasetRef>,
    /// Articles.
    pub articles: Vec<ArticleRef>,
    /// Base models.
    pub base_models: Vec<BaseModelRef>,
    /// Keywords.
    pub keywords: Vec<KeywordRef>,
    /// Licenses.
    pub licenses: Vec<LicenseRef>,
    /// Languages.
    pub languages: Vec<LanguageRef>,
    /// Tasks.
    pub tasks: Vec<TaskRef>,
}

impl Identified {
    /// The ids found for one kind, in output order.
    pub fn ids(&self, kind: EntityKind) -> Vec<&str> {
        fn ids<T>(v: &[T], f: impl Fn(&T) -> &str) -> Vec<&str> {
            v.iter().map(f).collect()
        }
        match kind {
            EntityKind::Datasets => ids(&self.datasets, |r| &r.id),
            EntityKind::Articles => ids(&self.articles, |r| &r.id),
            EntityKind::BaseModels => ids(&self.base_models, |r| &r.id),
            EntityKind::Keywords => ids(&self.keywords, |r| &r.id),
            EntityKind::Licenses => ids(&self.licenses, |r| &r.id),
            EntityKind::Languages => ids(&self.languages, |r| &r.id),
            EntityKind::Tasks => ids(&self.tasks, |r| &r.id),
        }
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        EntityKind::ALL.iter().all(|k| self.ids(*k).is_empty())
    }
}

/// Runs all seven identifiers over one model (the card text is scanned once).
pub fn identify_all(view: &ModelView<'_>) -> Identified {
    let ev = Evidence::new(view);
    Identified {
        datasets: DatasetIdentifier.identify(&ev),
        articles: ArticleIdentifier.identify(&ev),
        base_models: BaseModelIdentifier.identify(&ev),
        keywords: KeywordIdentifier.identify(&ev),
        licenses: LicenseIdentifier.identify(&ev),
        languages: LanguageIdentifier.identify(&ev),
        tasks: TaskIdentifier.identify(&ev),
    }
}

/// The references of a whole run, per kind: `{model_id: [references]}`, ordered by model id.
///
/// Each field serialises to one JSON file of a run folder (`datasets.json`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunIdentified {
    /// Datasets per model.
    pub datasets: BTreeMap<String, Vec<DatasetRef>>,
    /// Articles per model.
    pub articles: BTreeMap<String, Vec<ArticleRef>>,
    /// Base models per model.
    pub base_models: BTreeMap<String, Vec<BaseModelRef>>,
    /// Keywords per model.
    pub keywords: BTreeMap<String, Vec<KeywordRef>>,
    /// Licenses per model.
    pub licenses: BTreeMap<String, Vec<LicenseRef>>,
    /// Languages per model.
    pub languages: BTreeMap<String, Vec<LanguageRef>>,
    /// Tasks per model.
    pub tasks: BTreeMap<String, Vec<TaskRef>>,
}

impl RunIdentified {
    /// Adds one model's references (replacing any earlier ones for the same model id).
    pub fn insert(&mut self, model_id: &str, found: Identified) {
        let id = model_id.to_string();
        self.datasets.insert(id.clone(), found.datasets);
        self.articles.insert(id.clone(), found.articles);
        self.base_models.insert(id.clone(), found.base_models);
        self.keywords.insert(id.clone(), found.keywords);
        self.licenses.insert(id.clone(), found.licenses);
        self.languages.insert(id.clone(), found.languages);
        self.tasks.insert(id, found.tasks);
    }

    /// The references of one model, if it was added.
    pub fn get(&self, model_id: &str) -> Option<Identified> {
        Some(Identified {
            datasets: self.datasets.get(model_id)?.clone(),
            articles: self.articles.get(model_id)?.clone(),
            base_models: self.base_models.get(model_id)?.clone(),
            keywords: self.keywords.get(model_id)?.clone(),
            licenses: self.licenses.get(model_id)?.clone(),
            languages: self.languages.get(model_id)?.clone(),
            tasks: self.tasks.get(model_id)?.clone(),
        })
    }
}
