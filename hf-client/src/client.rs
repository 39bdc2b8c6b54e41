//! [`HfClient`] and its transport: concurrency bound, retries, rate limits, redirects, the token.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, LOCATION};
use reqwest::{Method, StatusCode};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use url::Url;

use crate::config::{ClientConfig, HfClientBuilder};
use crate::error::{Error, Result};
use crate::rate_limit::{Bucket, BucketStatus, RateLimiter};
use crate::response::HubResponse;
use crate::retry::{
    REFUSED_RETRIES, RetryConfig, is_refusal, is_retryable_status, is_retryable_transport,
    refused_backoff,
};

/// A client of the Hugging Face Hub (and of the arXiv and SPDX sources the extractor uses).
///
/// Cheap to clone: clones share the connection pool, the concurrency bound, the rate-limit state
/// and the request counters.
///
/// ```no_run
/// use futures::TryStreamExt;
/// use hf_client::{HfClient, models::Sort};
///
/// # async fn run() -> hf_client::Result<()> {
/// let client = HfClient::from_env()?;
/// let models: Vec<_> = client
///     .models()
///     .list()
///     .sort(Sort::LastModified)
///     .limit(10)
///     .stream()
///     .try_collect()
///     .await?;
/// for model in &models {
///     println!("{}", model.id);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HfClient {
    inner: Arc<Inner>,
    /// Counts the requests of this handle and its clones (see [`HfClient::counted`]).
    scope: Option<RequestCounter>,
}

/// A count of the HTTP requests sent through one [`HfClient::counted`] handle and its clones.
#[derive(Debug, Clone, Default)]
pub struct RequestCounter(Arc<AtomicU64>);

impl RequestCounter {
    /// Requests sent so far (every attempt and every redirect hop).
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

struct Inner {
    config: ClientConfig,
    http: reqwest::Client,
    in_flight: Semaphore,
    limiter: RateLimiter,
    stats: Stats,
    /// Which hosts have answered, and which were given up on (see [`Reach`]).
    reach: Reach,
    /// Spaces arXiv requests (shared by clones, like everything here).
    arxiv_pacer: crate::arxiv::Pacer,
}

impl std::fmt::Debug for HfClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HfClient")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// One request to send: method, URL, extra headers.
#[derive(Debug, Clone)]
pub struct HubRequest {
    /// `GET` or `HEAD`.
    pub method: Method,
    /// Where to send it.
    pub url: Url,
    /// Extra headers (e.g. `If-None-Match`). Never put the token here: the client adds it for
    /// the Hub's host only.
    pub headers: HeaderMap,
    /// A retry policy for this request instead of the client's (arXiv, for one, wants retries
    /// spaced by its own interval).
    pub retry: Option<RetryConfig>,
}

impl HubRequest {
    /// A `GET` of `url`.
    pub fn get(url: Url) -> Self {
        Self {
            method: Method::GET,
            url,
            headers: HeaderMap::new(),
            retry: None,
        }
    }

    /// Use this retry policy instead of the client's.
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Add a header.
    pub fn header(mut self, name: reqwest::header::HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }
}

/// Counts of what the client sent, for run manifests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestStats {
    /// HTTP requests sent (every attempt and every redirect hop), per host (`host:port`).
    pub requests_per_host: BTreeMap<String, u64>,
    /// HTTP requests sent to the Hub, per rate-limit bucket.
    pub requests_per_bucket: BTreeMap<Bucket, u64>,
    /// What the client knows of each Hub bucket (quota, remaining, 429s, pauses).
    pub buckets: BTreeMap<Bucket, BucketStatus>,
    /// Attempts repeated after a transient failure (429 waits included).
    pub retries: u64,
    /// Answers with status 429.
    pub rate_limited: u64,
    /// Redirects followed.
    pub redirects: u64,
}

impl RequestStats {
    /// All HTTP requests sent.
    pub fn total_requests(&self) -> u64 {
        self.requests_per_host.values().sum()
    }

    /// HTTP requests sent to the host (and port) of `url`.
    pub fn requests_to(&self, url: &Url) -> u64 {
        self.requests_per_host
            .get(&host_key(url))
            .copied()
            .unwrap_or(0)
    }

    /// What happened between `earlier` (a snapshot of the same client) and these counters:
    /// every count is the difference; what is known of each bucket (quota, remaining,
    /// window) is the latest.
    ///
    /// ```
    /// use hf_client::RequestStats;
    ///
    /// let mut earlier = RequestStats::default();
    /// earlier.requests_per_host.insert("huggingface.co:443".into(), 3);
    /// earlier.retries = 1;
    /// let mut now = earlier.clone();
    /// *now.requests_per_host.get_mut("huggingface.co:443").unwrap() += 2;
    /// now.requests_per_host.insert("export.arxiv.org:443".into(), 1);
    /// let run = now.since(&earlier);
    /// assert_eq!(run.total_requests(), 3);
    /// assert_eq!(run.retries, 0);
    /// ```
    pub fn since(&self, earlier: &RequestStats) -> RequestStats {
        fn minus<K: Ord + Clone>(
            now: &BTreeMap<K, u64>,
            then: &BTreeMap<K, u64>,
        ) -> BTreeMap<K, u64> {
            now.iter()
                .map(|(k, n)| {
                    (
                        k.clone(),
                        n.saturating_sub(then.get(k).copied().unwrap_or(0)),
                    )
                })
                .filter(|(_, n)| *n > 0)
                .collect()
        }
        let buckets = self
            .buckets
            .iter()
            .map(|(bucket, status)| {
                let then = earlier.buckets.get(bucket).cloned().unwrap_or_default();
                let status = BucketStatus {
                    rate_limited: status.rate_limited.saturating_sub(then.rate_limited),
                    pauses: status.pauses.saturating_sub(then.pauses),
                    held: status.held.saturating_sub(then.held),
                    ..status.clone()
                };
                (*bucket, status)
            })
            .collect();
        RequestStats {
            requests_per_host: minus(&self.requests_per_host, &earlier.requests_per_host),
            requests_per_bucket: minus(&self.requests_per_bucket, &earlier.requests_per_bucket),
            buckets,
            retries: self.retries.saturating_sub(earlier.retries),
            rate_limited: self.rate_limited.saturating_sub(earlier.rate_limited),
            redirects: self.redirects.saturating_sub(earlier.redirects),
        }
    }
}

#[derive(Default)]
struct Stats {
    per_host: Mutex<BTreeMap<String, u64>>,
    per_bucket: Mutex<BTreeMap<Bucket, u64>>,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    redirects: AtomicU64,
}

impl Stats {
    fn count(&self, url: &Url, bucket: Option<Bucket>) {
        let host = host_key(url);
        *lock(&self.per_host).entry(host).or_default() += 1;
        if let Some(bucket) = bucket {
            *lock(&self.per_bucket).entry(bucket).or_default() += 1;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn host_key(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => String::new(),
    }
}

/// Whether each host (`host:port`) has answered at all since the client was built: a host that
/// refuses every connection from the first request on is given up on after
/// [`REFUSED_RETRIES`] quick retries ([`Error::Unreachable`]), and later requests to it are
/// not retried until it answers; a host that has answered once is retried as usual forever
/// after. Shared by clones, like everything in the client.
#[derive(Default)]
struct Reach {
    hosts: Mutex<BTreeMap<String, HostReach>>,
    /// Woken when a host is given up on.
    gave_up: tokio::sync::Notify,
}

/// What is known of one host.
#[derive(Debug, Clone)]
enum HostReach {
    /// It answered (any status): refusals are transient from now on.
    Answered,
    /// It refused every connection and a request gave up on it: the URL it asked, with how
    /// many connections it tried.
    GaveUp(Url, usize),
}

impl HostReach {
    fn error(url: &Url, attempts: usize) -> Error {
        Error::Unreachable {
            origin: url.origin().ascii_serialization(),
            url: url.clone(),
            attempts,
        }
    }
}

impl Reach {
    fn answered(&self, url: &Url) {
        let key = host_key(url);
        let mut hosts = lock(&self.hosts);
        if !matches!(hosts.get(&key), Some(HostReach::Answered)) {
            hosts.insert(key, HostReach::Answered);
        }
    }

    fn state(&self, url: &Url) -> Option<HostReach> {
        lock(&self.hosts).get(&host_key(url)).cloned()
    }

    /// Give up on the host of `url` (unless it answered meanwhile) and wake who waits for it.
    fn give_up(&self, url: &Url, attempts: usize) -> Error {
        let mut hosts = lock(&self.hosts);
        let state = hosts
            .entry(host_key(url))
            .or_insert_with(|| HostReach::GaveUp(url.clone(), attempts));
        let answered = matches!(state, HostReach::Answered);
        drop(hosts);
        if !answered {
            self.gave_up.notify_waiters();
        }
        HostReach::error(url, attempts)
    }
}

/// What one attempt (with its redirect hops) ended in.
enum Attempt {
    Answer(HubResponse),
    Failed(Error),
}

impl HfClient {
    /// A builder with the documented defaults (reads no environment).
    pub fn builder() -> HfClientBuilder {
        HfClientBuilder::new()
    }

    /// A client configured from the environment (`HF_ENDPOINT`, `HF_TOKEN`, …): see
    /// [`HfClientBuilder::from_env`].
    pub fn from_env() -> Result<Self> {
        HfClientBuilder::from_env()?.build()
    }

    pub(crate) fn from_config(config: ClientConfig) -> Result<Self> {
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                in_flight: Semaphore::new(config.max_in_flight),
                arxiv_pacer: crate::arxiv::Pacer::new(config.arxiv_delay),
                config,
                http,
                limiter: RateLimiter::default(),
                stats: Stats::default(),
                reach: Reach::default(),
            }),
            scope: None,
        })
    }

    /// The pacer of arXiv requests: one at a time, [`ClientConfig::arxiv_delay`] apart.
    pub(crate) fn arxiv_pacer(&self) -> &crate::arxiv::Pacer {
        &self.inner.arxiv_pacer
    }

    /// A handle that shares everything with this client (connections, concurrency bound, rate
    /// limits, totals) and also counts its own requests — to tell what one of several concurrent
    /// jobs cost.
    ///
    /// ```
    /// let client = hf_client::HfClient::builder().build()?;
    /// let (listing, listing_requests) = client.counted();
    /// assert_eq!(listing_requests.get(), 0);
    /// # drop(listing);
    /// # Ok::<(), hf_client::Error>(())
    /// ```
    pub fn counted(&self) -> (HfClient, RequestCounter) {
        let counter = RequestCounter::default();
        let client = Self {
            inner: self.inner.clone(),
            scope: Some(counter.clone()),
        };
        (client, counter)
    }

    /// The validated configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The Hub's base URL (always ends with `/`).
    pub fn endpoint(&self) -> &Url {
        &self.inner.config.endpoint
    }

    /// What the client has sent so far.
    pub fn stats(&self) -> RequestStats {
        let s = &self.inner.stats;
        RequestStats {
            requests_per_host: lock(&s.per_host).clone(),
            requests_per_bucket: lock(&s.per_bucket).clone(),
            buckets: self.inner.limiter.snapshot(),
            retries: s.retries.load(Ordering::Relaxed),
            rate_limited: s.rate_limited.load(Ordering::Relaxed),
            redirects: s.redirects.load(Ordering::Relaxed),
        }
    }

    /// A URL on the Hub: the endpoint followed by `segments`, each percent-encoded as one path
    /// segment. A segment holding `/` (a repo id such as `google-bert/bert-base-uncased`) is split
    /// on it, so the slash stays a path separator.
    ///
    /// ```
    /// let client = hf_client::HfClient::builder().build()?;
    /// let url = client.hub_url(&["api", "models", "google-bert/bert-base-uncased"]);
    /// assert_eq!(url.as_str(), "https://huggingface.co/api/models/google-bert/bert-base-uncased");
    /// # Ok::<(), hf_client::Error>(())
    /// ```
    pub fn hub_url(&self, segments: &[&str]) -> Url {
        join_segments(self.endpoint(), segments)
    }

    /// True when `url` is on the Hub's own origin (scheme, host and port): the only place the
    /// token goes.
    pub fn is_hub_url(&self, url: &Url) -> bool {
        let hub = self.endpoint();
        url.scheme() == hub.scheme()
            && url.host_str() == hub.host_str()
            && url.port_or_known_default() == hub.port_or_known_default()
    }

    /// `GET url`, with retries, rate limits and redirects. See [`HfClient::send`].
    pub async fn get(&self, url: Url) -> Result<HubResponse> {
        self.send(HubRequest::get(url)).await
    }

    /// Send a request and read the whole answer.
    ///
    /// - Redirects are followed (up to [`ClientConfig::max_redirects`]); the answer keeps the URL
    ///   asked and the URL that answered. The token is attached only to requests to the Hub's
    ///   origin, so it never follows a redirect to another host.
    /// - Transient failures (HTTP 408, 429, 500, 502, 503, 504; connection errors, resets,
    ///   timeouts, bodies cut short) are retried per [`ClientConfig::retry`]. A 429 waits what the
    ///   server names; an exhausted quota (`RateLimit: ...;r=0`) pauses every request to that
    ///   bucket until the reset.
    /// - A refused connection to a host that has not answered once since the client was built
    ///   gets [`REFUSED_RETRIES`] quick retries (under a second), then the request ends in
    ///   [`Error::Unreachable`] and later requests to that host are not retried until it
    ///   answers: a server that is not running fails a job within seconds instead of looking
    ///   hung. Once the host has answered, refusals are retried like any transport error.
    /// - Requests are paced by the announced quota: never more in flight to a bucket than it has
    ///   left (see [`crate::rate_limit`]), so a long job waits for resets instead of meeting 429.
    /// - Any other status is returned as is: map it with
    ///   [`HubResponse::error_for_status`]. So is a retryable status once the retries are spent,
    ///   and a 429 that is an action limit (quota left, `r>0`).
    /// - `Err` means no usable answer: a transport error after the retries, or a bad redirect.
    pub async fn send(&self, request: HubRequest) -> Result<HubResponse> {
        let retry = request.retry.as_ref().unwrap_or(&self.inner.config.retry);
        let started = Instant::now();
        let deadline = started + retry.max_elapsed;
        let mut retries = 0usize;
        let mut rate_limit_waits = 0usize;
        loop {
            let outcome = self.attempt(&request).await;
            let wait = match &outcome {
                Attempt::Answer(resp) if resp.status == StatusCode::TOO_MANY_REQUESTS => {
                    self.inner
                        .stats
                        .rate_limited
                        .fetch_add(1, Ordering::Relaxed);
                    let states: Vec<_> =
                        crate::rate_limit::rate_limit_states(&resp.headers).collect();
                    let exhausted = crate::rate_limit::exhausted_reset(&resp.headers);
                    if exhausted.is_none() && !states.is_empty() {
                        // Quota left: an action limit. Retrying will not help.
                        tracing::warn!(url = %resp.url, "HTTP 429 with quota left: an action limit, not retried");
                        None
                    } else if rate_limit_waits >= retry.max_rate_limit_waits {
                        None
                    } else {
                        rate_limit_waits += 1;
                        match exhausted {
                            // The limiter already paused the bucket; waiting on it is the wait.
                            Some(_) => Some(Duration::ZERO),
                            None => {
                                let named = crate::rate_limit::retry_after(
                                    &resp.headers,
                                    jiff::Timestamp::now(),
                                );
                                let wait = named.map_or_else(
                                    || retry.backoff(rate_limit_waits - 1),
                                    |w| w + crate::rate_limit::RESET_MARGIN,
                                );
                                if let Some(bucket) = self.bucket_of(&resp.url) {
                                    self.inner.limiter.pause(bucket, wait);
                                    Some(Duration::ZERO)
                                } else {
                                    Some(wait)
                                }
                            }
                        }
                    }
                }
                Attempt::Answer(resp) if is_retryable_status(resp.status) => {
                    (retries < retry.max_retries).then(|| retry.backoff(retries))
                }
                Attempt::Answer(_) => None,
                Attempt::Failed(Error::Transport { source, url })
                    if is_refusal(source) && !self.has_answered(url) =>
                {
                    // Nothing has answered from this host yet: a couple of quick retries (none
                    // once a request gave up on it), then it is given up on.
                    let quick = retry.max_retries.min(REFUSED_RETRIES);
                    let wait = (retries < quick && !self.gave_up_on(url))
                        .then(|| refused_backoff(retry, retries));
                    if wait.is_none() {
                        return Err(self.inner.reach.give_up(url, retries + 1));
                    }
                    wait
                }
                Attempt::Failed(Error::Transport { source, .. })
                    if is_retryable_transport(source) =>
                {
                    (retries < retry.max_retries).then(|| retry.backoff(retries))
                }
                Attempt::Failed(_) => None,
            };
            let Some(wait) = wait else {
                return match outcome {
                    Attempt::Answer(resp) => Ok(resp),
                    Attempt::Failed(err) => Err(err),
                };
            };
            if Instant::now() + wait > deadline {
                tracing::warn!(url = %request.url, "retry budget of {:?} spent", retry.max_elapsed);
                return match outcome {
                    Attempt::Answer(resp) => Ok(resp),
                    Attempt::Failed(err) => Err(err),
                };
            }
            match &outcome {
                Attempt::Answer(resp) => {
                    if resp.status != StatusCode::TOO_MANY_REQUESTS {
                        retries += 1;
                    }
                    tracing::debug!(url = %resp.url, status = resp.status.as_u16(), wait_ms = wait.as_millis() as u64, "retrying");
                }
                Attempt::Failed(err) => {
                    retries += 1;
                    tracing::debug!(error = %err, wait_ms = wait.as_millis() as u64, "retrying");
                }
            }
            self.inner.stats.retries.fetch_add(1, Ordering::Relaxed);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
    }

    /// Whether the host of `url` has answered anything since the client was built.
    fn has_answered(&self, url: &Url) -> bool {
        matches!(self.inner.reach.state(url), Some(HostReach::Answered))
    }

    /// Whether a request gave up on the host of `url` (and it has not answered since).
    fn gave_up_on(&self, url: &Url) -> bool {
        matches!(self.inner.reach.state(url), Some(HostReach::GaveUp(..)))
    }

    /// Resolves when the client gives up on the host of `url` because it refused every
    /// connection from the first request on (see [`Error::Unreachable`]), with the error that
    /// request ended in; never, when the host answers. Meant to be raced against a job that
    /// should stop then instead of failing item after item:
    ///
    /// ```
    /// # async fn run() -> hf_client::Result<()> {
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let endpoint = format!("http://{}", listener.local_addr().unwrap());
    /// drop(listener); // nothing listens there any more
    /// let client = hf_client::HfClient::builder().with_endpoint(&endpoint).build()?;
    /// let url = client.hub_url(&["api", "models"]);
    /// // A job stopping at the give-up would race its work against this (`tokio::select!`).
    /// let (heard, asked) = tokio::join!(client.unreachable(&url), client.get(url.clone()));
    /// assert!(heard.is_unreachable());
    /// assert_eq!(asked.unwrap_err().to_string(), heard.to_string());
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
    /// ```
    pub async fn unreachable(&self, url: &Url) -> Error {
        let reach = &self.inner.reach;
        loop {
            // Registered before the state is read: a give-up in between is not missed.
            let woken = reach.gave_up.notified();
            if let Some(HostReach::GaveUp(asked, attempts)) = reach.state(url) {
                return HostReach::error(&asked, attempts);
            }
            woken.await;
        }
    }

    fn bucket_of(&self, url: &Url) -> Option<Bucket> {
        self.is_hub_url(url).then(|| {
            let base = self.endpoint().path().trim_end_matches('/');
            let path = url.path();
            Bucket::for_path(path.strip_prefix(base).unwrap_or(path))
        })
    }

    /// One attempt: the request and its redirect hops, each waiting for its bucket and holding
    /// one in-flight permit.
    async fn attempt(&self, request: &HubRequest) -> Attempt {
        let inner = &self.inner;
        let mut url = request.url.clone();
        let mut hops = 0usize;
        loop {
            let bucket = self.bucket_of(&url);
            // Admitted only while the quota left is not all in flight (see `rate_limit`).
            let admission = match bucket {
                Some(bucket) => Some(inner.limiter.admit(bucket).await),
                None => None,
            };
            let Ok(_permit) = inner.in_flight.acquire().await else {
                return Attempt::Failed(Error::Config("the client was shut down".into()));
            };
            if let Some(bucket) = bucket {
                // The pause may have started while this request queued for a permit.
                inner.limiter.wait(bucket).await;
            }
            let mut builder = inner
                .http
                .request(request.method.clone(), url.clone())
                .headers(request.headers.clone());
            if let Some(token) = &inner.config.token
                && bucket.is_some()
            {
                match HeaderValue::from_str(&format!("Bearer {}", token.expose())) {
                    Ok(mut value) => {
                        value.set_sensitive(true);
                        builder = builder.header(AUTHORIZATION, value);
                    }
                    Err(_) => {
                        return Attempt::Failed(Error::Config(
                            "the token cannot be sent in a header".into(),
                        ));
                    }
                }
            }
            inner.stats.count(&url, bucket);
            if let Some(scope) = &self.scope {
                scope.0.fetch_add(1, Ordering::Relaxed);
            }
            let response = match builder.send().await {
                Ok(r) => r,
                Err(source) => {
                    return Attempt::Failed(Error::Transport {
                        url,
                        source: source.without_url(),
                    });
                }
            };
            inner.reach.answered(&url);
            let status = response.status();
            let headers = response.headers().clone();
            if let Some(bucket) = bucket {
                inner
                    .limiter
                    .observe(bucket, &headers, status == StatusCode::TOO_MANY_REQUESTS);
            }
            // The answer is counted in what the headers said: the slot is free again.
            drop(admission);
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let Some(location) = headers.get(LOCATION).and_then(|v| v.to_str().ok()) else {
                    return Attempt::Failed(Error::Redirect {
                        url,
                        reason: format!("HTTP {status} without a Location header"),
                    });
                };
                let next = match url.join(location) {
                    Ok(next) => next,
                    Err(e) => {
                        return Attempt::Failed(Error::Redirect {
                            url,
                            reason: format!("unusable Location {location:?}: {e}"),
                        });
                    }
                };
                hops += 1;
                if hops > inner.config.max_redirects {
                    return Attempt::Failed(Error::Redirect {
                        url,
                        reason: format!("more than {} redirects", inner.config.max_redirects),
                    });
                }
                inner.stats.redirects.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(from = %url, to = %next, status = status.as_u16(), "following redirect");
                url = next;
                continue;
            }
            return match response.bytes().await {
                Ok(body) => Attempt::Answer(HubResponse {
                    requested_url: request.url.clone(),
                    url,
                    status,
                    headers,
                    body,
                }),
                Err(source) => Attempt::Failed(Error::Transport {
                    url,
                    source: source.without_url(),
                }),
            };
        }
    }
}

/// `base` followed by `segments`, each percent-encoded; segments holding `/` are split on it.
pub(crate) fn join_segments(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty();
        for segment in segments {
            path.extend(segment.split('/'));
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_urls_keep_repo_slashes_and_encode_the_rest() {
        let client = HfClient::builder()
            .with_endpoint("http://127.0.0.1:9/mirror")
            .build()
            .unwrap();
        let url = client.hub_url(&["api", "models", "org/name", "revision"]);
        assert_eq!(url.path(), "/mirror/api/models/org/name/revision");
        let url = client.hub_url(&["api", "models", "a b?#"]);
        assert_eq!(url.path(), "/mirror/api/models/a%20b%3F%23");
        assert!(client.is_hub_url(&url));
        assert!(!client.is_hub_url(&Url::parse("http://127.0.0.1:10/mirror").unwrap()));
        assert!(!client.is_hub_url(&Url::parse("https://127.0.0.1:9/").unwrap()));
    }
}
