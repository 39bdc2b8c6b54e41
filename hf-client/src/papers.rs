//! Hugging Face paper pages: `GET /api/papers/{arxiv_id}`, a second source next to arXiv.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use crate::arxiv::ArxivId;
use crate::client::HfClient;
use crate::error::{Error, ResourceKind, Result};
use crate::wire::HubTimestamp;

/// Requests about paper pages. Get one with [`HfClient::papers`].
#[derive(Debug, Clone, Copy)]
pub struct PapersHandler<'c> {
    client: &'c HfClient,
}

impl HfClient {
    /// Requests about the Hub's paper pages.
    pub fn papers(&self) -> PapersHandler<'_> {
        PapersHandler { client: self }
    }
}

impl<'c> PapersHandler<'c> {
    /// A paper page: `GET /api/papers/{arxiv_id}`. See [`PaperInfoRequest`].
    pub fn info(&self, arxiv_id: impl Into<String>) -> PaperInfoRequest<'c> {
        PaperInfoRequest {
            client: self.client,
            id: arxiv_id.into(),
        }
    }
}

/// `GET /api/papers/{arxiv_id}`: the Hub's page of an arXiv paper (upvotes, GitHub repository,
/// AI keywords). Most papers have no page: the Hub answers 404, which is `Ok(None)`.
///
/// ```no_run
/// # async fn run() -> hf_client::Result<()> {
/// let client = hf_client::HfClient::from_env()?;
/// if let Some(page) = client.papers().info("2602.23229").send().await? {
///     println!("{} upvotes, code at {:?}", page.upvotes.unwrap_or(0), page.github_repo);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until sent"]
pub struct PaperInfoRequest<'c> {
    client: &'c HfClient,
    id: String,
}

impl PaperInfoRequest<'_> {
    /// The URL this request will fetch. A valid arXiv id is asked without its version (paper
    /// pages are per paper); anything else is sent as given.
    ///
    /// ```
    /// let client = hf_client::HfClient::builder().build()?;
    /// let url = client.papers().info("arXiv:1706.03762v7").url();
    /// assert_eq!(url.as_str(), "https://huggingface.co/api/papers/1706.03762");
    /// # Ok::<(), hf_client::Error>(())
    /// ```
    pub fn url(&self) -> Url {
        let id = ArxivId::parse(&self.id)
            .map_or_else(|_| self.id.trim().to_owned(), |i| i.id().to_owned());
        self.client.hub_url(&["api", "papers", &id])
    }

    /// Send it: `Ok(None)` when the paper has no page (404).
    pub async fn send(self) -> Result<Option<PaperPage>> {
        let resp = self.client.get(self.url()).await?;
        if resp.status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let resp = resp.error_for_status(ResourceKind::Paper, &self.id)?;
        let value: Value = resp.json()?;
        PaperPage::from_value(value)
            .map(Some)
            .map_err(|e| Error::Decode {
                url: Box::new(resp.url.clone()),
                path: e.path().to_string(),
                message: e.into_inner().to_string(),
            })
    }
}

/// A paper page of the Hub, from `GET /api/papers/{id}` (or one item of `/api/daily_papers`,
/// see [`PaperPage::from_value`]).
///
/// Keys the type does not know (`linkedModels`, `mediaUrls`, …) are kept in
/// [`PaperPage::extra`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PaperPage {
    /// `id`: the arXiv id.
    pub id: String,
    /// `title`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `summary`: the abstract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// `authors`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<PaperAuthor>,
    /// `publishedAt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<HubTimestamp>,
    /// `submittedOnDailyAt`: when it was submitted to Daily Papers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_on_daily_at: Option<HubTimestamp>,
    /// `upvotes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upvotes: Option<u64>,
    /// `githubRepo`: the code repository URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_repo: Option<String>,
    /// `githubStars`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_stars: Option<u64>,
    /// `projectPage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_page: Option<String>,
    /// `ai_summary`: a generated one-sentence summary.
    #[serde(
        rename = "ai_summary",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub ai_summary: Option<String>,
    /// `ai_keywords`: generated keywords.
    #[serde(rename = "ai_keywords", default, skip_serializing_if = "Vec::is_empty")]
    pub ai_keywords: Vec<String>,
    /// `discussionId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discussion_id: Option<String>,
    /// `organization`: the claiming organisation, as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<Value>,
    /// Every other key, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An author on a paper page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PaperAuthor {
    /// `_id`.
    #[serde(rename = "_id", default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    /// `name`.
    pub name: String,
    /// `hidden`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<bool>,
    /// `user`: the Hub account that claimed the authorship, as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Value>,
    /// Every other key (`status`, `statusLastChangedAt`), kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl PaperPage {
    /// Read a paper page from either shape the Hub uses: the bare paper (`/api/papers/{id}`)
    /// or a Daily Papers item wrapping it (`{"paper": {…}, "title": …, "numComments": …}`).
    /// For the wrapped shape, keys missing from `paper` are taken from the wrapper (as
    /// `huggingface_hub` does), and the wrapper's other keys land in [`PaperPage::extra`].
    ///
    /// On failure the error names the JSON path.
    ///
    /// ```
    /// use hf_client::papers::PaperPage;
    ///
    /// let page = PaperPage::from_value(serde_json::json!({
    ///     "paper": {"id": "2602.23229", "upvotes": 10}, "title": "Large Multimodal Models", "numComments": 1
    /// })).unwrap();
    /// assert_eq!(page.id, "2602.23229");
    /// assert_eq!(page.title.as_deref(), Some("Large Multimodal Models"));
    /// assert_eq!(page.extra["numComments"], 1);
    /// ```
    pub fn from_value(value: Value) -> Result<Self, serde_path_to_error::Error<serde_json::Error>> {
        let value = match value {
            Value::Object(mut outer) => match outer.remove("paper") {
                Some(Value::Object(mut paper)) => {
                    for (k, v) in outer {
                        paper.entry(k).or_insert(v);
                    }
                    Value::Object(paper)
                }
                Some(other) => {
                    outer.insert("paper".into(), other);
                    Value::Object(outer)
                }
                None => Value::Object(outer),
            },
            other => other,
        };
        serde_path_to_error::deserialize(value)
    }
}
