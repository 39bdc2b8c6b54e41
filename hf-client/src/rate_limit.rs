//! The Hub's rate limits, as it announces them.
//!
//! Every Hub answer may carry (`draft-ietf-httpapi-ratelimit-headers`, `HUB-API.md` §8):
//!
//! ```text
//! RateLimit: "api";r=<remaining>;t=<seconds until reset>
//! RateLimit-Policy: "fixed window";"api";q=<quota>;w=<window seconds>
//! ```
//!
//! for three buckets: `api` (API endpoints), `resolvers` (file downloads through `/resolve/`),
//! `pages` (web pages). The parsers here take any text and never panic.
//!
//! ## Pacing
//!
//! The client spends the announced quota without running into 429:
//!
//! - **Never more requests out than the quota left.** A request is admitted to a bucket only
//!   while the last announced remaining quota `r` is larger than the bucket's requests already
//!   admitted and not yet answered (they may not be counted in `r` yet). Otherwise it waits for
//!   an answer (which may free a slot) or for the window's reset. So the quota is spent at full
//!   speed — every allowed request in flight — and the request that would have been the first
//!   429 waits instead.
//! - **One shared pause.** When an answer says a bucket has nothing left (`r=0`), every request
//!   to that bucket waits for the reset (`t`, plus [`RESET_MARGIN`]) together, instead of each
//!   finding out with its own 429. At the reset the bucket starts again with the announced quota
//!   (`RateLimit-Policy`'s `q`).
//! - Within a window, `r` only goes down: an answer that arrives late with a larger `r` does not
//!   raise it. An answer whose reset is later than the known one (by more than the second `t`
//!   is rounded to) starts a new window. A job that needs three times a bucket's quota thus takes about three windows
//!   (two waits for a reset, and the time to send the last third), with no 429 unless someone
//!   else spends the same quota.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

/// A rate-limit bucket of the Hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Bucket {
    /// Hub API endpoints (`/api/...`).
    Api,
    /// File downloads (`/{repo}/resolve/...` and the `/api/resolve-cache/...` they redirect to).
    Resolvers,
    /// Web pages (anything else on the Hub's host).
    Pages,
}

impl Bucket {
    /// The bucket's name as the Hub spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Resolvers => "resolvers",
            Self::Pages => "pages",
        }
    }

    /// The bucket of a name as the Hub spells it.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "api" => Some(Self::Api),
            "resolvers" => Some(Self::Resolvers),
            "pages" => Some(Self::Pages),
            _ => None,
        }
    }

    /// The bucket a request path on the Hub's host counts against.
    ///
    /// `/api/resolve-cache/...` is where `/resolve/` redirects file downloads to; it is counted as
    /// a resolver.
    pub fn for_path(path: &str) -> Self {
        if path.contains("/resolve/") || path.starts_with("/api/resolve-cache/") {
            Self::Resolvers
        } else if path.starts_with("/api/") || path == "/api" {
            Self::Api
        } else {
            Self::Pages
        }
    }
}

impl std::fmt::Display for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One item of a `RateLimit` header: what is left of a bucket's quota and when it resets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitState {
    /// The bucket's name (`api`, `resolvers`, `pages`, or what the server sent).
    pub bucket: String,
    /// Requests left in the current window (`r`).
    pub remaining: u64,
    /// Time until the window resets (`t`).
    pub reset: Duration,
}

/// One item of a `RateLimit-Policy` header: a bucket's quota per window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitPolicy {
    /// The bucket's name.
    pub bucket: String,
    /// Requests per window (`q`).
    pub quota: u64,
    /// The window (`w`).
    pub window: Duration,
}

/// One `"name";key=value;...` item: its quoted names and its parameters.
struct Item<'a> {
    names: Vec<&'a str>,
    params: Vec<(&'a str, &'a str)>,
}

impl Item<'_> {
    fn param(&self, key: &str) -> Option<u64> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .and_then(|(_, v)| v.trim_matches('"').parse().ok())
    }

    /// The bucket named by the item: the last name that is a Hub bucket, else the last name.
    fn bucket(&self) -> Option<&str> {
        self.names
            .iter()
            .rev()
            .find(|n| Bucket::from_name(n).is_some())
            .or(self.names.last())
            .copied()
    }
}

/// Split a structured-field list into items. Commas inside quotes do not split.
fn items(value: &str) -> Vec<Item<'_>> {
    let mut out = Vec::new();
    for raw in split_outside_quotes(value, ',') {
        let mut item = Item {
            names: Vec::new(),
            params: Vec::new(),
        };
        for part in split_outside_quotes(raw, ';') {
            let part = part.trim();
            if let Some(name) = part.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
                item.names.push(name);
            } else if let Some((k, v)) = part.split_once('=') {
                item.params.push((k.trim(), v.trim()));
            } else if !part.is_empty() {
                item.names.push(part);
            }
        }
        out.push(item);
    }
    out
}

fn split_outside_quotes(value: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    for (i, c) in value.char_indices() {
        if c == '"' {
            in_quotes = !in_quotes;
        } else if c == sep && !in_quotes {
            parts.push(&value[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&value[start..]);
    parts
}

/// Parse a `RateLimit` header value. Items without a name, `r` or `t` are skipped.
///
/// ```
/// use std::time::Duration;
/// use hf_client::rate_limit::parse_rate_limit;
///
/// let items = parse_rate_limit(r#""api";r=0;t=55"#);
/// assert_eq!(items[0].bucket, "api");
/// assert_eq!(items[0].remaining, 0);
/// assert_eq!(items[0].reset, Duration::from_secs(55));
/// ```
pub fn parse_rate_limit(value: &str) -> Vec<RateLimitState> {
    items(value)
        .iter()
        .filter_map(|item| {
            Some(RateLimitState {
                bucket: item.bucket()?.to_owned(),
                remaining: item.param("r")?,
                reset: Duration::from_secs(item.param("t")?),
            })
        })
        .collect()
}

/// Parse a `RateLimit-Policy` header value. Items without a name, `q` or `w` are skipped.
///
/// ```
/// use std::time::Duration;
/// use hf_client::rate_limit::parse_rate_limit_policy;
///
/// let items = parse_rate_limit_policy(r#""fixed window";"api";q=500;w=300"#);
/// assert_eq!(items[0].bucket, "api");
/// assert_eq!(items[0].quota, 500);
/// assert_eq!(items[0].window, Duration::from_secs(300));
/// ```
pub fn parse_rate_limit_policy(value: &str) -> Vec<RateLimitPolicy> {
    items(value)
        .iter()
        .filter_map(|item| {
            Some(RateLimitPolicy {
                bucket: item.bucket()?.to_owned(),
                quota: item.param("q")?,
                window: Duration::from_secs(item.param("w")?),
            })
        })
        .collect()
}

/// Parse a `Retry-After` value: delay-seconds, or an HTTP-date (a date in the past is zero).
///
/// ```
/// use std::time::Duration;
/// use hf_client::rate_limit::parse_retry_after;
///
/// let now = "2015-10-21T07:28:00Z".parse().unwrap();
/// assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now), Some(Duration::from_secs(30)));
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let secs = when.as_second().saturating_sub(now.as_second());
    Some(Duration::from_secs(secs.max(0).unsigned_abs()))
}

/// The wait a 429 answer names: `RateLimit`'s `t` when a bucket is exhausted (`r=0`), else
/// `Retry-After`.
pub fn retry_after(headers: &HeaderMap, now: jiff::Timestamp) -> Option<Duration> {
    exhausted_reset(headers).or_else(|| {
        headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, now))
    })
}

/// The longest reset among the buckets a `RateLimit` header says are exhausted.
pub(crate) fn exhausted_reset(headers: &HeaderMap) -> Option<Duration> {
    rate_limit_states(headers)
        .filter(|s| s.remaining == 0)
        .map(|s| s.reset)
        .max()
}

/// Every `RateLimit` item of every `RateLimit` header.
pub(crate) fn rate_limit_states(headers: &HeaderMap) -> impl Iterator<Item = RateLimitState> + '_ {
    headers
        .get_all("ratelimit")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(parse_rate_limit)
}

/// A margin added to every server-named wait: the reset is rounded to whole seconds, and arriving
/// a little late beats a second 429 (the Hub's own client waits `t + 1`).
pub const RESET_MARGIN: Duration = Duration::from_secs(1);

/// What the client knows of one bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketStatus {
    /// Requests left in the window, as last announced.
    pub remaining: Option<u64>,
    /// Quota per window, as last announced.
    pub quota: Option<u64>,
    /// The window, as last announced.
    pub window: Option<Duration>,
    /// How many answers were 429.
    pub rate_limited: u64,
    /// How many shared pauses were started because the quota ran out.
    pub pauses: u64,
    /// How many requests were held back because the quota left was all in flight.
    pub held: u64,
}

#[derive(Debug, Default)]
struct BucketState {
    status: BucketStatus,
    paused_until: Option<Instant>,
    /// When the current window resets, as last announced.
    reset_at: Option<Instant>,
    /// Requests admitted and not answered yet.
    in_flight: u64,
}

impl BucketState {
    /// Forget the remaining quota of a window that is over: the next window starts with the
    /// announced quota (or unknown, if none was announced).
    fn roll_window(&mut self, now: Instant) {
        if self.reset_at.is_some_and(|at| now >= at + RESET_MARGIN) {
            self.reset_at = None;
            self.status.remaining = self.status.quota;
        }
    }

    /// Whether one more request fits in what is left of the quota. With nothing in flight and
    /// no reset to wait for, one request goes anyway, to learn the quota afresh.
    fn has_room(&self) -> bool {
        self.status.remaining.is_none_or(|r| r > self.in_flight)
            || (self.in_flight == 0 && self.reset_at.is_none())
    }
}

/// Pacing and shared pauses per bucket, fed by the headers of every answer.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    buckets: Mutex<BTreeMap<Bucket, BucketState>>,
    /// Wakes requests held back when an answer frees a slot.
    answered: tokio::sync::Notify,
}

/// A request admitted to a bucket: counted in flight until it is dropped (once its answer was
/// observed, or it failed).
#[derive(Debug)]
pub(crate) struct Admission<'l> {
    limiter: &'l RateLimiter,
    bucket: Bucket,
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        self.limiter.with(|buckets| {
            if let Some(state) = buckets.get_mut(&self.bucket) {
                state.in_flight = state.in_flight.saturating_sub(1);
            }
        });
        self.limiter.answered.notify_waiters();
    }
}

impl RateLimiter {
    fn with<R>(&self, f: impl FnOnce(&mut BTreeMap<Bucket, BucketState>) -> R) -> R {
        let mut guard = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// Wait until the bucket has room for one more request, and count it in flight (see the
    /// module's "Pacing").
    pub(crate) async fn admit(&self, bucket: Bucket) -> Admission<'_> {
        let mut held = false;
        loop {
            self.wait(bucket).await;
            // Listen before looking, so an answer between the look and the wait is not missed.
            let answered = self.answered.notified();
            let mut answered = std::pin::pin!(answered);
            answered.as_mut().enable();
            let now = Instant::now();
            let reset = self.with(|buckets| {
                let state = buckets.entry(bucket).or_default();
                state.roll_window(now);
                if state.has_room() {
                    state.in_flight += 1;
                    None
                } else {
                    if !held {
                        state.status.held += 1;
                    }
                    Some(state.reset_at.map(|at| at + RESET_MARGIN))
                }
            });
            let Some(reset) = reset else {
                return Admission {
                    limiter: self,
                    bucket,
                };
            };
            if !held {
                tracing::debug!(bucket = %bucket, "the quota left is all in flight; holding a request");
                held = true;
            }
            match reset {
                Some(at) => {
                    tokio::select! {
                        () = answered => {}
                        () = tokio::time::sleep_until(at) => {}
                    }
                }
                None => answered.await,
            }
        }
    }

    /// Wait while the bucket is paused. Every waiter wakes at the same reset instant.
    pub(crate) async fn wait(&self, bucket: Bucket) {
        loop {
            let until = self.with(|b| b.get(&bucket).and_then(|s| s.paused_until));
            match until {
                Some(until) if until > Instant::now() => {
                    tracing::debug!(bucket = %bucket, wait_ms = (until - Instant::now()).as_millis() as u64, "waiting for the rate-limit reset");
                    tokio::time::sleep_until(until).await;
                }
                _ => return,
            }
        }
    }

    /// Learn from an answer's headers. Returns the pause started, if the quota ran out.
    pub(crate) fn observe(
        &self,
        bucket: Bucket,
        headers: &HeaderMap,
        is_429: bool,
    ) -> Option<Duration> {
        let now = Instant::now();
        let states: Vec<_> = rate_limit_states(headers).collect();
        let policies: Vec<_> = headers
            .get_all("ratelimit-policy")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(parse_rate_limit_policy)
            .collect();
        self.with(|buckets| {
            let mut paused = None;
            for policy in &policies {
                let b = Bucket::from_name(&policy.bucket).unwrap_or(bucket);
                let status = &mut buckets.entry(b).or_default().status;
                status.quota = Some(policy.quota);
                status.window = Some(policy.window);
            }
            for state in &states {
                let b = Bucket::from_name(&state.bucket).unwrap_or(bucket);
                let entry = buckets.entry(b).or_default();
                // Within a window the quota only goes down: a late answer does not raise it.
                // A reset later than the known one (beyond the rounding of `t`) is a new window.
                let reset_at = now + state.reset;
                match (entry.status.remaining, entry.reset_at) {
                    (Some(known), Some(at)) if reset_at <= at + RESET_MARGIN => {
                        entry.status.remaining = Some(known.min(state.remaining));
                    }
                    _ => {
                        entry.status.remaining = Some(state.remaining);
                        entry.reset_at = Some(reset_at);
                    }
                }
                if state.remaining == 0 {
                    let wait = state.reset + RESET_MARGIN;
                    let until = now + wait;
                    if entry.paused_until.is_none_or(|u| u < until) {
                        if entry.paused_until.is_none_or(|u| u <= now) {
                            entry.status.pauses += 1;
                            tracing::info!(bucket = %b, wait_s = wait.as_secs(), "rate-limit quota exhausted; pausing the bucket");
                        }
                        entry.paused_until = Some(until);
                    }
                    paused = Some(paused.map_or(wait, |p: Duration| p.max(wait)));
                }
            }
            if is_429 {
                buckets.entry(bucket).or_default().status.rate_limited += 1;
            }
            paused
        })
    }

    /// Pause a bucket for `wait` (a 429 that named its wait only through `Retry-After`).
    pub(crate) fn pause(&self, bucket: Bucket, wait: Duration) {
        let until = Instant::now() + wait;
        self.with(|buckets| {
            let entry = buckets.entry(bucket).or_default();
            if entry.paused_until.is_none_or(|u| u < until) {
                entry.paused_until = Some(until);
                entry.status.pauses += 1;
            }
        });
    }

    /// What is known of every bucket seen so far.
    pub(crate) fn snapshot(&self) -> BTreeMap<Bucket, BucketStatus> {
        self.with(|b| b.iter().map(|(k, v)| (*k, v.status.clone())).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn rate_limit_header_forms() {
        type Expected<'a> = Option<(&'a str, u64, u64)>;
        let cases: &[(&str, Expected)] = &[
            (r#""api";r=0;t=55"#, Some(("api", 0, 55))),
            (
                r#""resolvers";r=2999;t=300"#,
                Some(("resolvers", 2999, 300)),
            ),
            (r#""api"; r = 10 ; t = 3"#, Some(("api", 10, 3))),
            (r#"api;r=1;t=2"#, Some(("api", 1, 2))),
            (r#""api";t=5;r=4"#, Some(("api", 4, 5))),
            (r#""api";r=-1;t=5"#, None),
            (r#""api";r=1"#, None),
            ("", None),
        ];
        for (input, expected) in cases {
            let got = parse_rate_limit(input);
            let got = got
                .first()
                .map(|s| (s.bucket.as_str(), s.remaining, s.reset.as_secs()));
            assert_eq!(got, *expected, "{input}");
        }
        let many = parse_rate_limit(r#""api";r=5;t=10, "pages";r=0;t=20"#);
        assert_eq!(many.len(), 2);
        assert_eq!(many[1].bucket, "pages");
    }

    #[test]
    fn policy_header_forms() {
        let p = parse_rate_limit_policy(r#""fixed window";"resolvers";q=3000;w=300"#);
        assert_eq!(p[0].bucket, "resolvers");
        assert_eq!(p[0].quota, 3000);
        let p = parse_rate_limit_policy(r#""burst";q=100;w=60"#);
        assert_eq!(p[0].bucket, "burst");
        assert!(parse_rate_limit_policy(r#""api";q=1"#).is_empty());
    }

    #[test]
    fn buckets_by_path() {
        assert_eq!(Bucket::for_path("/api/models"), Bucket::Api);
        assert_eq!(Bucket::for_path("/api/models/a/b"), Bucket::Api);
        assert_eq!(
            Bucket::for_path("/a/b/resolve/main/README.md"),
            Bucket::Resolvers
        );
        assert_eq!(
            Bucket::for_path("/api/resolve-cache/models/a/b/0123/README.md"),
            Bucket::Resolvers
        );
        assert_eq!(Bucket::for_path("/papers/2106.09685"), Bucket::Pages);
    }

    #[test]
    fn retry_after_prefers_an_exhausted_bucket() {
        let now = jiff::Timestamp::UNIX_EPOCH;
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        h.insert("ratelimit", HeaderValue::from_static(r#""api";r=0;t=2"#));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(2)));
        h.insert("ratelimit", HeaderValue::from_static(r#""api";r=3;t=2"#));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after(
                "Thu, 01 Jan 1970 00:00:00 GMT",
                jiff::Timestamp::from_second(10).unwrap()
            ),
            Some(Duration::ZERO)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_exhausted_bucket_pauses_every_waiter_once() {
        let limiter = std::sync::Arc::new(RateLimiter::default());
        let mut h = HeaderMap::new();
        h.insert("ratelimit", HeaderValue::from_static(r#""api";r=0;t=2"#));
        h.insert(
            "ratelimit-policy",
            HeaderValue::from_static(r#""fixed window";"api";q=500;w=300"#),
        );
        let paused = limiter.observe(Bucket::Api, &h, false);
        assert_eq!(paused, Some(Duration::from_secs(3)));
        let start = Instant::now();
        let waiters: Vec<_> = (0..5)
            .map(|_| {
                let l = limiter.clone();
                tokio::spawn(async move {
                    l.wait(Bucket::Api).await;
                    Instant::now()
                })
            })
            .collect();
        for w in waiters {
            let woke = w.await.unwrap();
            assert_eq!(woke - start, Duration::from_secs(3));
        }
        // Another bucket is not paused.
        let before = Instant::now();
        limiter.wait(Bucket::Resolvers).await;
        assert_eq!(Instant::now(), before);
        let snap = limiter.snapshot();
        assert_eq!(snap[&Bucket::Api].pauses, 1);
        assert_eq!(snap[&Bucket::Api].quota, Some(500));
    }

    #[tokio::test(start_paused = true)]
    async fn requests_are_held_while_the_quota_left_is_in_flight() {
        let limiter = RateLimiter::default();
        let headers = |r: &str| {
            let mut h = HeaderMap::new();
            h.insert(
                "ratelimit",
                HeaderValue::from_str(&format!(r#""api";r={r};t=10"#)).unwrap(),
            );
            h.insert(
                "ratelimit-policy",
                HeaderValue::from_static(r#""fixed window";"api";q=5;w=10"#),
            );
            h
        };
        let second = Duration::from_secs(1);
        // Unknown quota: admitted at once.
        drop(limiter.admit(Bucket::Api).await);
        limiter.observe(Bucket::Api, &headers("2"), false);
        let first = limiter.admit(Bucket::Api).await;
        let _second = limiter.admit(Bucket::Api).await;
        assert!(
            tokio::time::timeout(second, limiter.admit(Bucket::Api))
                .await
                .is_err(),
            "2 left, 2 out"
        );
        // A late answer with more left does not raise the window's quota.
        limiter.observe(Bucket::Api, &headers("4"), false);
        assert!(
            tokio::time::timeout(second, limiter.admit(Bucket::Api))
                .await
                .is_err()
        );
        // An answer frees a slot, and wakes the held request.
        let third = limiter.admit(Bucket::Api);
        let mut third = std::pin::pin!(third);
        assert!(tokio::time::timeout(second, third.as_mut()).await.is_err());
        drop(first);
        let _third = tokio::time::timeout(second, third)
            .await
            .expect("admitted once a slot was freed");
        // At the reset (plus the margin) the window starts again with the policy's quota.
        let start = Instant::now();
        let _fourth = limiter.admit(Bucket::Api).await;
        assert!(Instant::now() - start >= Duration::from_secs(7));
        assert_eq!(limiter.snapshot()[&Bucket::Api].remaining, Some(5));
        assert!(limiter.snapshot()[&Bucket::Api].held >= 3);
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in ".*") {
            let _ = parse_rate_limit(&s);
            let _ = parse_rate_limit_policy(&s);
            let _ = parse_retry_after(&s, jiff::Timestamp::UNIX_EPOCH);
        }

        #[test]
        fn parsers_never_panic_on_header_like_text(s in r#"[";=,a-z0-9 \-]{0,64}"#) {
            let _ = parse_rate_limit(&s);
            let _ = parse_rate_limit_policy(&s);
        }
    }
}
