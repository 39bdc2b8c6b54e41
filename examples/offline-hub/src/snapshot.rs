//! The snapshot folder, loaded into memory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::arxiv::ArxivFeeds;
use super::files::SnapshotFiles;

/// Where the bundled snapshot lives in the repository (this package's folder): what
/// `gen-offline-hub` rewrites and [`Snapshot::bundled`] compiles in.
pub fn snapshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// An error answer the offline Hub gives for a repository (`routes.json` → `errors`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoError {
    /// The HTTP status (`403`).
    pub status: u16,
    /// The `X-Error-Code` header (`GatedRepo`).
    pub code: String,
    /// The `X-Error-Message` header and the body's `error`.
    pub message: String,
}

/// The snapshot: everything the offline Hub answers from.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// `GET /api/models/{id}` bodies, by id.
    pub models: BTreeMap<String, Map<String, Value>>,
    /// `README.md` texts, by model id.
    pub cards: BTreeMap<String, String>,
    /// `GET /api/datasets/{id}` bodies, by id.
    pub datasets: BTreeMap<String, Map<String, Value>>,
    /// `GET /api/datasets/{id}/croissant` documents, by dataset id.
    pub croissant: BTreeMap<String, Value>,
    /// `GET /api/papers/{id}` bodies, by arXiv id.
    pub papers: BTreeMap<String, Value>,
    /// The body of `GET /api/tasks` (`TASKS_DATA`), if the snapshot has one.
    pub tasks: Option<Value>,
    /// The recorded arXiv feeds, indexed by id.
    pub arxiv: ArxivFeeds,
    /// Legacy model ids → canonical ids (answered with 307).
    pub model_redirects: BTreeMap<String, String>,
    /// Legacy dataset ids → canonical ids (answered with 307).
    pub dataset_redirects: BTreeMap<String, String>,
    /// Error answers by `models/{id}` or `datasets/{id}` (a gated repository: 403).
    pub errors: BTreeMap<String, RepoError>,
}

pub(crate) fn invalid(path: impl std::fmt::Display, e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{path}: {e}"))
}

impl SnapshotFiles {
    /// The JSON document at `relative`, which must exist.
    fn json(&self, relative: &Path) -> std::io::Result<Value> {
        self.json_if_any(relative)?.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, self.display(relative))
        })
    }

    /// The JSON document at `relative`, `None` if there is none.
    fn json_if_any(&self, relative: &Path) -> std::io::Result<Option<Value>> {
        let Some(text) = self.read(relative)? else {
            return Ok(None);
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| invalid(self.display(relative), e))
    }

    fn repo_bodies(
        &self,
        paths: impl IntoIterator<Item = PathBuf>,
    ) -> std::io::Result<BTreeMap<String, Map<String, Value>>> {
        let mut out = BTreeMap::new();
        for path in paths {
            let Value::Object(body) = self.json(&path)? else {
                return Err(invalid(self.display(&path), "not a JSON object"));
            };
            if let Some(id) = body.get("id").and_then(Value::as_str) {
                out.insert(id.to_owned(), body);
            }
        }
        Ok(out)
    }

    /// Card texts by model id, from files named `<id with __ for />.README.md`.
    fn cards(
        &self,
        paths: impl IntoIterator<Item = PathBuf>,
    ) -> std::io::Result<BTreeMap<String, String>> {
        let mut cards = BTreeMap::new();
        for path in paths {
            let id = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".README.md"))
                .ok_or_else(|| invalid(self.display(&path), "not <id>.README.md"))?
                .replace("__", "/");
            cards.insert(id, self.require(&path)?);
        }
        Ok(cards)
    }

    fn arxiv_feeds(&self, paths: impl IntoIterator<Item = PathBuf>) -> std::io::Result<ArxivFeeds> {
        let mut feeds = ArxivFeeds::default();
        for path in paths {
            feeds.add(&self.require(&path)?);
        }
        Ok(feeds)
    }
}

/// The recorded Hub answers a snapshot serves, listed in its `recorded.json` and read from the
/// repository's one copy of them (`testdata/hub-samples/`, provenance in its `SOURCES.md`), so
/// no recorded answer is kept twice.
///
/// `recorded.json`: `samples` (the samples folder, relative to the snapshot folder), and paths
/// relative to it: `models` (`GET /api/models/{id}` bodies), `cards` (`<id>.README.md`),
/// `croissant` (dataset id → Croissant document), `arxiv` (feeds), `papers` (Daily Papers
/// items), `tasks` (`TASKS_DATA`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Recorded {
    samples: PathBuf,
    models: Vec<PathBuf>,
    cards: Vec<PathBuf>,
    croissant: BTreeMap<String, PathBuf>,
    arxiv: Vec<PathBuf>,
    papers: Vec<PathBuf>,
    tasks: Option<PathBuf>,
    /// Where the files are read from.
    #[serde(skip)]
    files: SnapshotFiles,
}

impl Recorded {
    /// The `recorded.json` of a snapshot folder; nothing when the folder has none.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        Self::from_files(SnapshotFiles::Folder(dir.to_owned()))
    }

    /// The `recorded.json` of `files`, its paths made relative to the snapshot folder.
    fn from_files(files: SnapshotFiles) -> std::io::Result<Self> {
        let path = Path::new("recorded.json");
        let Some(text) = files.read(path)? else {
            return Ok(Self {
                files,
                ..Self::default()
            });
        };
        let mut recorded: Self =
            serde_json::from_str(&text).map_err(|e| invalid(files.display(path), e))?;
        let root = recorded.samples.clone();
        let relative = |paths: &mut Vec<PathBuf>| {
            for p in paths.iter_mut() {
                *p = root.join(&*p);
            }
        };
        relative(&mut recorded.models);
        relative(&mut recorded.cards);
        relative(&mut recorded.arxiv);
        relative(&mut recorded.papers);
        for p in recorded.croissant.values_mut() {
            *p = root.join(&*p);
        }
        recorded.tasks = recorded.tasks.map(|t| root.join(t));
        recorded.files = files;
        Ok(recorded)
    }

    /// The recorded model bodies, by id.
    pub fn models(&self) -> std::io::Result<BTreeMap<String, Map<String, Value>>> {
        self.files.repo_bodies(self.models.iter().cloned())
    }

    /// The recorded cards' texts, by model id.
    pub fn cards(&self) -> std::io::Result<BTreeMap<String, String>> {
        self.files.cards(self.cards.iter().cloned())
    }

    /// The recorded Croissant documents, by dataset id.
    pub fn croissant(&self) -> std::io::Result<BTreeMap<String, Value>> {
        self.croissant
            .iter()
            .map(|(id, path)| Ok((id.clone(), self.files.json(path)?)))
            .collect()
    }

    /// The recorded arXiv feeds, indexed.
    pub fn arxiv(&self) -> std::io::Result<ArxivFeeds> {
        self.files.arxiv_feeds(self.arxiv.iter().cloned())
    }
}

impl Snapshot {
    /// Load a snapshot folder: its own `models/*.json`, `cards/*.README.md`, `datasets/*.json`,
    /// `croissant/*.json`, `papers/*.json`, `tasks/TASKS_DATA.json`, `arxiv/*.xml` and
    /// `routes.json`, plus the recorded answers its `recorded.json` lists ([`Recorded`]).
    /// Every part may be absent.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        Self::from_files(SnapshotFiles::Folder(dir.to_owned()))
    }

    /// The bundled snapshot: `examples/offline-hub/` (and the recorded answers it lists) as
    /// it was when this library was built, compiled in — no file is read.
    pub fn bundled() -> std::io::Result<Self> {
        Self::from_files(SnapshotFiles::Bundled)
    }

    fn from_files(files: SnapshotFiles) -> std::io::Result<Self> {
        let recorded = Recorded::from_files(files.clone())?;
        let mut snapshot = Self {
            models: files.repo_bodies(
                recorded
                    .models
                    .iter()
                    .cloned()
                    .chain(files.list("models", ".json")?),
            )?,
            datasets: files.repo_bodies(files.list("datasets", ".json")?)?,
            arxiv: files.arxiv_feeds(
                recorded
                    .arxiv
                    .iter()
                    .cloned()
                    .chain(files.list("arxiv", ".xml")?),
            )?,
            croissant: recorded.croissant()?,
            ..Self::default()
        };
        snapshot.cards = files.cards(
            recorded
                .cards
                .iter()
                .cloned()
                .chain(files.list("cards", ".README.md")?),
        )?;
        for path in files.list("croissant", ".json")? {
            let stem = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".json"))
                .unwrap_or_default()
                .replace("__", "/");
            snapshot.croissant.insert(stem, files.json(&path)?);
        }
        for path in recorded
            .papers
            .iter()
            .cloned()
            .chain(files.list("papers", ".json")?)
        {
            // A daily-papers item wraps the paper: serve the paper itself.
            let mut value = files.json(&path)?;
            if let Some(paper) = value.get_mut("paper").map(Value::take) {
                value = paper;
            }
            if let Some(id) = value.get("id").and_then(Value::as_str) {
                snapshot.papers.insert(id.to_owned(), value);
            }
        }
        snapshot.tasks = match &recorded.tasks {
            Some(tasks) => Some(files.json(tasks)?),
            None => files.json_if_any(Path::new("tasks/TASKS_DATA.json"))?,
        };
        if let Some(routes) = files.json_if_any(Path::new("routes.json"))? {
            let map = |v: Option<&Value>| -> BTreeMap<String, String> {
                v.and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            snapshot.model_redirects = map(routes.pointer("/redirects/models"));
            snapshot.dataset_redirects = map(routes.pointer("/redirects/datasets"));
            if let Some(errors) = routes.get("errors").and_then(Value::as_object) {
                for (key, e) in errors {
                    snapshot.errors.insert(
                        key.clone(),
                        RepoError {
                            status: e.get("status").and_then(Value::as_u64).unwrap_or(404) as u16,
                            code: e
                                .get("code")
                                .and_then(Value::as_str)
                                .unwrap_or("RepoNotFound")
                                .to_owned(),
                            message: e
                                .get("message")
                                .and_then(Value::as_str)
                                .unwrap_or("Repository not found")
                                .to_owned(),
                        },
                    );
                }
            }
        }
        Ok(snapshot)
    }

    /// The body of `/api/models-tags-by-type`, built from the models' tags.
    pub fn model_tags_by_type(&self) -> Value {
        tags_by_type(
            self.models.values().flat_map(|m| {
                let pipeline = m.get("pipeline_tag").and_then(Value::as_str);
                tags_of(m).into_iter().chain(pipeline)
            }),
            self.models
                .values()
                .filter_map(|m| m.get("library_name").and_then(Value::as_str))
                .collect(),
            false,
        )
    }

    /// The body of `/api/datasets-tags-by-type`, built from the datasets' tags.
    pub fn dataset_tags_by_type(&self) -> Value {
        tags_by_type(self.datasets.values().flat_map(tags_of), Vec::new(), true)
    }
}

fn tags_of(body: &Map<String, Value>) -> Vec<&str> {
    body.get("tags")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn language_label(code: &str) -> Option<&'static str> {
    Some(match code {
        "en" => "English",
        "de" => "German",
        "fr" => "French",
        "es" => "Spanish",
        "zh" => "Chinese",
        "zh-Hans" => "Chinese (Simplified)",
        "ja" => "Japanese",
        "ru" => "Russian",
        "multilingual" => "Multilingual",
        _ => return None,
    })
}

/// Type → list of `{id, label, type, subType?}`, as HUB-API §10 describes: pipeline tags
/// (labels and modality from the embedded pipeline types), libraries, licenses, languages,
/// datasets, regions, and for datasets the `task_categories`/`size_categories`/`format`/
/// `library` prefixes. `arxiv:`, `base_model:` and `doi:` tags are per repository, not
/// vocabulary, and are left out; other unprefixed tags are `other`.
fn tags_by_type<'a>(
    tags: impl Iterator<Item = &'a str>,
    libraries: Vec<&'a str>,
    datasets: bool,
) -> Value {
    let mut by_type: BTreeMap<&str, BTreeMap<String, Value>> = BTreeMap::new();
    let libraries: std::collections::BTreeSet<&str> = libraries.into_iter().collect();
    for tag in tags {
        let (tag_type, label, sub_type): (&str, String, Option<String>) =
            if let Some(t) = hf_client::tasks::pipeline_type(tag) {
                (
                    "pipeline_tag",
                    t.name.clone(),
                    Some(t.modality.as_str().to_owned()),
                )
            } else if libraries.contains(tag) {
                ("library", tag.to_owned(), None)
            } else if let Some((prefix, rest)) = tag.split_once(':') {
                match prefix {
                    "arxiv" | "base_model" | "doi" => continue,
                    "license" | "dataset" | "region" => (prefix, rest.to_owned(), None),
                    "language" => (
                        "language",
                        language_label(rest).unwrap_or(rest).to_owned(),
                        None,
                    ),
                    "task_categories" | "size_categories" | "format" | "library" | "task_ids"
                    | "modality" => (prefix, rest.to_owned(), None),
                    _ => ("other", tag.to_owned(), None),
                }
            } else if let (false, Some(label)) = (datasets, language_label(tag)) {
                ("language", label.to_owned(), None)
            } else {
                ("other", tag.to_owned(), None)
            };
        let label = match (tag_type, label.as_str()) {
            ("region", "us") => "🇺🇸 Region: US".to_owned(),
            _ => label,
        };
        let mut entry = json!({"id": tag, "label": label, "type": tag_type});
        if let Some(s) = sub_type {
            entry["subType"] = json!(s);
        }
        by_type
            .entry(tag_type)
            .or_default()
            .insert(tag.to_owned(), entry);
    }
    Value::Object(
        by_type
            .into_iter()
            .map(|(t, tags)| (t.to_owned(), Value::Array(tags.into_values().collect())))
            .collect(),
    )
}
