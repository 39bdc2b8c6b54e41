//! The bundled offline Hub: a small snapshot of the Hugging Face Hub (and of the arXiv export
//! API) served on loopback by a real HTTP server (hyper), so the `hf-extract` CLI, the tests and
//! the benchmarks run with no network.
//!
//! The snapshot is compiled in ([`Snapshot::bundled`]): a binary installed with
//! `cargo install` serves it from any folder. See `examples/offline-hub/README.md` for what it
//! holds and answers.

mod answer;
mod arxiv;
mod faulty_proxy;
mod files;
pub mod generate;
mod server;
mod snapshot;
pub mod stand_ins;
mod synthetic;
pub mod varied;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use server::HubServer;

pub use answer::Answer;
pub use arxiv::{ArxivFeeds, well_formed as arxiv_id_well_formed};
pub use faulty_proxy::FaultyProxy;
pub use files::bundled_model_ids;
pub use server::HubRequest;
pub use snapshot::{Recorded, RepoError, Snapshot, snapshot_dir};
pub use synthetic::{SyntheticHub, Variety};

/// Opt-in faults: every `every`-th request (counted over all requests, from 1) answers
/// HTTP 503 with `Retry-After: 0` instead of its normal answer. Deterministic by request count.
///
/// With [`FaultPlan::with_quota`], each rate-limit bucket also has a tight fixed window: its
/// `RateLimit` header counts the window's requests down to `r=0`, and a request beyond the quota
/// answers 429 with the seconds left in the window, as the Hub does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultPlan {
    /// Fault every n-th request (0 or 1: no faults… 1 would fault them all, so it is refused).
    pub every: usize,
    /// Requests per window and bucket, if the quota is to be enforced.
    pub quota: Option<(usize, std::time::Duration)>,
    /// Every answer waits this long (a Hub far away).
    pub latency: Option<std::time::Duration>,
}

impl FaultPlan {
    /// Fault every `n`-th request; `n < 2` means no faults.
    pub fn every(n: usize) -> Self {
        Self {
            every: n,
            quota: None,
            latency: None,
        }
    }

    /// Delay every answer by `latency`.
    pub fn with_latency(mut self, latency: std::time::Duration) -> Self {
        self.latency = Some(latency);
        self
    }

    /// Enforce `quota` requests per `window` in each bucket.
    pub fn with_quota(mut self, quota: usize, window: std::time::Duration) -> Self {
        self.quota = Some((quota.max(1), window));
        self
    }

    fn faults(&self, request_number: usize) -> bool {
        self.every >= 2 && request_number.is_multiple_of(self.every)
    }
}

/// The offline Hub: a loopback server answering like the Hub from a [`Snapshot`].
pub struct OfflineHub {
    server: HubServer,
    counters: Arc<Counters>,
    /// Every request received, in order (a snapshot Hub's; a synthetic Hub only counts).
    log: Option<Arc<Mutex<Vec<HubRequest>>>>,
    overrides: Arc<Mutex<Vec<Override>>>,
}

/// An answer given instead of the snapshot's to the requests its matcher accepts.
struct Override {
    matches: Box<dyn Fn(&HubRequest) -> bool + Send + Sync>,
    answer: Answer,
}

impl OfflineHub {
    /// Serve the bundled snapshot on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        Self::serve(Snapshot::bundled()?).await
    }

    /// Serve `snapshot` on a free loopback port.
    pub async fn serve(snapshot: Snapshot) -> std::io::Result<Self> {
        Self::serve_with_faults(snapshot, None).await
    }

    /// Serve `snapshot`, with the faults of `faults` if given. Every request is kept
    /// ([`OfflineHub::received_requests`]).
    pub async fn serve_with_faults(
        snapshot: Snapshot,
        faults: Option<FaultPlan>,
    ) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let responder = HubResponder::new(snapshot, faults, None);
        Self::start_server(listener, responder, true)
    }

    /// Serve `snapshot` plus the synthetic models of `synthetic` (a benchmark Hub), on a free
    /// loopback port. Requests are counted (see [`OfflineHub::requests_by_route`]), not
    /// recorded, so a long run does not grow the server's memory.
    ///
    /// The listing (`/api/models`) serves the synthetic models only, newest first, whatever its
    /// `sort`, `search` or `filter`; model info and cards answer for synthetic and snapshot
    /// models alike. Answers are built on two threads and each is sent
    /// [`SyntheticHub::latency`] after its request arrived, so a benchmark's client sees the
    /// latency it injected and not the server's own work.
    pub async fn serve_synthetic(
        snapshot: Snapshot,
        synthetic: SyntheticHub,
    ) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        Self::serve_synthetic_on(listener, snapshot, synthetic).await
    }

    /// [`OfflineHub::serve_synthetic`] on a listener of your choice (a fixed port).
    pub async fn serve_synthetic_on(
        listener: std::net::TcpListener,
        snapshot: Snapshot,
        synthetic: SyntheticHub,
    ) -> std::io::Result<Self> {
        // Without a quota of its own, a plan big enough for any benchmark — still counted
        // honestly, so `r` only goes down within a window, as the Hub's does.
        let (quota, window) = synthetic.quota.unwrap_or(SyntheticHub::UNLIMITED);
        let faults = Some(FaultPlan::every(0).with_quota(quota, window));
        let responder = HubResponder::new(snapshot, faults, Some(synthetic));
        Self::start_server(listener, responder, false)
    }

    /// Serve `responder` on `listener`, keeping every request if `log`; answers given over
    /// the snapshot's ([`OfflineHub::answer_over`]) come first.
    fn start_server(
        listener: std::net::TcpListener,
        responder: HubResponder,
        log: bool,
    ) -> std::io::Result<Self> {
        let counters = responder.counters.clone();
        let latency = responder.latency();
        let log: Option<Arc<Mutex<Vec<HubRequest>>>> = log.then(Arc::default);
        let overrides: Arc<Mutex<Vec<Override>>> = Arc::default();
        let (kept, over) = (log.clone(), Arc::clone(&overrides));
        let server = HubServer::start(
            listener,
            latency,
            Arc::new(move |request: &HubRequest| {
                if let Some(log) = &kept {
                    lock(log).push(request.clone());
                }
                let answer = lock(&over)
                    .iter()
                    .find(|o| (o.matches)(request))
                    .map(|o| o.answer.clone());
                answer.unwrap_or_else(|| responder.answer(request))
            }),
        )?;
        Ok(Self {
            server,
            counters,
            log,
            overrides,
        })
    }

    /// The base URL to use as `HF_ENDPOINT` (and as the arXiv endpoint: `/api/query` is served
    /// here too).
    pub fn uri(&self) -> String {
        self.server.uri().to_owned()
    }

    /// Answer the requests `matches` accepts with `answer` instead of the snapshot's — a fault,
    /// a redirect, a repository the snapshot does not have. The answer is sent as given: not
    /// counted by route, no rate-limit headers, no fault of the [`FaultPlan`] (the request is
    /// kept all the same). The first answer given over a request wins.
    pub fn answer_over(
        &self,
        matches: impl Fn(&HubRequest) -> bool + Send + Sync + 'static,
        answer: Answer,
    ) {
        lock(&self.overrides).push(Override {
            matches: Box::new(matches),
            answer,
        });
    }

    /// Every request received so far, in the order they arrived; `None` for a synthetic Hub,
    /// which only counts them ([`OfflineHub::requests_by_route`]).
    pub fn received_requests(&self) -> Option<Vec<HubRequest>> {
        self.log.as_ref().map(|log| lock(log).clone())
    }

    /// How many requests the server has answered (those answered over the snapshot's
    /// included, unless requests are only counted, as on a synthetic Hub).
    pub fn request_count(&self) -> usize {
        match &self.log {
            Some(log) => lock(log).len(),
            None => self.counters.all.load(Ordering::SeqCst),
        }
    }

    /// Requests the Hub's answers were made for, by method and route (`GET list`,
    /// `HEAD resolve`, `GET resolve-cache`, `GET info`, …). Also served as JSON at
    /// `GET /_mock/requests` (not counted), for scripts.
    pub fn requests_by_route(&self) -> BTreeMap<String, usize> {
        self.counters.by_route()
    }
}

/// `mutex`'s guard, even if a thread panicked holding it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The route name a request is counted under.
fn route_name(path: &str) -> &'static str {
    if path == "/api/models" {
        "list"
    } else if path.starts_with("/api/resolve-cache/") {
        "resolve-cache"
    } else if path.contains("/resolve/") {
        "resolve"
    } else if path.starts_with("/api/models/") {
        "info"
    } else if path.starts_with("/api/datasets/") {
        if path.ends_with("/croissant") {
            "croissant"
        } else {
            "dataset"
        }
    } else if path == "/api/query" {
        "arxiv"
    } else if path.starts_with("/api/papers/") {
        "paper"
    } else {
        "other"
    }
}

/// Models per page when the request does not say (small, so pagination is exercised).
const DEFAULT_PAGE: usize = 10;

/// Keys the Hub serves only when asked with `expand[]`.
const EXPAND_ONLY: &[&str] = &[
    "baseModels",
    "childrenModelCount",
    "downloadsAllTime",
    "trendingScore",
];

/// Requests so far: all, and per rate-limit bucket; the enforced windows.
#[derive(Debug, Default)]
struct Counters {
    all: AtomicUsize,
    api: AtomicUsize,
    resolvers: AtomicUsize,
    /// Per bucket: when its current window started and how many requests it has had.
    windows:
        std::sync::Mutex<std::collections::BTreeMap<&'static str, (std::time::Instant, usize)>>,
    /// Requests by method and route.
    routes: std::sync::Mutex<BTreeMap<String, usize>>,
}

impl Counters {
    fn count_route(&self, method: &str, path: &str) {
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        *routes
            .entry(format!("{method} {}", route_name(path)))
            .or_default() += 1;
    }

    fn by_route(&self) -> BTreeMap<String, usize> {
        self.routes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Count a request in `bucket`'s enforced window: (requests left after it, seconds until
    /// the window resets, whether it is over the quota).
    fn take(
        &self,
        bucket: &'static str,
        quota: usize,
        window: std::time::Duration,
    ) -> (usize, u64, bool) {
        let now = std::time::Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let entry = windows.entry(bucket).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        let left = window.saturating_sub(now.duration_since(entry.0));
        let reset = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        (quota.saturating_sub(entry.1), reset.max(1), entry.1 > quota)
    }
}

struct HubResponder {
    snapshot: Snapshot,
    model_tags: Value,
    dataset_tags: Value,
    faults: Option<FaultPlan>,
    synthetic: Option<SyntheticHub>,
    counters: Arc<Counters>,
}

impl HubResponder {
    fn new(snapshot: Snapshot, faults: Option<FaultPlan>, synthetic: Option<SyntheticHub>) -> Self {
        Self {
            model_tags: snapshot.model_tags_by_type(),
            dataset_tags: snapshot.dataset_tags_by_type(),
            snapshot,
            faults,
            synthetic,
            counters: Arc::default(),
        }
    }

    /// The time every answer waits.
    fn latency(&self) -> std::time::Duration {
        self.faults
            .and_then(|f| f.latency)
            .or(self.synthetic.map(|s| s.latency))
            .unwrap_or_default()
    }

    /// The answer to `request`, counted, with its rate-limit headers (sent after
    /// [`HubResponder::latency`]).
    fn answer(&self, request: &HubRequest) -> Answer {
        let path = request.url.path();
        if path == "/_mock/requests" {
            let by_route = self.counters.by_route();
            return Answer::new(200).set_body_json(serde_json::json!({
                "total": self.counters.all.load(Ordering::SeqCst),
                "by_route": by_route,
            }));
        }
        let number = self.counters.all.fetch_add(1, Ordering::SeqCst) + 1;
        self.counters.count_route(request.method.as_str(), path);
        // The resolvers bucket: any URL with `/resolve/`, and the resolve cache it redirects to.
        let (bucket, quota, counter) =
            if path.contains("/resolve/") || path.starts_with("/api/resolve-cache/") {
                ("resolvers", 3000, &self.counters.resolvers)
            } else {
                ("api", 500, &self.counters.api)
            };
        let used = counter.fetch_add(1, Ordering::SeqCst);
        // Never 0: a client waits for the window's reset when nothing remains.
        let mut remaining = quota - 1 - used % (quota - 1);
        let mut reset = 300;
        let mut over_quota = false;
        let mut policy = (quota, 300);
        if let Some((tight, window)) = self.faults.and_then(|f| f.quota) {
            (remaining, reset, over_quota) = self.counters.take(bucket, tight, window);
            // The policy announces the enforced quota and window, in whole seconds.
            let seconds = window.as_secs() + u64::from(window.subsec_nanos() > 0);
            policy = (tight, seconds.max(1) as usize);
        }
        let response = if over_quota {
            Answer::new(429).set_body_json(
                serde_json::json!({"error": "You have exceeded the rate limit (offline Hub quota)"}),
            )
        } else if self.faults.is_some_and(|f| f.faults(number)) {
            Answer::new(503)
                .insert_header("retry-after", "0")
                .set_body_json(
                    serde_json::json!({"error": "Service Unavailable (offline Hub fault)"}),
                )
        } else {
            self.route(path, request)
        };
        let (policy_quota, policy_window) = policy;
        response
            .insert_header(
                "ratelimit",
                format!("\"{bucket}\";r={remaining};t={reset}").as_str(),
            )
            .insert_header(
                "ratelimit-policy",
                format!("\"fixed window\";\"{bucket}\";q={policy_quota};w={policy_window}")
                    .as_str(),
            )
            .insert_header("x-request-id", format!("offline-hub-{number}").as_str())
    }

    /// A model info body, from the synthetic models or the snapshot.
    fn model(&self, id: &str) -> Option<Cow<'_, Map<String, Value>>> {
        if let Some(n) = self.synthetic.and_then(|s| s.number(id)) {
            return self.synthetic.map(|s| Cow::Owned(s.body(n)));
        }
        self.snapshot.models.get(id).map(Cow::Borrowed)
    }

    /// A model's card: `None` for an unknown model, `Some(None)` for a model without one.
    fn card(&self, id: &str) -> Option<Option<Cow<'_, str>>> {
        if let Some(synthetic) = self.synthetic
            && let Some(n) = synthetic.number(id)
        {
            return Some(synthetic.card(n).map(Cow::Owned));
        }
        self.snapshot.models.get(id)?;
        Some(
            self.snapshot
                .cards
                .get(id)
                .map(|c| Cow::Borrowed(c.as_str())),
        )
    }

    fn route(&self, path: &str, request: &HubRequest) -> Answer {
        if path == "/api/models" {
            self.list(request)
        } else if path == "/api/models-tags-by-type" {
            Answer::new(200).set_body_json(&self.model_tags)
        } else if path == "/api/datasets-tags-by-type" {
            Answer::new(200).set_body_json(&self.dataset_tags)
        } else if path == "/api/tasks" {
            match &self.snapshot.tasks {
                Some(tasks) => Answer::new(200).set_body_json(tasks),
                None => not_found("EntryNotFound", "Not found"),
            }
        } else if path == "/api/query" {
            self.arxiv(request)
        } else if let Some(id) = path.strip_prefix("/api/papers/") {
            match self.snapshot.papers.get(id) {
                Some(paper) => Answer::new(200).set_body_json(paper),
                None => not_found("EntryNotFound", "Paper not found"),
            }
        } else if let Some(rest) = path.strip_prefix("/api/datasets/") {
            self.dataset(rest, request)
        } else if let Some(rest) = path.strip_prefix("/api/resolve-cache/models/") {
            self.resolve_cache(rest, request)
        } else if let Some(id) = path.strip_prefix("/api/models/") {
            self.info(id, request)
        } else if let Some((id, file)) = path.trim_start_matches('/').split_once("/resolve/") {
            self.resolve(id, file)
        } else {
            not_found("RepoNotFound", "Not found")
        }
    }

    fn arxiv(&self, request: &HubRequest) -> Answer {
        let get = |key: &str| {
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.into_owned())
        };
        let ids = get("id_list").unwrap_or_default();
        let max = get("max_results")
            .and_then(|m| m.parse().ok())
            .unwrap_or(10);
        let (status, feed) = self.snapshot.arxiv.answer_with(&ids, max, |id| {
            self.synthetic.and_then(|s| s.paper_entry(id))
        });
        Answer::new(status).set_body_raw(feed, "application/atom+xml; charset=UTF-8")
    }

    /// The configured error of a repository (`models/{id}`, `datasets/{id}`), if any.
    fn error(&self, kind: &str, id: &str) -> Option<Answer> {
        let e = self.snapshot.errors.get(&format!("{kind}/{id}"))?;
        Some(
            Answer::new(e.status)
                .insert_header("x-error-code", e.code.as_str())
                .insert_header("x-error-message", e.message.as_str())
                .set_body_json(serde_json::json!({ "error": e.message })),
        )
    }

    fn dataset(&self, rest: &str, request: &HubRequest) -> Answer {
        let (rest, croissant) = match rest.strip_suffix("/croissant") {
            Some(r) => (r, true),
            None => (rest, false),
        };
        let (id, revision) = match rest.split_once("/revision/") {
            Some((id, rev)) => (id, Some(rev)),
            None => (rest, None),
        };
        if let Some(e) = self.error("datasets", id) {
            return e;
        }
        if let Some(canonical) = self.snapshot.dataset_redirects.get(id) {
            let mut to = format!("/api/datasets/{canonical}");
            if let Some(rev) = revision {
                to = format!("{to}/revision/{rev}");
            }
            if croissant {
                to.push_str("/croissant");
            }
            return redirect(to, request);
        }
        let Some(body) = self.snapshot.datasets.get(id) else {
            // A dataset a varied synthetic model cites, made on the fly.
            let made = self.synthetic.and_then(|s| {
                if croissant {
                    s.croissant(id)
                        .map(|doc| Answer::new(200).set_body_json(doc))
                } else {
                    let body = s.dataset_info(id)?;
                    Some(Answer::new(200).set_body_json(Value::Object(unexpanded(&body, request))))
                }
            });
            return made.unwrap_or_else(|| not_found("RepoNotFound", "Repository not found"));
        };
        if croissant {
            return match self.snapshot.croissant.get(id) {
                Some(c) => Answer::new(200).set_body_json(c),
                None => not_found(
                    "EntryNotFound",
                    "No Croissant: the dataset has no Parquet conversion",
                ),
            };
        }
        Answer::new(200).set_body_json(Value::Object(unexpanded(body, request)))
    }

    fn list(&self, request: &HubRequest) -> Answer {
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
        let full = get("full").is_some_and(|f| f.eq_ignore_ascii_case("true"));
        let page: usize = get("limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(DEFAULT_PAGE)
            .clamp(1, 1000);
        let offset: usize = get("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
        if let Some(synthetic) = self.synthetic {
            let items: Vec<Value> = (offset..synthetic.models.min(offset + page))
                .map(|n| Value::Object(list_item(&synthetic.body(n), &expand, full)))
                .collect();
            return with_next_link(
                Answer::new(200).set_body_json(items),
                request,
                &query,
                offset + page,
                synthetic.models,
            );
        }
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
        let items: Vec<Value> = models
            .iter()
            .skip(offset)
            .take(page)
            .map(|m| Value::Object(list_item(m, &expand, full)))
            .collect();
        with_next_link(
            Answer::new(200).set_body_json(items),
            request,
            &query,
            offset + page,
            models.len(),
        )
    }

    fn info(&self, rest: &str, request: &HubRequest) -> Answer {
        let (id, revision) = match rest.split_once("/revision/") {
            Some((id, rev)) => (id, Some(rev)),
            None => (rest, None),
        };
        if let Some(e) = self.error("models", id) {
            return e;
        }
        if let Some(canonical) = self.snapshot.model_redirects.get(id) {
            let to = match revision {
                Some(rev) => format!("/api/models/{canonical}/revision/{rev}"),
                None => format!("/api/models/{canonical}"),
            };
            return redirect(to, request);
        }
        let Some(model) = self.model(id) else {
            return not_found("RepoNotFound", "Repository not found");
        };
        Answer::new(200).set_body_json(Value::Object(unexpanded(&model, request)))
    }

    fn resolve(&self, id: &str, file: &str) -> Answer {
        if let Some(e) = self.error("models", id) {
            return e;
        }
        if let Some(canonical) = self.snapshot.model_redirects.get(id) {
            return Answer::new(307)
                .insert_header("location", format!("/{canonical}/resolve/{file}").as_str())
                .set_body_string("Temporary Redirect.");
        }
        let Some(model) = self.model(id) else {
            return not_found("RepoNotFound", "Repository not found");
        };
        let sha = model.get("sha").and_then(Value::as_str).unwrap_or("main");
        let name = file.split_once('/').map_or(file, |(_, name)| name);
        // Like the Hub: the commit and the file's ETag already on the redirect.
        let mut response = Answer::new(307)
            .insert_header(
                "location",
                format!("/api/resolve-cache/models/{id}/{sha}/{name}").as_str(),
            )
            .insert_header("x-repo-commit", sha)
            .set_body_string("Temporary Redirect.");
        if let (Some(Some(card)), "README.md") = (self.card(id), name) {
            response = response.insert_header("x-linked-etag", card_etag(&card).as_str());
        }
        response
    }

    fn resolve_cache(&self, rest: &str, request: &HubRequest) -> Answer {
        // {owner}/{name}/{sha}/{file} or {name}/{sha}/{file}
        let parts: Vec<&str> = rest.split('/').collect();
        let (id, sha, file) = match parts.as_slice() {
            [owner, name, sha, file] => (format!("{owner}/{name}"), *sha, *file),
            [name, sha, file] => ((*name).to_owned(), *sha, *file),
            _ => return not_found("EntryNotFound", "Entry not found"),
        };
        if let Some(e) = self.error("models", &id) {
            return e;
        }
        let Some(card) = self.card(&id) else {
            return not_found("RepoNotFound", "Repository not found");
        };
        match (file, card) {
            ("README.md", Some(card)) => {
                let etag = card_etag(&card);
                // An unchanged card asked with its ETag: 304, no body.
                let unchanged = request
                    .headers
                    .get("if-none-match")
                    .is_some_and(|v| v.as_bytes() == etag.as_bytes());
                let answer = if unchanged {
                    Answer::new(304)
                } else {
                    Answer::new(200).set_body_raw(card.into_owned(), "text/plain; charset=utf-8")
                };
                answer
                    .insert_header("etag", etag.as_str())
                    .insert_header("x-repo-commit", sha)
            }
            _ => not_found("EntryNotFound", "Entry not found"),
        }
    }
}

/// A card's `ETag`: a hash of its text, quoted, as the Hub's (a git blob id) changes with it.
fn card_etag(card: &str) -> String {
    format!("\"{}\"", generate::hex(card, 40))
}

/// `response` with a `Link: <…>; rel="next"` to the page at `next` when `total` goes beyond it.
/// The link is absolute, like the Hub's, and keeps every parameter but the cursor.
fn with_next_link(
    response: Answer,
    request: &HubRequest,
    query: &[(String, String)],
    next_offset: usize,
    total: usize,
) -> Answer {
    if next_offset >= total {
        return response;
    }
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
        .append_pair("cursor", &next_offset.to_string());
    response.insert_header("link", format!("<{next}>; rel=\"next\"").as_str())
}

/// A 307 to `to` (a path), keeping the query, as the Hub answers a renamed repository.
fn redirect(to: String, request: &HubRequest) -> Answer {
    let location = match request.url.query() {
        Some(q) => format!("{to}?{q}"),
        None => to,
    };
    Answer::new(307)
        .insert_header("location", location.as_str())
        .set_body_raw(
            format!("Temporary Redirect. Redirecting to {location}"),
            "text/plain; charset=utf-8",
        )
}

/// The body of an info answer: the expanded keys if `expand[]` was given, else everything
/// but the expand-only keys.
fn unexpanded(body: &Map<String, Value>, request: &HubRequest) -> Map<String, Value> {
    let expand: Vec<String> = request
        .url
        .query_pairs()
        .filter(|(k, _)| k == "expand[]" || k == "expand")
        .map(|(_, v)| v.into_owned())
        .collect();
    if expand.is_empty() {
        let mut body = body.clone();
        for key in EXPAND_ONLY {
            body.remove(*key);
        }
        body
    } else {
        let expand: Vec<&str> = expand.iter().map(String::as_str).collect();
        select(body, &expand)
    }
}

fn not_found(code: &str, message: &str) -> Answer {
    Answer::new(404)
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

/// The fields a list item carries: `_id`, `id` and the expanded ones; with `full=true` every
/// key but `cardData` and the expand-only ones; else the Hub's default set.
fn list_item(model: &Map<String, Value>, expand: &[&str], full: bool) -> Map<String, Value> {
    if full && expand.is_empty() {
        let mut item = model.clone();
        for key in EXPAND_ONLY.iter().chain(&["cardData"]) {
            item.remove(*key);
        }
        return item;
    }
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
