//! The snapshot folder, loaded into memory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::arxiv::ArxivFeeds;

/// Where the bundled snapshot lives.
pub fn snapshot_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/offline-hub"))
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

pub(crate) fn invalid(path: &Path, e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("{}: {e}", path.display()),
    )
}

fn read_json(path: &Path) -> std::io::Result<Value> {
    let text = std::fs::read_to_string(path)?;
    serde_json::from_str(&text).map_err(|e| invalid(path, e))
}

/// Files of `dir` with this suffix, sorted, with their stem; nothing when `dir` is absent.
fn files(dir: &Path, suffix: &str) -> std::io::Result<Vec<(PathBuf, String)>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    Ok(sorted_entries(dir)?
        .into_iter()
        .filter_map(|p| {
            let stem = p.file_name()?.to_str()?.strip_suffix(suffix)?.to_owned();
            Some((p, stem))
        })
        .collect())
}

fn repo_bodies(
    paths: impl IntoIterator<Item = PathBuf>,
) -> std::io::Result<BTreeMap<String, Map<String, Value>>> {
    let mut out = BTreeMap::new();
    for path in paths {
        let Value::Object(body) = read_json(&path)? else {
            return Err(invalid(&path, "not a JSON object"));
        };
        if let Some(id) = body.get("id").and_then(Value::as_str) {
            out.insert(id.to_owned(), body);
        }
    }
    Ok(out)
}

/// Card texts by model id, from files named `<id with __ for />.README.md`.
fn read_cards(
    paths: impl IntoIterator<Item = PathBuf>,
) -> std::io::Result<BTreeMap<String, String>> {
    let mut cards = BTreeMap::new();
    for path in paths {
        let id = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".README.md"))
            .ok_or_else(|| invalid(&path, "not <id>.README.md"))?
            .replace("__", "/");
        cards.insert(id, std::fs::read_to_string(&path)?);
    }
    Ok(cards)
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
    pub(crate) arxiv: Vec<PathBuf>,
    papers: Vec<PathBuf>,
    tasks: Option<PathBuf>,
}

impl Recorded {
    /// The `recorded.json` of a snapshot folder, its paths made absolute; nothing when the
    /// folder has none.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let path = dir.join("recorded.json");
        if !path.is_file() {
            return Ok(Self::default());
        }
        let mut recorded: Self =
            serde_json::from_value(read_json(&path)?).map_err(|e| invalid(&path, e))?;
        let root = dir.join(&recorded.samples);
        let absolute = |paths: &mut Vec<PathBuf>| {
            for p in paths.iter_mut() {
                *p = root.join(&*p);
            }
        };
        absolute(&mut recorded.models);
        absolute(&mut recorded.cards);
        absolute(&mut recorded.arxiv);
        absolute(&mut recorded.papers);
        for p in recorded.croissant.values_mut() {
            *p = root.join(&*p);
        }
        recorded.tasks = recorded.tasks.map(|t| root.join(t));
        Ok(recorded)
    }

    /// The recorded model bodies, by id.
    pub fn models(&self) -> std::io::Result<BTreeMap<String, Map<String, Value>>> {
        repo_bodies(self.models.iter().cloned())
    }

    /// The recorded cards' texts, by model id.
    pub fn cards(&self) -> std::io::Result<BTreeMap<String, String>> {
        read_cards(self.cards.iter().cloned())
    }

    /// The recorded Croissant documents, by dataset id.
    pub fn croissant(&self) -> std::io::Result<BTreeMap<String, Value>> {
        self.croissant
            .iter()
            .map(|(id, path)| Ok((id.clone(), read_json(path)?)))
            .collect()
    }
}

impl Snapshot {
    /// Load a snapshot folder: its own `models/*.json`, `cards/*.README.md`, `datasets/*.json`,
    /// `croissant/*.json`, `papers/*.json`, `tasks/TASKS_DATA.json`, `arxiv/*.xml` and
    /// `routes.json`, plus the recorded answers its `recorded.json` lists ([`Recorded`]).
    /// Every part may be absent.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let recorded = Recorded::load(dir)?;
        let own = |folder: &str, suffix: &str| -> std::io::Result<Vec<PathBuf>> {
            Ok(files(&dir.join(folder), suffix)?
                .into_iter()
                .map(|(path, _)| path)
                .collect())
        };
        let mut snapshot = Self {
            models: repo_bodies(
                recorded
                    .models
                    .iter()
                    .cloned()
                    .chain(own("models", ".json")?),
            )?,
            datasets: repo_bodies(own("datasets", ".json")?)?,
            arxiv: ArxivFeeds::load(recorded.arxiv.iter().cloned().chain(own("arxiv", ".xml")?))?,
            croissant: recorded.croissant()?,
            ..Self::default()
        };
        snapshot.cards = read_cards(
            recorded
                .cards
                .iter()
                .cloned()
                .chain(own("cards", ".README.md")?),
        )?;
        for (path, stem) in files(&dir.join("croissant"), ".json")? {
            snapshot
                .croissant
                .insert(stem.replace("__", "/"), read_json(&path)?);
        }
        for path in recorded
            .papers
            .iter()
            .cloned()
            .chain(own("papers", ".json")?)
        {
            // A daily-papers item wraps the paper: serve the paper itself.
            let mut value = read_json(&path)?;
            if let Some(paper) = value.get_mut("paper").map(Value::take) {
                value = paper;
            }
            if let Some(id) = value.get("id").and_then(Value::as_str) {
                snapshot.papers.insert(id.to_owned(), value);
            }
        }
        let tasks = dir.join("tasks").join("TASKS_DATA.json");
        if let Some(tasks) = recorded.tasks.or_else(|| tasks.is_file().then_some(tasks)) {
            snapshot.tasks = Some(read_json(&tasks)?);
        }
        let routes = dir.join("routes.json");
        if routes.is_file() {
            let routes = read_json(&routes)?;
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

    /// The bundled snapshot.
    pub fn bundled() -> std::io::Result<Self> {
        Self::load(&snapshot_dir())
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

/// The entries of `dir`, sorted by path.
pub(crate) fn sorted_entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    Ok(entries)
}
