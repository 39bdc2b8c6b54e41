//! A small snapshot of the Hub served on loopback, so examples and demos run with no network.
//!
//! See `examples/offline-hub/README.md` for what it holds and answers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Where the bundled snapshot lives.
pub fn snapshot_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/offline-hub"))
}

/// The snapshot: model bodies by id, and cards by id.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// `GET /api/models/{id}` bodies, by id.
    pub models: BTreeMap<String, Map<String, Value>>,
    /// `README.md` texts, by model id.
    pub cards: BTreeMap<String, String>,
}

impl Snapshot {
    /// Load a snapshot folder (`models/*.json`, `cards/*.README.md`).
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let mut snapshot = Self::default();
        for entry in sorted_entries(&dir.join("models"))? {
            let text = std::fs::read_to_string(&entry)?;
            let body: Map<String, Value> = serde_json::from_str(&text).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: {e}", entry.display()),
                )
            })?;
            if let Some(id) = body.get("id").and_then(Value::as_str) {
                snapshot.models.insert(id.to_owned(), body);
            }
        }
        for entry in sorted_entries(&dir.join("cards"))? {
            let Some(name) = entry.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if let Some(stem) = name.strip_suffix(".README.md") {
                let text = std::fs::read_to_string(&entry)?;
                snapshot.cards.insert(stem.replace("__", "/"), text);
            }
        }
        Ok(snapshot)
    }

    /// The bundled snapshot.
    pub fn bundled() -> std::io::Result<Self> {
        Self::load(&snapshot_dir())
    }
}

fn sorted_entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    Ok(entries)
}

/// The offline Hub: a loopback server answering like the Hub from a [`Snapshot`].
pub struct OfflineHub {
    server: MockServer,
}

impl OfflineHub {
    /// Serve the bundled snapshot on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        Self::serve(Snapshot::bundled()?).await
    }

    /// Serve `snapshot` on a free loopback port.
    pub async fn serve(snapshot: Snapshot) -> std::io::Result<Self> {
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(HubResponder { snapshot })
            .mount(&server)
            .await;
        Ok(Self { server })
    }

    /// The base URL to use as `HF_ENDPOINT`.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The mock server itself, to mount extra answers (faults, redirects) over the snapshot's:
    /// mounts with a higher priority (a lower number than the default 5) win.
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// How many requests the server has answered.
    pub async fn request_count(&self) -> usize {
        self.server.received_requests().await.map_or(0, |r| r.len())
    }
}

/// Models per page when the request does not say (small, so pagination is exercised).
const DEFAULT_PAGE: usize = 10;

struct HubResponder {
    snapshot: Snapshot,
}

impl Respond for HubResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        let response = if path == "/api/models" {
            self.list(request)
        } else if let Some(rest) = path.strip_prefix("/api/resolve-cache/models/") {
            self.resolve_cache(rest)
        } else if let Some(id) = path.strip_prefix("/api/models/") {
            self.info(id, request)
        } else if let Some((id, file)) = path.trim_start_matches('/').split_once("/resolve/") {
            self.resolve(id, file)
        } else {
            not_found("RepoNotFound", "Not found")
        };
        response
            .insert_header("ratelimit", "\"api\";r=499;t=300")
            .insert_header("ratelimit-policy", "\"fixed window\";\"api\";q=500;w=300")
            .insert_header("x-request-id", "offline-hub")
    }
}

impl HubResponder {
    fn list(&self, request: &Request) -> ResponseTemplate {
        let query: Vec<(String, String)> = request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let get = |key: &str| {
            query
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let filters: Vec<&str> = query
            .iter()
            .filter(|(k, _)| k == "filter")
            .map(|(_, v)| v.as_str())
            .collect();
        let expand: Vec<&str> = query
            .iter()
            .filter(|(k, _)| k == "expand[]" || k == "expand")
            .map(|(_, v)| v.as_str())
            .collect();
        let mut models: Vec<&Map<String, Value>> = self
            .snapshot
            .models
            .values()
            .filter(|m| {
                let id = m.get("id").and_then(Value::as_str).unwrap_or_default();
                let tags: Vec<&str> = m
                    .get("tags")
                    .and_then(Value::as_array)
                    .map(|t| t.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                get("search").is_none_or(|s| id.to_lowercase().contains(&s.to_lowercase()))
                    && get("author").is_none_or(|a| id.split('/').next() == Some(a))
                    && filters.iter().all(|f| tags.contains(f))
                    && get("pipeline_tag")
                        .is_none_or(|p| m.get("pipeline_tag").and_then(Value::as_str) == Some(p))
            })
            .collect();
        if let Some(sort) = get("sort") {
            models.sort_by(|a, b| compare(b.get(sort), a.get(sort)));
            if get("direction") == Some("1") {
                models.reverse();
            }
        }
        let page: usize = get("limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(DEFAULT_PAGE)
            .clamp(1, 1000);
        let offset: usize = get("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
        let items: Vec<Value> = models
            .iter()
            .skip(offset)
            .take(page)
            .map(|m| Value::Object(list_item(m, &expand)))
            .collect();
        let mut response = ResponseTemplate::new(200).set_body_json(items);
        if offset + page < models.len() {
            let mut next = request.url.clone();
            // The Hub's next links are absolute: rebuild the origin from the Host header.
            if let Some(host) = request.headers.get("host").and_then(|h| h.to_str().ok())
                && let Ok(origin) = url::Url::parse(&format!("http://{host}/"))
            {
                let _ = next.set_host(origin.host_str());
                let _ = next.set_port(origin.port());
            }
            let kept: Vec<(String, String)> = query
                .iter()
                .filter(|(k, _)| k != "cursor")
                .cloned()
                .collect();
            next.query_pairs_mut()
                .clear()
                .extend_pairs(kept)
                .append_pair("cursor", &(offset + page).to_string());
            response = response.insert_header("link", format!("<{next}>; rel=\"next\"").as_str());
        }
        response
    }

    fn info(&self, id: &str, request: &Request) -> ResponseTemplate {
        let id = id.split("/revision/").next().unwrap_or(id);
        let Some(model) = self.snapshot.models.get(id) else {
            return not_found("RepoNotFound", "Repository not found");
        };
        let expand: Vec<String> = request
            .url
            .query_pairs()
            .filter(|(k, _)| k == "expand[]" || k == "expand")
            .map(|(_, v)| v.into_owned())
            .collect();
        let expand: Vec<&str> = expand.iter().map(String::as_str).collect();
        let body = if expand.is_empty() {
            model.clone()
        } else {
            select(model, &expand)
        };
        ResponseTemplate::new(200).set_body_json(Value::Object(body))
    }

    fn resolve(&self, id: &str, file: &str) -> ResponseTemplate {
        let Some(model) = self.snapshot.models.get(id) else {
            return not_found("RepoNotFound", "Repository not found");
        };
        let sha = model.get("sha").and_then(Value::as_str).unwrap_or("main");
        let name = file.split_once('/').map_or(file, |(_, name)| name);
        ResponseTemplate::new(307)
            .insert_header(
                "location",
                format!("/api/resolve-cache/models/{id}/{sha}/{name}").as_str(),
            )
            .set_body_string("Temporary Redirect.")
    }

    fn resolve_cache(&self, rest: &str) -> ResponseTemplate {
        // {owner}/{name}/{sha}/{file} or {name}/{sha}/{file}
        let parts: Vec<&str> = rest.split('/').collect();
        let (id, file) = match parts.as_slice() {
            [owner, name, _sha, file] => (format!("{owner}/{name}"), *file),
            [name, _sha, file] => ((*name).to_owned(), *file),
            _ => return not_found("EntryNotFound", "Entry not found"),
        };
        if !self.snapshot.models.contains_key(&id) {
            return not_found("RepoNotFound", "Repository not found");
        }
        match (file, self.snapshot.cards.get(&id)) {
            ("README.md", Some(card)) => ResponseTemplate::new(200)
                .insert_header("etag", format!("\"{:x}\"", card.len()).as_str())
                .set_body_raw(card.clone(), "text/plain; charset=utf-8"),
            _ => not_found("EntryNotFound", "Entry not found"),
        }
    }
}

fn not_found(code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(404)
        .insert_header("x-error-code", code)
        .insert_header("x-error-message", message)
        .set_body_json(serde_json::json!({ "error": message }))
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .unwrap_or_default()
            .total_cmp(&y.as_f64().unwrap_or_default()),
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        (Some(_), None) => std::cmp::Ordering::Greater,
        (None, Some(_)) => std::cmp::Ordering::Less,
        _ => std::cmp::Ordering::Equal,
    }
}

/// The fields a list item carries: `_id`, `id` and the expanded ones, or the Hub's default set.
fn list_item(model: &Map<String, Value>, expand: &[&str]) -> Map<String, Value> {
    const DEFAULT: &[&str] = &[
        "likes",
        "trendingScore",
        "private",
        "downloads",
        "tags",
        "pipeline_tag",
        "library_name",
        "createdAt",
        "modelId",
    ];
    select(model, if expand.is_empty() { DEFAULT } else { expand })
}

fn select(model: &Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    for key in ["_id", "id"].iter().chain(keys) {
        if let Some(value) = model.get(*key) {
            out.insert((*key).to_owned(), value.clone());
        }
    }
    out
}
