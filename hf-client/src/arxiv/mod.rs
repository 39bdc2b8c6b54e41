//! arXiv: paper metadata from the export API (`GET {arxiv_endpoint}api/query?id_list=…`).
//!
//! - Ids are validated locally first ([`ArxivId`]); an invalid id is reported without asking.
//! - Ids are asked in batches of up to [`DEFAULT_BATCH_SIZE`], with `max_results` = the batch
//!   size (the API's default is 10).
//! - arXiv's terms of use allow one request every 3 s on one connection: every request goes
//!   through the client's [`Pacer`] ([`ClientConfig::arxiv_delay`](crate::ClientConfig::arxiv_delay),
//!   `HF_ARXIV_DELAY_MS`), shared by all clones of the [`HfClient`]. Build one client per process.
//! - A malformed id makes arXiv answer HTTP 400 with an Atom error entry
//!   (`incorrect id format for abc`) and no papers at all. The batch is then split so one bad id
//!   does not lose the others: when the error names an id of the batch, that id is reported as
//!   [`ArxivError::Rejected`] and the rest is asked again in one request; when it names none, the
//!   batch is bisected.
//! - arXiv silently drops ids it does not know from its answer: they are reported as
//!   [`ArxivError::NotFound`].
//! - The token is never sent to arXiv (the transport attaches it to the Hub's origin only).
//! - A failed request (5xx, reset) is retried inside its paced slot with the client's retry
//!   policy, its waits raised to at least the arXiv interval, so retries keep the spacing too.

mod atom;
mod ids;
mod pacer;

pub use atom::{
    ArxivAuthor, ArxivFeed, ArxivLink, ArxivPaper, AtomError, FeedError, normalize_whitespace,
    parse_feed,
};
pub use ids::{ArxivId, InvalidArxivId};
pub use pacer::Pacer;

use std::collections::{BTreeMap, VecDeque};
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;

use reqwest::StatusCode;
use url::Url;

use crate::client::HfClient;
use crate::error::{Error, ResourceKind};
use crate::response::{HubResponse, excerpt};

/// How many ids one request asks for by default (arxiv.py's page size).
pub const DEFAULT_BATCH_SIZE: usize = 100;
/// The most ids one request may ask for (the API serves at most 2000 results per call).
pub const MAX_BATCH_SIZE: usize = 2000;

/// Requests to the arXiv export API. Get one with [`HfClient::arxiv`].
#[derive(Debug, Clone, Copy)]
pub struct ArxivHandler<'c> {
    client: &'c HfClient,
}

impl HfClient {
    /// Requests to the arXiv export API (not the Hub; the token is never sent there).
    pub fn arxiv(&self) -> ArxivHandler<'_> {
        ArxivHandler { client: self }
    }
}

impl<'c> ArxivHandler<'c> {
    /// Metadata of papers by arXiv id: `GET {arxiv_endpoint}api/query?id_list=…&max_results=…`.
    /// See [`FetchPapers`].
    pub fn fetch<I, S>(&self, ids: I) -> FetchPapers<'c>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        FetchPapers {
            client: self.client,
            ids: ids.into_iter().map(|s| s.as_ref().to_owned()).collect(),
            batch_size: DEFAULT_BATCH_SIZE,
        }
    }

    /// The query URL for these ids (as given, comma-joined), with `max_results` = their number.
    ///
    /// ```
    /// let client = hf_client::HfClient::builder().build()?;
    /// let url = client.arxiv().query_url(&["1706.03762", "hep-th/9901001v2"]);
    /// assert_eq!(
    ///     url.as_str(),
    ///     "https://export.arxiv.org/api/query?id_list=1706.03762%2Chep-th%2F9901001v2&max_results=2"
    /// );
    /// # Ok::<(), hf_client::Error>(())
    /// ```
    pub fn query_url(&self, ids: &[&str]) -> Url {
        let mut url =
            crate::client::join_segments(&self.client.config().arxiv_endpoint, &["api", "query"]);
        url.query_pairs_mut()
            .append_pair("id_list", &ids.join(","))
            .append_pair("max_results", &ids.len().to_string());
        url
    }
}

/// Why one id has no paper.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ArxivError {
    /// The id is not a valid arXiv id; nothing was asked.
    #[error(transparent)]
    InvalidId(#[from] InvalidArxivId),
    /// arXiv rejected the id (HTTP 400 with an Atom error entry naming it).
    #[error("arXiv rejected {id}: {message}")]
    Rejected {
        /// The id as asked.
        id: String,
        /// arXiv's message (`incorrect id format for …`).
        message: String,
    },
    /// arXiv answered, but without this paper (it does not know the id or the version).
    #[error("arXiv has no paper {id}")]
    NotFound {
        /// The id as asked.
        id: String,
    },
    /// The request carrying this id failed (after the transport's retries), or its answer could
    /// not be read. Shared by every id of that request.
    #[error("the arXiv request for {id} failed: {source}")]
    Failed {
        /// The id as asked.
        id: String,
        /// The error of the request.
        #[source]
        source: Arc<Error>,
    },
}

impl ArxivError {
    /// True for [`ArxivError::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}

/// What [`FetchPapers`] found: one result per distinct asked id.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ArxivResults {
    /// Per id, as asked after normalisation (trimmed, without `arXiv:` prefix, version kept:
    /// `2104.12255v1`); an invalid id is keyed by its trimmed text. The paper's own
    /// [`ArxivPaper::id`] has no version, and [`ArxivPaper::version`] says which one it is.
    pub results: BTreeMap<String, Result<ArxivPaper, ArxivError>>,
    /// HTTP requests this fetch sent to arXiv (batches, re-asks after a split, and retries).
    pub requests: u64,
}

impl ArxivResults {
    /// The result for an id, in any form it could be asked in (`arXiv:1706.03762`).
    pub fn get(&self, id: &str) -> Option<&Result<ArxivPaper, ArxivError>> {
        self.results.get(&Self::key(id))
    }

    /// The result for an id (in any form, as [`get`](Self::get)), taken out: asked again, in
    /// this form or another, it is `None`.
    ///
    /// ```
    /// # use hf_client::arxiv::ArxivResults;
    /// let mut results = ArxivResults::default();
    /// assert!(results.take("arXiv:1706.03762").is_none());
    /// ```
    pub fn take(&mut self, id: &str) -> Option<Result<ArxivPaper, ArxivError>> {
        self.results.remove(&Self::key(id))
    }

    /// The key of `id` in [`results`](Self::results).
    pub fn key(id: &str) -> String {
        ArxivId::parse(id).map_or_else(|_| id.trim().to_owned(), |i| i.to_string())
    }

    /// The papers found.
    pub fn papers(&self) -> impl Iterator<Item = &ArxivPaper> {
        self.results.values().filter_map(|r| r.as_ref().ok())
    }

    /// The ids arXiv answered without a paper.
    pub fn not_found(&self) -> impl Iterator<Item = &str> {
        self.results.iter().filter_map(|(id, r)| match r {
            Err(ArxivError::NotFound { .. }) => Some(id.as_str()),
            _ => None,
        })
    }

    /// Every id without a paper, with the reason (not-found included).
    pub fn errors(&self) -> impl Iterator<Item = (&str, &ArxivError)> {
        self.results
            .iter()
            .filter_map(|(id, r)| r.as_ref().err().map(|e| (id.as_str(), e)))
    }

    /// How many distinct ids were asked.
    pub fn len(&self) -> usize {
        self.results.len()
    }

    /// True when no id was asked.
    pub fn is_empty(&self) -> bool {
        self.results.is_empty()
    }
}

/// Fetch arXiv papers by id: `GET {arxiv_endpoint}api/query?id_list=a,b,c&max_results=3`.
///
/// Await it directly or call [`send`](Self::send). It never fails as a whole: every distinct
/// asked id gets a result in [`ArxivResults::results`].
///
/// ```no_run
/// # async fn run() -> hf_client::Result<()> {
/// let client = hf_client::HfClient::from_env()?;
/// let found = client.arxiv().fetch(["1706.03762", "hep-th/9901001", "abc"]).await;
/// for paper in found.papers() {
///     println!("{} v{:?}: {}", paper.id, paper.version, paper.title);
/// }
/// for (id, why) in found.errors() {
///     println!("{id}: {why}");
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until sent"]
pub struct FetchPapers<'c> {
    client: &'c HfClient,
    ids: Vec<String>,
    batch_size: usize,
}

type Batch = Vec<(String, ArxivId)>;

/// What one request said about a batch.
enum BatchAnswer {
    Papers(Vec<ArxivPaper>),
    /// HTTP 400 (or an error entry): the ids arXiv named, and its message.
    Rejected {
        bad_ids: Vec<String>,
        message: String,
    },
}

impl<'c> FetchPapers<'c> {
    /// Ids per request (default [`DEFAULT_BATCH_SIZE`], clamped to 1..=[`MAX_BATCH_SIZE`]).
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n.clamp(1, MAX_BATCH_SIZE);
        self
    }

    /// Send the requests, one at a time through the client's arXiv pacer.
    pub async fn send(self) -> ArxivResults {
        let mut out = ArxivResults::default();
        let mut valid: Batch = Vec::new();
        for raw in &self.ids {
            match ArxivId::parse(raw) {
                Ok(id) => {
                    let key = id.to_string();
                    if !out.results.contains_key(&key) && !valid.iter().any(|(k, _)| *k == key) {
                        valid.push((key, id));
                    }
                }
                Err(e) => {
                    out.results
                        .insert(raw.trim().to_owned(), Err(ArxivError::InvalidId(e)));
                }
            }
        }
        let mut queue: VecDeque<Batch> = valid.chunks(self.batch_size).map(<[_]>::to_vec).collect();
        while let Some(batch) = queue.pop_front() {
            let (answer, sent) = self.ask(&batch).await;
            out.requests += sent;
            match answer {
                Ok(BatchAnswer::Papers(papers)) => assign(&mut out, batch, papers),
                Ok(BatchAnswer::Rejected { bad_ids, message }) => {
                    let (bad, mut rest): (Batch, Batch) = batch
                        .into_iter()
                        .partition(|(key, id)| bad_ids.iter().any(|b| names(b, key, id)));
                    if !bad.is_empty() {
                        tracing::debug!(
                            rejected = bad.len(),
                            rest = rest.len(),
                            "arXiv rejected ids; asking the others again"
                        );
                        reject(&mut out, bad, &message);
                        if !rest.is_empty() {
                            queue.push_front(rest);
                        }
                    } else if rest.len() <= 1 {
                        reject(&mut out, rest, &message);
                    } else {
                        tracing::debug!(
                            ids = rest.len(),
                            "arXiv rejected a batch without naming an id; bisecting"
                        );
                        let second = rest.split_off(rest.len() / 2);
                        queue.push_front(second);
                        queue.push_front(rest);
                    }
                }
                Err(error) => {
                    let source = Arc::new(error);
                    for (key, _) in batch {
                        out.results.insert(
                            key.clone(),
                            Err(ArxivError::Failed {
                                id: key,
                                source: source.clone(),
                            }),
                        );
                    }
                }
            }
        }
        out
    }

    fn requests_so_far(&self) -> u64 {
        self.client
            .stats()
            .requests_to(&self.client.config().arxiv_endpoint)
    }

    /// The client's retry policy with waits of at least the arXiv interval: a retry is a
    /// request too, and arXiv's terms space every request.
    fn retry_policy(&self) -> crate::RetryConfig {
        let config = self.client.config();
        let floor = config.arxiv_delay.saturating_mul(2);
        crate::RetryConfig {
            initial_backoff: config.retry.initial_backoff.max(floor),
            max_backoff: config.retry.max_backoff.max(floor),
            ..config.retry.clone()
        }
    }

    /// One paced request for a batch, and the HTTP requests it took (retries included).
    async fn ask(&self, batch: &Batch) -> (Result<BatchAnswer, Error>, u64) {
        let keys: Vec<&str> = batch.iter().map(|(k, _)| k.as_str()).collect();
        let url = self.client.arxiv().query_url(&keys);
        tracing::debug!(ids = keys.len(), "asking arXiv");
        // Counted inside the pacer's turn, when no other arXiv request of this client runs.
        let (resp, sent) = self
            .client
            .arxiv_pacer()
            .run(async {
                let before = self.requests_so_far();
                let request = crate::HubRequest::get(url).with_retry(self.retry_policy());
                let resp = self.client.send(request).await;
                (resp, self.requests_so_far().saturating_sub(before))
            })
            .await;
        (read_answer(resp, &keys), sent)
    }
}

/// What an answer says about the batch `keys`.
fn read_answer(resp: Result<HubResponse, Error>, keys: &[&str]) -> Result<BatchAnswer, Error> {
    let resp = resp?;
    let what = match keys {
        [one] => (*one).to_owned(),
        [first, ..] => format!("{first} and {} more", keys.len() - 1),
        [] => String::new(),
    };
    if !resp.status.is_success() && resp.status != StatusCode::BAD_REQUEST {
        return Err(resp.into_error(ResourceKind::Paper, &what));
    }
    let parsed = resp.text().and_then(|text| {
        parse_feed(text).map_err(|e| Error::Decode {
            url: Box::new(resp.url.clone()),
            path: e.path.clone(),
            message: e.to_string(),
        })
    });
    match parsed {
        Ok(feed) if !feed.errors.is_empty() => Ok(BatchAnswer::Rejected {
            bad_ids: feed
                .errors
                .iter()
                .filter_map(|e| e.bad_id.clone())
                .collect(),
            message: feed
                .errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        }),
        Ok(feed) if resp.status.is_success() => Ok(BatchAnswer::Papers(feed.papers)),
        // A 400 without a readable error entry.
        Ok(_) | Err(_) if resp.status == StatusCode::BAD_REQUEST => Ok(BatchAnswer::Rejected {
            bad_ids: Vec::new(),
            message: format!("HTTP 400: {}", excerpt(&resp.body)),
        }),
        Ok(feed) => Ok(BatchAnswer::Papers(feed.papers)),
        Err(e) => Err(e),
    }
}

/// True when the id arXiv named (`bad`) is the asked `key`/`id`.
fn names(bad: &str, key: &str, id: &ArxivId) -> bool {
    bad == key
        || bad == id.id()
        || ArxivId::parse(bad)
            .is_ok_and(|b| b.canonical() == id.canonical() && b.version() == id.version())
}

fn reject(out: &mut ArxivResults, ids: Batch, message: &str) {
    for (key, _) in ids {
        out.results.insert(
            key.clone(),
            Err(ArxivError::Rejected {
                id: key,
                message: message.to_owned(),
            }),
        );
    }
}

/// Give each asked id of a batch its paper, or [`ArxivError::NotFound`].
///
/// Entries are matched by canonical id (arXiv drops an old-style subject class); an id asked
/// with a version takes the entry of that version, an id asked without takes the latest.
fn assign(out: &mut ArxivResults, batch: Batch, papers: Vec<ArxivPaper>) {
    let mut by_id: BTreeMap<String, Vec<ArxivPaper>> = BTreeMap::new();
    for paper in papers {
        by_id.entry(paper.id.clone()).or_default().push(paper);
    }
    for (key, id) in batch {
        let candidates = by_id
            .get(&id.canonical())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let found = match id.version() {
            Some(v) => candidates
                .iter()
                .find(|p| p.version == Some(v))
                .or_else(|| candidates.iter().find(|p| p.version.is_none())),
            None => candidates.iter().max_by_key(|p| p.version),
        };
        let result = match found {
            Some(paper) => Ok(paper.clone()),
            None => Err(ArxivError::NotFound { id: key.clone() }),
        };
        out.results.insert(key, result);
    }
}

impl<'c> IntoFuture for FetchPapers<'c> {
    type Output = ArxivResults;
    type IntoFuture = Pin<Box<dyn Future<Output = ArxivResults> + Send + 'c>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paper(id: &str, version: Option<u32>) -> ArxivPaper {
        ArxivPaper {
            id: id.to_owned(),
            version,
            ..ArxivPaper::default()
        }
    }

    fn batch(ids: &[&str]) -> Batch {
        ids.iter()
            .map(|s| {
                let id = ArxivId::parse(s).unwrap();
                (id.to_string(), id)
            })
            .collect()
    }

    #[test]
    fn entries_are_matched_by_canonical_id_and_version() {
        let mut out = ArxivResults::default();
        assign(
            &mut out,
            batch(&[
                "2104.12255",
                "2104.12255v1",
                "math.GT/0309136",
                "2401.00001v9",
                "2401.00002",
            ]),
            vec![
                paper("2104.12255", Some(1)),
                paper("2104.12255", Some(3)),
                paper("math/0309136", Some(2)),
                paper("2401.00001", Some(2)),
            ],
        );
        let version = |key: &str| out.get(key).unwrap().as_ref().ok().and_then(|p| p.version);
        assert_eq!(
            version("2104.12255"),
            Some(3),
            "unversioned takes the latest"
        );
        assert_eq!(version("2104.12255v1"), Some(1));
        assert_eq!(version("math.GT/0309136"), Some(2));
        assert!(
            out.get("2401.00001v9")
                .unwrap()
                .as_ref()
                .unwrap_err()
                .is_not_found()
        );
        assert!(out.get("arXiv:2401.00002").unwrap().is_err());
        assert_eq!(out.len(), 5);
        assert_eq!(out.papers().count(), 3);
        assert_eq!(
            out.not_found().collect::<Vec<_>>(),
            ["2401.00001v9", "2401.00002"]
        );
    }

    #[test]
    fn named_ids_match_as_asked() {
        let b = batch(&["2104.12255v1", "math.GT/0309136", "hep-th/9901001"]);
        let hits = |bad: &str| -> Vec<&str> {
            b.iter()
                .filter(|(k, id)| names(bad, k, id))
                .map(|(k, _)| k.as_str())
                .collect()
        };
        assert_eq!(hits("2104.12255v1"), ["2104.12255v1"]);
        assert_eq!(hits("math.GT/0309136"), ["math.GT/0309136"]);
        assert_eq!(hits("math/0309136"), ["math.GT/0309136"]);
        assert!(hits("abc").is_empty());
        assert!(hits("2104.12255v2").is_empty());
    }
}
