//! Tasks: the Hub's task taxonomy (`GET /api/tasks`) and the pipeline types, embedded for offline
//! use.
//!
//! `GET /api/tasks` serves the `TASKS_DATA` of the npm package `@huggingface/tasks`: an object
//! keyed by task id, each with a label, a summary and the datasets, models, metrics and Spaces
//! the Hub recommends for it ([`TaskInfo`]). It says nothing of modality; that comes from
//! `PIPELINE_DATA` of the same package, embedded here ([`pipeline_types`]) and used to fill
//! [`TaskInfo::modality`] and [`TaskInfo::subtasks`].
//!
//! [`TasksHandler::list_or_embedded`] never fails: when the endpoint cannot be used it answers
//! with the embedded pipeline types and says so ([`TaskSource::Embedded`]).
//!
//! ```no_run
//! # async fn run() -> hf_client::Result<()> {
//! let client = hf_client::HfClient::from_env()?;
//! let tasks = client.tasks().list().send().await?;
//! if let Some(task) = tasks.get("text-classification") {
//!     println!("{}: {} datasets", task.label, task.datasets.len());
//! }
//! let catalog = client.tasks().list_or_embedded().await;
//! println!("{} tasks from {:?}", catalog.tasks.len(), catalog.source);
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use url::Url;

use crate::client::HfClient;
use crate::error::{ResourceKind, Result};

/// `PIPELINE_DATA` of `@huggingface/tasks` (see [`PIPELINE_DATA_SOURCE`]), as JSON: pipeline tag →
/// `{name, modality, subtasks?, hideInModels?, hideInDatasets?}`.
pub const PIPELINE_DATA_JSON: &str = include_str!("../data/PIPELINE_DATA.json");

/// Where [`PIPELINE_DATA_JSON`] comes from.
pub const PIPELINE_DATA_SOURCE: &str = "npm @huggingface/tasks@0.21.54, export PIPELINE_DATA";

/// The kind of data a task works on (`PIPELINE_DATA`'s `modality`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
#[non_exhaustive]
pub enum Modality {
    /// `multimodal`.
    Multimodal,
    /// `nlp`: text.
    Nlp,
    /// `cv`: images and video.
    Cv,
    /// `audio`.
    Audio,
    /// `tabular`.
    Tabular,
    /// `rl`: reinforcement learning.
    Rl,
    /// `other`.
    Other,
    /// A modality this crate does not know yet, as the source spelled it.
    Unrecognised(String),
}

impl Modality {
    /// The modality as the Hub spells it (`nlp`, `cv`, …).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Multimodal => "multimodal",
            Self::Nlp => "nlp",
            Self::Cv => "cv",
            Self::Audio => "audio",
            Self::Tabular => "tabular",
            Self::Rl => "rl",
            Self::Other => "other",
            Self::Unrecognised(s) => s,
        }
    }
}

impl From<String> for Modality {
    fn from(s: String) -> Self {
        match s.as_str() {
            "multimodal" => Self::Multimodal,
            "nlp" => Self::Nlp,
            "cv" => Self::Cv,
            "audio" => Self::Audio,
            "tabular" => Self::Tabular,
            "rl" => Self::Rl,
            "other" => Self::Other,
            _ => Self::Unrecognised(s),
        }
    }
}

impl From<Modality> for String {
    fn from(m: Modality) -> Self {
        match m {
            Modality::Unrecognised(s) => s,
            known => known.as_str().to_owned(),
        }
    }
}

impl std::fmt::Display for Modality {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A subtask of a pipeline type (`sentiment-classification` of `text-classification`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Subtask {
    /// The subtask id (`PIPELINE_DATA`'s `type`), as used in datasets' `task_ids`.
    #[serde(rename = "type")]
    pub id: String,
    /// Its display name.
    #[serde(default)]
    pub name: String,
}

/// A pipeline type (a `pipeline_tag` value) of `PIPELINE_DATA`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PipelineType {
    /// The pipeline tag (`text-classification`).
    #[serde(default)]
    pub id: String,
    /// Its display name (`Text Classification`).
    pub name: String,
    /// The kind of data it works on.
    pub modality: Modality,
    /// Its subtasks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subtasks: Vec<Subtask>,
    /// Not offered as a model filter on the Hub.
    #[serde(default)]
    pub hide_in_models: bool,
    /// Not offered as a dataset filter on the Hub.
    #[serde(default)]
    pub hide_in_datasets: bool,
}

/// The embedded pipeline types, sorted by id (57 in `@huggingface/tasks@0.21.54`).
pub fn pipeline_types() -> &'static [PipelineType] {
    static TYPES: OnceLock<Vec<PipelineType>> = OnceLock::new();
    TYPES.get_or_init(|| match parse_pipeline_data(PIPELINE_DATA_JSON) {
        Ok(types) => types,
        Err(error) => {
            // Cannot happen with the file this crate ships (a test parses it).
            tracing::error!(%error, "the embedded PIPELINE_DATA does not parse");
            Vec::new()
        }
    })
}

/// The embedded pipeline type with this id.
pub fn pipeline_type(id: &str) -> Option<&'static PipelineType> {
    let types = pipeline_types();
    types
        .binary_search_by(|t| t.id.as_str().cmp(id))
        .ok()
        .and_then(|i| types.get(i))
}

/// Parse a `PIPELINE_DATA` object (pipeline tag → entry) into pipeline types sorted by id.
pub fn parse_pipeline_data(
    json: &str,
) -> std::result::Result<Vec<PipelineType>, serde_json::Error> {
    let map: BTreeMap<String, PipelineType> = serde_json::from_str(json)?;
    Ok(map
        .into_iter()
        .map(|(id, mut t)| {
            t.id = id;
            t
        })
        .collect())
}

/// A dataset, model, metric or Space recommended for a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TaskResource {
    /// Its id (`nyu-mll/glue`, `accuracy`, …).
    pub id: String,
    /// Why it is recommended (may be empty).
    #[serde(default)]
    pub description: String,
}

/// One task of `GET /api/tasks` (an entry of `TASKS_DATA`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TaskInfo {
    /// The task id, a pipeline tag (`text-classification`). Taken from the key when absent.
    #[serde(default)]
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub label: String,
    /// A paragraph about the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The kind of data: from the answer if it has one, else from the embedded pipeline types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modality: Option<Modality>,
    /// Subtasks: from the answer if it has them, else from the embedded pipeline types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subtasks: Vec<Subtask>,
    /// Recommended datasets.
    #[serde(default)]
    pub datasets: Vec<TaskResource>,
    /// Recommended models.
    #[serde(default)]
    pub models: Vec<TaskResource>,
    /// Usual metrics.
    #[serde(default)]
    pub metrics: Vec<TaskResource>,
    /// Demo Spaces.
    #[serde(default)]
    pub spaces: Vec<TaskResource>,
    /// Models shown in the task's widget.
    #[serde(default)]
    pub widget_models: Vec<String>,
    /// Libraries that implement the task (`transformers`, `setfit`, …).
    #[serde(default)]
    pub libraries: Vec<String>,
    /// A video about the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub youtube_id: Option<String>,
    /// The task page is a placeholder.
    #[serde(default)]
    pub is_placeholder: bool,
    /// The task whose page this one shares (`summarization` → `text-generation`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_id: Option<String>,
    /// The example inputs and outputs of the task page, as served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demo: Option<Value>,
    /// Keys this crate does not know, kept as served.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl TaskInfo {
    /// A task known only from the embedded pipeline types (no summary, no recommendations).
    pub fn from_pipeline_type(t: &PipelineType) -> Self {
        Self {
            id: t.id.clone(),
            label: t.name.clone(),
            summary: None,
            modality: Some(t.modality.clone()),
            subtasks: t.subtasks.clone(),
            datasets: Vec::new(),
            models: Vec::new(),
            metrics: Vec::new(),
            spaces: Vec::new(),
            widget_models: Vec::new(),
            libraries: Vec::new(),
            youtube_id: None,
            is_placeholder: false,
            canonical_id: None,
            demo: None,
            extra: BTreeMap::new(),
        }
    }

    /// Fill what the answer lacks from the embedded pipeline types: id, label, modality,
    /// subtasks.
    fn complete(&mut self, key: &str) {
        if self.id.is_empty() {
            self.id = key.to_owned();
        }
        let Some(t) = pipeline_type(&self.id).or_else(|| pipeline_type(key)) else {
            return;
        };
        if self.label.is_empty() {
            self.label = t.name.clone();
        }
        if self.modality.is_none() {
            self.modality = Some(t.modality.clone());
        }
        if self.subtasks.is_empty() {
            self.subtasks = t.subtasks.clone();
        }
    }
}

/// Decode a `/api/tasks` body: task id → task; `null` entries (tasks without data) are skipped.
fn tasks_from_answer<'de, D: Deserializer<'de>>(
    de: D,
) -> std::result::Result<BTreeMap<String, TaskInfo>, D::Error> {
    let raw: BTreeMap<String, Option<TaskInfo>> = Deserialize::deserialize(de)?;
    Ok(raw
        .into_iter()
        .filter_map(|(key, task)| {
            let mut task = task?;
            task.complete(&key);
            Some((key, task))
        })
        .collect())
}

#[derive(Deserialize)]
#[serde(transparent)]
struct TasksAnswer(#[serde(deserialize_with = "tasks_from_answer")] BTreeMap<String, TaskInfo>);

/// Where a [`TaskCatalog`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TaskSource {
    /// `GET /api/tasks`.
    Hub,
    /// The embedded pipeline types ([`PIPELINE_DATA_SOURCE`]).
    Embedded,
}

/// The tasks known for a run, and where they come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TaskCatalog {
    /// Where the tasks come from.
    pub source: TaskSource,
    /// Task id → task.
    pub tasks: BTreeMap<String, TaskInfo>,
    /// Why the Hub's answer was not used, when `source` is [`TaskSource::Embedded`] after a
    /// failed request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_reason: Option<String>,
}

impl TaskCatalog {
    /// The embedded pipeline types as tasks, with the reason the Hub was not used (if it was
    /// asked).
    pub fn embedded(fallback_reason: Option<String>) -> Self {
        Self {
            source: TaskSource::Embedded,
            tasks: pipeline_types()
                .iter()
                .map(|t| (t.id.clone(), TaskInfo::from_pipeline_type(t)))
                .collect(),
            fallback_reason,
        }
    }

    /// The task with this id.
    pub fn get(&self, id: &str) -> Option<&TaskInfo> {
        self.tasks.get(id)
    }
}

/// Requests about tasks. Get one with [`HfClient::tasks`].
#[derive(Debug, Clone, Copy)]
pub struct TasksHandler<'c> {
    client: &'c HfClient,
}

impl HfClient {
    /// Requests about the task taxonomy.
    pub fn tasks(&self) -> TasksHandler<'_> {
        TasksHandler { client: self }
    }
}

impl<'c> TasksHandler<'c> {
    /// The task taxonomy: `GET /api/tasks`. See [`ListTasks`].
    pub fn list(&self) -> ListTasks<'c> {
        ListTasks {
            client: self.client,
        }
    }

    /// `GET /api/tasks`, or the embedded pipeline types when that fails (any error: transport,
    /// HTTP status, undecodable body). The catalog says which, and why.
    pub async fn list_or_embedded(&self) -> TaskCatalog {
        match self.list().send().await {
            Ok(tasks) => TaskCatalog {
                source: TaskSource::Hub,
                tasks,
                fallback_reason: None,
            },
            Err(error) => {
                tracing::warn!(%error, "GET /api/tasks failed; using the embedded pipeline types");
                TaskCatalog::embedded(Some(error.to_string()))
            }
        }
    }
}

/// `GET /api/tasks`: task id → [`TaskInfo`], each completed with the embedded modality and
/// subtasks.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until sent"]
pub struct ListTasks<'c> {
    client: &'c HfClient,
}

impl ListTasks<'_> {
    /// The URL this request will fetch.
    pub fn url(&self) -> Url {
        self.client.hub_url(&["api", "tasks"])
    }

    /// Send it.
    pub async fn send(self) -> Result<BTreeMap<String, TaskInfo>> {
        let resp = self
            .client
            .get(self.url())
            .await?
            .error_for_status(ResourceKind::Other, "tasks")?;
        let TasksAnswer(tasks) = resp.json()?;
        Ok(tasks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_pipeline_data_parses_sorted_and_unique() {
        let types = pipeline_types();
        assert_eq!(types.len(), 57);
        for pair in types.windows(2) {
            assert!(pair[0].id < pair[1].id);
        }
        let tc = pipeline_type("text-classification").unwrap();
        assert_eq!(tc.name, "Text Classification");
        assert_eq!(tc.modality, Modality::Nlp);
        assert!(
            tc.subtasks
                .iter()
                .any(|s| s.id == "sentiment-classification")
        );
        assert_eq!(pipeline_type("robotics").unwrap().modality, Modality::Rl);
        assert!(pipeline_type("nope").is_none());
        for t in types {
            assert!(!matches!(t.modality, Modality::Unrecognised(_)), "{}", t.id);
        }
    }

    #[test]
    fn modality_keeps_unknown_spellings() {
        for s in [
            "multimodal",
            "nlp",
            "cv",
            "audio",
            "tabular",
            "rl",
            "other",
            "3d",
        ] {
            let m = Modality::from(s.to_owned());
            assert_eq!(m.as_str(), s);
            assert_eq!(serde_json::to_value(&m).unwrap(), s);
        }
        assert_eq!(
            Modality::from("3d".to_owned()),
            Modality::Unrecognised("3d".into())
        );
    }

    #[test]
    fn a_task_is_completed_from_the_pipeline_types() {
        let json = r#"{"summarization": {"label": "Summarization", "canonicalId": "text-generation",
            "datasets": [{"id": "abisee/cnn_dailymail"}], "newKey": 1}, "graph-ml": null}"#;
        let TasksAnswer(tasks) = serde_json::from_str(json).unwrap();
        assert_eq!(tasks.len(), 1);
        let s = &tasks["summarization"];
        assert_eq!(s.id, "summarization");
        assert_eq!(s.modality, Some(Modality::Nlp));
        assert_eq!(s.canonical_id.as_deref(), Some("text-generation"));
        assert_eq!(s.datasets[0].description, "");
        assert_eq!(s.extra["newKey"], 1);
        let back: TaskInfo = serde_json::from_value(serde_json::to_value(s).unwrap()).unwrap();
        assert_eq!(&back, s);
    }

    #[test]
    fn the_embedded_catalog_has_every_pipeline_type() {
        let catalog = TaskCatalog::embedded(None);
        assert_eq!(catalog.source, TaskSource::Embedded);
        assert_eq!(catalog.tasks.len(), 57);
        assert_eq!(
            catalog.get("image-classification").unwrap().modality,
            Some(Modality::Cv)
        );
    }
}
