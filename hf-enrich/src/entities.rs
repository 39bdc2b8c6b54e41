//! The entity records of a run folder, one type per kind, each with our fields **and** the keys
//! the Python extractor's downstream (the MLentory HF transformer) reads.
//!
//! Every record carries:
//!
//! - the id exactly as the identified map spells it (`id`), and the same string under the
//!   downstream's key for the kind (`datasetId`, `arxiv_id`, `Identifier`, `keyword`, `code`,
//!   `task`, `name`);
//! - `mlentory_id` = [`EntityType::id`] of that exact string, so every link the downstream makes
//!   from a map (`hash(TYPE, id)`) lands on exactly one record (see [`crate::mlentory`] for the
//!   identity rule and how canonical ids are handled);
//! - `extraction_metadata`: how the record was obtained, when, how sure, and why it failed.
//!
//! The downstream's keys are computed from what the fetchers already return (the SPDX list, the
//! ISO 639 tables, the task catalog, the tag vocabulary, the dataset API and Croissant, the arXiv
//! Atom feed): no extra request.

use hf_client::arxiv::{ArxivAuthor, ArxivPaper};
use hf_client::datasets::{Croissant, DatasetInfo};
use hf_client::languages::{LanguageKind, LanguageRecord};
use hf_client::licenses::{LicenseKind, LicenseRecord};
use hf_client::tags::TagInfo;
use hf_client::tasks::{Modality, TaskInfo, TaskSource};
use hf_identifiers::ArticleKind;
use serde::{Deserialize, Serialize};

use crate::language_scope;
use crate::mlentory::EntityType;
use crate::records::ExtractionMetadata;
use crate::source::{FetchedDataset, SourceError};

/// The Hub's web address, for the URLs of keywords and tasks.
pub const HUB_URL: &str = "https://huggingface.co";

/// The confidence of a record whose id was identified but could not be confirmed (not fetched,
/// not in a vocabulary); a confirmed record has 1.
pub const UNCONFIRMED_CONFIDENCE: f64 = 0.5;

fn metadata(
    method: &str,
    confirmed: bool,
    time: &str,
    error: Option<String>,
) -> ExtractionMetadata {
    ExtractionMetadata {
        extraction_method: method.to_owned(),
        confidence: if confirmed {
            1.0
        } else {
            UNCONFIRMED_CONFIDENCE
        },
        extraction_time: time.to_owned(),
        error,
    }
}

/// The task records and where the catalog came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskEntities {
    /// One record per identified task id.
    pub tasks: Vec<TaskEntity>,
    /// The Hub's `/api/tasks`, or the embedded pipeline types.
    pub source: TaskSource,
    /// Why the embedded catalog was used, if it was.
    pub fallback_reason: Option<String>,
}

/// A dataset record (`hf_datasets_specific.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DatasetEntity {
    /// The id of the map: the canonical id when a legacy id was resolved, else the id as
    /// identified.
    pub id: String,
    /// The downstream's key: the same id.
    #[serde(rename = "datasetId")]
    pub dataset_id: String,
    /// `hash("Dataset", id)`.
    pub mlentory_id: String,
    /// The canonical id (where a redirect led), when fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_id: Option<String>,
    /// The legacy ids the run's models named this dataset by (`mnist` for `ylecun/mnist`),
    /// sorted: the Hub answered them with this dataset, and their references name `id`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Whether the dataset was fetched.
    pub enriched: bool,
    /// Why not, when it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<SourceError>,
    /// `GET /api/datasets/{id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<serde_json::Value>"))]
    pub info: Option<DatasetInfo>,
    /// The Croissant metadata, the JSON-LD document itself (`null` when there is none).
    #[serde(rename = "croissant_metadata", alias = "croissant", default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<serde_json::Value>"))]
    pub croissant: Option<Croissant>,
    /// Why there is no Croissant (not a failure of the dataset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub croissant_error: Option<String>,
    /// How the record was obtained (`hf_api`).
    pub extraction_metadata: ExtractionMetadata,
}

impl DatasetEntity {
    /// The record of `id`, fetched or not; `time` is the run's start (RFC 3339).
    pub fn new(id: &str, fetched: Result<FetchedDataset, SourceError>, time: &str) -> Self {
        let mut entity = Self {
            id: id.to_owned(),
            dataset_id: id.to_owned(),
            mlentory_id: EntityType::Dataset.id(id),
            canonical_id: None,
            aliases: Vec::new(),
            enriched: false,
            error: None,
            info: None,
            croissant: None,
            croissant_error: None,
            extraction_metadata: metadata("hf_api", false, time, None),
        };
        match fetched {
            Ok(d) => {
                entity.enriched = true;
                entity.canonical_id = Some(d.id);
                entity.info = Some(d.info);
                entity.croissant = d.croissant;
                entity.croissant_error = d.croissant_error;
                entity.extraction_metadata.confidence = 1.0;
            }
            Err(error) => {
                entity.extraction_metadata.error = Some(error.to_string());
                entity.error = Some(error);
            }
        }
        entity
    }
}

/// An author as the downstream reads it (`[{"name": …}]`).
pub type Author = ArxivAuthor;

/// The keys the downstream reads from an article, flattened into [`ArticleEntity`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ArticleKeys {
    /// The id as identified: an arXiv id without version, or a DOI (the downstream names every
    /// article by this key).
    pub arxiv_id: String,
    /// The title.
    pub title: Option<String>,
    /// The abstract.
    pub summary: Option<String>,
    /// The authors, in order, as `{"name": …}`.
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Vec<crate::schemas::AuthorSchema>")
    )]
    pub authors: Vec<Author>,
    /// When version 1 was submitted (ISO 8601, as arXiv sent it).
    pub published: Option<String>,
    /// When the described version was submitted (ISO 8601).
    pub updated: Option<String>,
    /// The arXiv categories, the primary one included.
    pub categories: Vec<String>,
    /// The primary category.
    pub primary_category: Option<String>,
    /// The journal reference.
    pub journal_ref: Option<String>,
    /// The authors' comment.
    pub comment: Option<String>,
    /// The DOI (the id itself for a DOI reference).
    pub doi: Option<String>,
    /// The PDF.
    pub pdf_url: Option<String>,
    /// Every link of the entry (for a DOI, its resolver link).
    pub links: Vec<String>,
}

impl ArticleKeys {
    /// The keys of a fetched paper.
    pub fn from_paper(id: &str, paper: &ArxivPaper) -> Self {
        Self {
            arxiv_id: id.to_owned(),
            title: Some(paper.title.clone()),
            summary: Some(paper.summary.clone()),
            authors: paper.authors.clone(),
            published: paper.published.as_ref().map(|t| t.as_str().to_owned()),
            updated: paper.updated.as_ref().map(|t| t.as_str().to_owned()),
            categories: paper.categories.clone(),
            primary_category: paper.primary_category.clone(),
            journal_ref: paper.journal_ref.clone(),
            comment: paper.comment.clone(),
            doi: paper.doi.clone(),
            pdf_url: paper.pdf_url.clone(),
            links: paper.links.iter().map(|l| l.href.clone()).collect(),
        }
    }

    /// The keys of an article that was not fetched: its id, and for a DOI the DOI and its link.
    pub fn unfetched(id: &str, kind: ArticleKind) -> Self {
        let mut keys = Self {
            arxiv_id: id.to_owned(),
            ..Self::default()
        };
        if kind == ArticleKind::Doi {
            keys.doi = Some(id.to_owned());
            keys.links = vec![format!("https://doi.org/{id}")];
        }
        keys
    }
}

/// An article record (`arxiv_articles.json`): an arXiv paper, or a DOI (not fetched).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ArticleEntity {
    /// The id as identified (arXiv id without version, or DOI).
    pub id: String,
    /// `hash("Article", id)`.
    pub mlentory_id: String,
    /// arXiv or DOI.
    pub kind: ArticleKind,
    /// Whether the paper was fetched.
    pub enriched: bool,
    /// Why the fetch failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<SourceError>,
    /// Why it was not asked ([`crate::enrich::DOI_NOT_FETCHED`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The downstream's keys (flattened: `arxiv_id`, `title`, `summary`, …).
    #[serde(flatten)]
    pub keys: ArticleKeys,
    /// The paper as arXiv described it (links with their relations, version, affiliations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<serde_json::Value>"))]
    pub paper: Option<ArxivPaper>,
    /// How the record was obtained (`arxiv_api`, or `card_reference` for a DOI).
    pub extraction_metadata: ExtractionMetadata,
}

impl ArticleEntity {
    /// The record of `id`: fetched (`Some(Ok)`), failed (`Some(Err)`), or not asked (`None`, a
    /// DOI); `time` is the run's start.
    pub fn new(
        id: &str,
        kind: ArticleKind,
        fetched: Option<Result<ArxivPaper, SourceError>>,
        skipped: Option<String>,
        time: &str,
    ) -> Self {
        let method = match kind {
            ArticleKind::Doi => "card_reference",
            _ => "arxiv_api",
        };
        let mut entity = Self {
            id: id.to_owned(),
            mlentory_id: EntityType::Article.id(id),
            kind,
            enriched: false,
            error: None,
            skipped,
            keys: ArticleKeys::unfetched(id, kind),
            paper: None,
            extraction_metadata: metadata(method, false, time, None),
        };
        match fetched {
            Some(Ok(paper)) => {
                entity.enriched = true;
                entity.keys = ArticleKeys::from_paper(id, &paper);
                entity.paper = Some(paper);
                entity.extraction_metadata.confidence = 1.0;
            }
            Some(Err(error)) => {
                entity.extraction_metadata.error = Some(error.to_string());
                entity.error = Some(error);
            }
            None => {}
        }
        entity
    }
}

/// The keys the downstream reads from a license (the SPDX list's column names), flattened into
/// [`LicenseEntity`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LicenseKeys {
    /// The id as identified (`apache-2.0`).
    #[serde(rename = "Identifier")]
    pub identifier: String,
    /// The full name, or the id when the license is not known.
    #[serde(rename = "Name")]
    pub name: String,
    /// A page about the license.
    #[serde(rename = "URL")]
    pub url: Option<String>,
    /// Approved by the Open Source Initiative.
    #[serde(rename = "OSI Approved")]
    pub osi_approved: bool,
    /// The id is a deprecated SPDX id.
    #[serde(rename = "Deprecated")]
    pub deprecated: bool,
    /// How the id resolved, in words.
    #[serde(rename = "Notes")]
    pub notes: Option<String>,
    /// The license text (not embedded: `null`).
    #[serde(rename = "Text")]
    pub text: Option<String>,
    /// Other ids of the same license (the SPDX id and the deprecated one, where they differ).
    #[serde(rename = "Other Names")]
    pub other_names: Vec<String>,
}

impl LicenseKeys {
    /// The keys of a resolved license.
    pub fn new(id: &str, record: &LicenseRecord) -> Self {
        let notes = match record.kind {
            LicenseKind::Spdx => "an SPDX license id".to_owned(),
            LicenseKind::SpdxDeprecated => "a deprecated SPDX license id".to_owned(),
            LicenseKind::HubSpecific => "a license id of the Hugging Face Hub".to_owned(),
            LicenseKind::Other => "another license, named by the model card".to_owned(),
            LicenseKind::Unknown => "the author declared the license unknown".to_owned(),
            _ => "not an SPDX or Hub license id".to_owned(),
        };
        let mut other_names: Vec<String> = [&record.spdx_id, &record.deprecated_id]
            .into_iter()
            .flatten()
            .filter(|other| other.as_str() != id)
            .cloned()
            .collect();
        other_names.dedup();
        Self {
            identifier: id.to_owned(),
            name: record
                .name
                .clone()
                .or_else(|| record.license_name.clone())
                .unwrap_or_else(|| id.to_owned()),
            url: record.url.clone().or_else(|| record.license_link.clone()),
            osi_approved: record.osi_approved,
            deprecated: record.is_deprecated,
            notes: Some(notes),
            text: None,
            other_names,
        }
    }
}

/// A license record (`licenses.json`), resolved offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LicenseEntity {
    /// The id as identified.
    pub id: String,
    /// `hash("License", id)`.
    pub mlentory_id: String,
    /// Whether the id resolved (an SPDX id, a Hub id, `other`, `unknown`).
    pub enriched: bool,
    /// The downstream's keys (flattened: `Identifier`, `Name`, `URL`, `OSI Approved`, …).
    #[serde(flatten)]
    pub keys: LicenseKeys,
    /// The resolution (with the first `license_name` / `license_link` seen for this id).
    #[cfg_attr(feature = "schema", schemars(with = "serde_json::Value"))]
    pub record: LicenseRecord,
    /// How the record was obtained (`spdx_list`, `hf_license_ids`, or `card`).
    pub extraction_metadata: ExtractionMetadata,
}

impl LicenseEntity {
    /// The record of `id`, resolved as `record`; `time` is the run's start.
    pub fn new(id: &str, record: LicenseRecord, time: &str) -> Self {
        let method = match record.kind {
            LicenseKind::Spdx | LicenseKind::SpdxDeprecated => "spdx_list",
            LicenseKind::HubSpecific => "hf_license_ids",
            _ => "card",
        };
        let enriched = record.is_resolved();
        Self {
            id: id.to_owned(),
            mlentory_id: EntityType::License.id(id),
            enriched,
            keys: LicenseKeys::new(id, &record),
            record,
            extraction_metadata: metadata(method, enriched, time, None),
        }
    }
}

/// The keys the downstream reads from a language, flattened into [`LanguageEntity`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LanguageKeys {
    /// The code as identified (`en`, `pt_BR`, `multilingual`).
    pub code: String,
    /// The English name, or the code when it is not known.
    pub name: String,
    /// The ISO 639-1 code, if the language has one.
    pub alpha_2: Option<String>,
    /// The ISO 639-3 (= 639-2/T) code.
    pub alpha_3: Option<String>,
    /// ISO 639-3 scope: `I` individual, `M` macrolanguage, `S` special (see
    /// [`crate::language_scope`]); `null` when not known.
    pub scope: Option<String>,
    /// ISO 639-3 type: `L` living, `A` ancient, `H` historical, `E` extinct, `C` constructed,
    /// `S` special; `null` when not known.
    #[serde(rename = "type")]
    pub language_type: Option<String>,
}

impl LanguageKeys {
    /// The keys of a resolved code.
    pub fn new(id: &str, record: &LanguageRecord) -> Self {
        let (alpha_3, scope, language_type) = match record.kind {
            LanguageKind::Multilingual => (Some("mul".to_owned()), Some("S"), Some("S")),
            LanguageKind::Iso639 => {
                let alpha_3 = record.iso639_3.clone();
                let (scope, kind) = alpha_3
                    .as_deref()
                    .map(language_scope::scope_and_type)
                    .unwrap_or((None, None));
                (alpha_3, scope, kind)
            }
            _ => (None, None, None),
        };
        Self {
            code: id.to_owned(),
            name: record.english_name.clone().unwrap_or_else(|| id.to_owned()),
            alpha_2: record.iso639_1.clone(),
            alpha_3,
            scope: scope.map(str::to_owned),
            language_type: language_type.map(str::to_owned),
        }
    }
}

/// A language record (`languages.json`), resolved offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LanguageEntity {
    /// The code as identified.
    pub id: String,
    /// `hash("Language", id)`.
    pub mlentory_id: String,
    /// Whether the code resolved (ISO 639, `multilingual`, `code`).
    pub enriched: bool,
    /// The downstream's keys (flattened: `code`, `name`, `alpha_2`, `alpha_3`, `scope`, `type`).
    #[serde(flatten)]
    pub keys: LanguageKeys,
    /// The resolution.
    #[cfg_attr(feature = "schema", schemars(with = "serde_json::Value"))]
    pub record: LanguageRecord,
    /// How the record was obtained (`iso639_table`).
    pub extraction_metadata: ExtractionMetadata,
}

impl LanguageEntity {
    /// The record of `id`, resolved as `record`; `time` is the run's start.
    pub fn new(id: &str, record: LanguageRecord, time: &str) -> Self {
        let enriched = record.kind != LanguageKind::Unknown;
        Self {
            id: id.to_owned(),
            mlentory_id: EntityType::Language.id(id),
            enriched,
            keys: LanguageKeys::new(id, &record),
            record,
            extraction_metadata: metadata("iso639_table", enriched, time, None),
        }
    }
}

/// The keys the downstream reads from a task, flattened into [`TaskEntity`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TaskKeys {
    /// The task id as identified.
    pub task: String,
    /// The task's page on the Hub.
    pub url: String,
    /// The task's category, as the Hub's task pages name it (`Natural Language Processing`).
    pub category: Option<String>,
    /// What the task is (the catalog's summary).
    pub definition: Option<String>,
}

impl TaskKeys {
    /// The keys of a task, with its catalog entry when there is one.
    pub fn new(id: &str, task: Option<&TaskInfo>) -> Self {
        Self {
            task: id.to_owned(),
            url: format!("{HUB_URL}/tasks/{id}"),
            category: task
                .and_then(|t| t.modality.as_ref())
                .map(|m| modality_name(m).to_owned()),
            definition: task.and_then(|t| t.summary.clone()),
        }
    }
}

/// The category name the Hub's task pages show for a modality.
fn modality_name(modality: &Modality) -> &str {
    match modality {
        Modality::Multimodal => "Multimodal",
        Modality::Nlp => "Natural Language Processing",
        Modality::Cv => "Computer Vision",
        Modality::Audio => "Audio",
        Modality::Tabular => "Tabular",
        Modality::Rl => "Reinforcement Learning",
        Modality::Other => "Other",
        other => other.as_str(),
    }
}

/// A task record (`tasks.json`), from the task catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TaskEntity {
    /// The task id as identified.
    pub id: String,
    /// `hash("Task", id)`.
    pub mlentory_id: String,
    /// Whether the catalog has it.
    pub enriched: bool,
    /// The downstream's keys (flattened: `task`, `url`, `category`, `definition`).
    #[serde(flatten)]
    pub keys: TaskKeys,
    /// The catalog's entry (serialised as `task_info`: `task` is the downstream's id key).
    #[serde(rename = "task_info", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<serde_json::Value>"))]
    pub task: Option<TaskInfo>,
    /// How the record was obtained (`hf_tasks_api`, or `embedded_pipeline_types`).
    pub extraction_metadata: ExtractionMetadata,
}

impl TaskEntity {
    /// The record of `id` with its catalog entry, from the catalog of `source`.
    pub fn new(id: &str, task: Option<TaskInfo>, source: TaskSource, time: &str) -> Self {
        let method = match source {
            TaskSource::Embedded => "embedded_pipeline_types",
            _ => "hf_tasks_api",
        };
        let enriched = task.is_some();
        Self {
            id: id.to_owned(),
            mlentory_id: EntityType::Task.id(id),
            enriched,
            keys: TaskKeys::new(id, task.as_ref()),
            task,
            extraction_metadata: metadata(method, enriched, time, None),
        }
    }
}

/// The keys the downstream reads from a keyword, flattened into [`KeywordEntity`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KeywordKeys {
    /// The keyword as identified.
    pub keyword: String,
    /// The Hub's listing of the models with this tag.
    pub url: String,
    /// Other names: the vocabulary's label where it differs from the tag.
    pub aliases: Vec<String>,
    /// What the keyword means (the tag vocabulary has no definitions: `null`).
    pub definition: Option<String>,
    /// The Wikidata item (not looked up: `null`).
    pub wikidata_qid: Option<String>,
}

impl KeywordKeys {
    /// The keys of a keyword, with its vocabulary entry when there is one.
    pub fn new(id: &str, tag: Option<&TagInfo>) -> Self {
        Self {
            keyword: id.to_owned(),
            url: format!("{HUB_URL}/models?other={}", query_escape(id)),
            aliases: tag
                .map(|t| t.label.clone())
                .filter(|label| !label.is_empty() && label != id)
                .into_iter()
                .collect(),
            definition: None,
            wikidata_qid: None,
        }
    }
}

/// `text` as a query value: everything but unreserved characters and `:` percent-encoded.
fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => {
                out.push(char::from(byte));
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A keyword record (`keywords.json`), from the tag vocabulary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KeywordEntity {
    /// The keyword as identified.
    pub id: String,
    /// `hash("Keyword", id)`.
    pub mlentory_id: String,
    /// Whether the vocabulary has it.
    pub enriched: bool,
    /// Why the vocabulary could not be fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<SourceError>,
    /// The downstream's keys (flattened: `keyword`, `url`, `aliases`, `definition`,
    /// `wikidata_qid`).
    #[serde(flatten)]
    pub keys: KeywordKeys,
    /// The vocabulary's entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<serde_json::Value>"))]
    pub tag: Option<TagInfo>,
    /// How the record was obtained (`hf_tag_vocabulary`).
    pub extraction_metadata: ExtractionMetadata,
}

impl KeywordEntity {
    /// The record of `id`: its vocabulary entry (`Ok(None)` when the vocabulary lacks it), or
    /// why the vocabulary could not be fetched.
    pub fn new(id: &str, tag: Result<Option<TagInfo>, SourceError>, time: &str) -> Self {
        let (tag, error) = match tag {
            Ok(tag) => (tag, None),
            Err(error) => (None, Some(error)),
        };
        Self {
            id: id.to_owned(),
            mlentory_id: EntityType::Keyword.id(id),
            enriched: tag.is_some(),
            keys: KeywordKeys::new(id, tag.as_ref()),
            extraction_metadata: metadata(
                "hf_tag_vocabulary",
                tag.is_some(),
                time,
                error.as_ref().map(ToString::to_string),
            ),
            error,
            tag,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use hf_client::languages::resolve_language;
    use hf_client::licenses::LicenseResolver;
    use serde_json::json;

    use super::*;

    const T: &str = "2026-11-27T12:00:00Z";

    #[test]
    fn licenses_carry_the_spdx_column_names() {
        let resolver = LicenseResolver::embedded();
        let cases = [
            ("apache-2.0", "Apache License 2.0", true, false, true),
            (
                "gpl-3.0",
                "GNU General Public License v3.0 only",
                true,
                true,
                true,
            ),
            ("llama3.1", "Llama 3.1", false, false, true),
            ("not-a-license", "not-a-license", false, false, false),
        ];
        for (id, name, osi, deprecated, enriched) in cases {
            let entity = LicenseEntity::new(id, resolver.resolve(id, None, None), T);
            let json = serde_json::to_value(&entity).unwrap();
            assert_eq!(json["Identifier"], id);
            assert!(
                json["Name"].as_str().unwrap().starts_with(name),
                "{id}: {}",
                json["Name"]
            );
            assert_eq!(json["OSI Approved"], osi, "{id}");
            assert_eq!(json["Deprecated"], deprecated, "{id}");
            assert_eq!(json["enriched"], enriched, "{id}");
            assert!(json["Text"].is_null() && json["Notes"].is_string());
            assert_eq!(json["mlentory_id"], EntityType::License.id(id));
            assert_eq!(json["extraction_metadata"]["extraction_time"], T);
            let back: LicenseEntity = serde_json::from_value(json).unwrap();
            assert_eq!(back, entity);
        }
    }

    #[test]
    fn languages_carry_iso_codes_scope_and_type() {
        let cases = [
            (
                "en",
                "English",
                Some("en"),
                Some("eng"),
                Some("I"),
                Some("L"),
            ),
            (
                "zh",
                "Chinese",
                Some("zh"),
                Some("zho"),
                Some("M"),
                Some("L"),
            ),
            ("la", "Latin", Some("la"), Some("lat"), Some("I"), Some("A")),
            (
                "multilingual",
                "Multilingual",
                None,
                Some("mul"),
                Some("S"),
                Some("S"),
            ),
            ("zzz-not", "zzz-not", None, None, None, None),
        ];
        for (code, name, a2, a3, scope, kind) in cases {
            let entity = LanguageEntity::new(code, resolve_language(code), T);
            let json = serde_json::to_value(&entity).unwrap();
            assert_eq!(json["code"], code);
            assert_eq!(json["name"], name, "{code}");
            assert_eq!(json["alpha_2"], json!(a2), "{code}");
            assert_eq!(json["alpha_3"], json!(a3), "{code}");
            assert_eq!(json["scope"], json!(scope), "{code}");
            assert_eq!(json["type"], json!(kind), "{code}");
            assert_eq!(json["mlentory_id"], EntityType::Language.id(code));
        }
    }

    #[test]
    fn articles_flatten_the_paper_and_name_dois_by_their_id() {
        let mut paper = ArxivPaper::default();
        paper.id = "1706.03762".into();
        paper.title = "Attention Is All You Need".into();
        paper.authors = serde_json::from_value(json!([{"name": "Ashish Vaswani"}])).unwrap();
        paper.published = Some(hf_client::wire::HubTimestamp::new("2017-06-12T17:57:34Z"));
        paper.links =
            serde_json::from_value(json!([{"href": "http://arxiv.org/abs/1706.03762v7"}])).unwrap();
        let e = ArticleEntity::new("1706.03762", ArticleKind::Arxiv, Some(Ok(paper)), None, T);
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["arxiv_id"], "1706.03762");
        assert_eq!(json["title"], "Attention Is All You Need");
        assert_eq!(json["authors"][0]["name"], "Ashish Vaswani");
        assert_eq!(json["published"], "2017-06-12T17:57:34Z");
        assert_eq!(json["links"], json!(["http://arxiv.org/abs/1706.03762v7"]));
        assert_eq!(json["extraction_metadata"]["confidence"], 1.0);
        assert_eq!(serde_json::from_value::<ArticleEntity>(json).unwrap(), e);

        let doi = ArticleEntity::new("10.1/x", ArticleKind::Doi, None, Some("skipped".into()), T);
        let json = serde_json::to_value(&doi).unwrap();
        assert_eq!(json["arxiv_id"], "10.1/x");
        assert_eq!(json["doi"], "10.1/x");
        assert_eq!(json["links"], json!(["https://doi.org/10.1/x"]));
        assert_eq!(
            json["extraction_metadata"]["extraction_method"],
            "card_reference"
        );

        let failed = ArticleEntity::new(
            "2106.09685",
            ArticleKind::Arxiv,
            Some(Err(SourceError::not_found("no such paper"))),
            None,
            T,
        );
        let json = serde_json::to_value(&failed).unwrap();
        assert_eq!(json["arxiv_id"], "2106.09685");
        assert!(
            json["extraction_metadata"]["error"]
                .as_str()
                .unwrap()
                .contains("no such paper")
        );
        assert_eq!(
            json["extraction_metadata"]["confidence"],
            UNCONFIRMED_CONFIDENCE
        );
    }

    #[test]
    fn keywords_and_tasks_carry_urls() {
        let tag: TagInfo =
            serde_json::from_value(json!({"id": "region:us", "label": "🇺🇸 Region: US"})).unwrap();
        let k = serde_json::to_value(KeywordEntity::new("region:us", Ok(Some(tag)), T)).unwrap();
        assert_eq!(k["keyword"], "region:us");
        assert_eq!(k["url"], "https://huggingface.co/models?other=region:us");
        assert_eq!(k["aliases"], json!(["🇺🇸 Region: US"]));
        let spaced = KeywordKeys::new("a b&c", None);
        assert_eq!(spaced.url, "https://huggingface.co/models?other=a%20b%26c");

        let task: TaskInfo = serde_json::from_value(
            json!({"id": "fill-mask", "label": "Fill-Mask", "summary": "Mask filling.", "modality": "nlp"}),
        )
        .unwrap();
        let t = TaskEntity::new("fill-mask", Some(task), TaskSource::Embedded, T);
        let t = serde_json::to_value(t).unwrap();
        assert_eq!(t["task"], "fill-mask");
        assert_eq!(t["url"], "https://huggingface.co/tasks/fill-mask");
        assert_eq!(t["category"], "Natural Language Processing");
        assert_eq!(t["definition"], "Mask filling.");
    }
}
