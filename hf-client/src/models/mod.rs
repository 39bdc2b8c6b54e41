//! Models: list and search (`GET /api/models`), model info (`GET /api/models/{id}`), model cards.

mod list;

pub use list::{Direction, ListModels, MAX_PAGE_SIZE, ModelProperty, Sort};

use reqwest::StatusCode;
use reqwest::header::{HeaderValue, IF_NONE_MATCH};
use url::Url;

use crate::card::ModelCard;
use crate::client::{HfClient, HubRequest};
use crate::error::{ResourceKind, Result};
use crate::repo::{RepoInfo, RepoInfoResponse, RepoType, fetch_info, info_url};
use crate::wire::ModelInfo;

/// Requests about models. Get one with [`HfClient::models`].
#[derive(Debug, Clone, Copy)]
pub struct ModelsHandler<'c> {
    client: &'c HfClient,
}

impl HfClient {
    /// Requests about models.
    pub fn models(&self) -> ModelsHandler<'_> {
        ModelsHandler { client: self }
    }
}

impl<'c> ModelsHandler<'c> {
    /// List or search models: `GET /api/models`. See [`ListModels`].
    pub fn list(&self) -> ListModels<'c> {
        ListModels::new(self.client)
    }

    /// One model's metadata: `GET /api/models/{id}`. See [`ModelInfoRequest`].
    pub fn info(&self, id: impl Into<String>) -> ModelInfoRequest<'c> {
        ModelInfoRequest {
            client: self.client,
            id: id.into(),
            revision: None,
            expand: Vec::new(),
        }
    }

    /// One model's card (its `README.md`). See [`CardRequest`].
    pub fn card(&self, id: impl Into<String>) -> CardRequest<'c> {
        CardRequest {
            client: self.client,
            id: id.into(),
            revision: None,
            sha: None,
            if_none_match: None,
        }
    }
}

/// `GET /api/models/{id}` (or `/api/models/{id}/revision/{rev}`), with optional `expand[]`.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until sent"]
pub struct ModelInfoRequest<'c> {
    client: &'c HfClient,
    id: String,
    revision: Option<String>,
    expand: Vec<ModelProperty>,
}

/// A model's metadata, with the id that was asked and the id the Hub answered with.
pub type ModelInfoResponse = RepoInfoResponse<ModelInfo>;

impl RepoInfo for ModelInfo {
    fn repo_id(&self) -> &str {
        &self.id
    }
}

impl ModelInfoRequest<'_> {
    /// Ask for a branch, tag or commit instead of `main` (URL-encoded whole: `refs/pr/1` is one
    /// path segment).
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.revision = Some(revision.into());
        self
    }

    /// Return only `_id`, `id` and these properties (`expand[]=...`), repeatable.
    pub fn expand(mut self, properties: impl IntoIterator<Item = ModelProperty>) -> Self {
        self.expand.extend(properties);
        self
    }

    /// The URL this request will fetch.
    pub fn url(&self) -> Url {
        let mut url = info_url(
            self.client,
            RepoType::Model,
            &self.id,
            self.revision.as_deref(),
        );
        if !self.expand.is_empty() {
            let mut query = url.query_pairs_mut();
            for p in &self.expand {
                query.append_pair("expand[]", p.as_str());
            }
        }
        url
    }

    /// Send it. A missing model is [`Error::NotFound`](crate::Error::NotFound); a legacy id
    /// answered through a redirect keeps both ids.
    pub async fn send(self) -> Result<ModelInfoResponse> {
        let url = self.url();
        fetch_info(self.client, RepoType::Model, self.id, url).await
    }
}

/// A model card: `GET /{id}/resolve/{revision}/README.md`.
///
/// With the commit `sha` known (from a listing with `expand[]=sha`, or model info), the card is
/// fetched from `/api/resolve-cache/models/{id}/{sha}/README.md` directly — one request instead of
/// a redirect and a request — falling back to `/resolve/` when that fails.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until sent"]
pub struct CardRequest<'c> {
    client: &'c HfClient,
    id: String,
    revision: Option<String>,
    sha: Option<String>,
    if_none_match: Option<String>,
}

/// The answer to a conditional card request ([`CardRequest::send_conditional`], or
/// [`CardRequest::send_conditional_text`] with the card as text: `CardAnswer<CardText>`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CardAnswer<C = Box<FetchedCard>> {
    /// The card, fetched (boxed: a card is large, the other answers are not).
    Card(C),
    /// `304 Not Modified`: the card is still the one of the `ETag` sent.
    NotModified,
    /// The model has no card.
    Missing,
}

/// A fetched model card, with the URL that answered and its `ETag`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FetchedCard {
    /// The card: front matter, card data and body.
    pub card: ModelCard,
    /// The card's text as served.
    pub text: String,
    /// The URL that answered.
    pub url: Url,
    /// The answer's `ETag`.
    pub etag: Option<String>,
}

/// A model card as served, not parsed ([`CardRequest::send_conditional_text`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CardText {
    /// The card's text as served.
    pub text: String,
    /// The URL that answered.
    pub url: Url,
    /// The answer's `ETag`.
    pub etag: Option<String>,
}

impl CardText {
    /// The card parsed (front matter, card data and body).
    pub fn parse(self) -> FetchedCard {
        FetchedCard {
            card: ModelCard::parse(&self.text),
            text: self.text,
            url: self.url,
            etag: self.etag,
        }
    }
}

impl CardRequest<'_> {
    /// Fetch from this branch, tag or commit (default `main`).
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.revision = Some(revision.into());
        self
    }

    /// The commit the card should come from (a 40-hex sha): enables the one-request path.
    pub fn sha(mut self, sha: impl Into<String>) -> Self {
        self.sha = Some(sha.into());
        self
    }

    /// The `/resolve/` URL of the card.
    pub fn resolve_url(&self) -> Url {
        let mut url = self.client.hub_url(&[&self.id, "resolve"]);
        if let Ok(mut path) = url.path_segments_mut() {
            path.push(self.revision.as_deref().unwrap_or("main"))
                .push("README.md");
        }
        url
    }

    /// The `/api/resolve-cache/` URL of the card at `sha`, if a usable sha is known.
    pub fn resolve_cache_url(&self) -> Option<Url> {
        let sha = self.sha.as_deref()?;
        if sha.len() != 40 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(
            self.client
                .hub_url(&["api", "resolve-cache", "models", &self.id, sha, "README.md"]),
        )
    }

    /// Ask with `If-None-Match: <etag>` (the card's `ETag` from an earlier fetch): an unchanged
    /// card is answered `304 Not Modified`, without a body. Use
    /// [`send_conditional`](Self::send_conditional) to see that answer.
    pub fn if_none_match(mut self, etag: impl Into<String>) -> Self {
        self.if_none_match = Some(etag.into());
        self
    }

    /// Send it. A model without a README is `Ok(None)`; a missing model is
    /// [`Error::NotFound`](crate::Error::NotFound). Any `If-None-Match` is left out.
    pub async fn send(mut self) -> Result<Option<FetchedCard>> {
        self.if_none_match = None;
        match self.send_conditional().await? {
            CardAnswer::Card(card) => Ok(Some(*card)),
            CardAnswer::NotModified | CardAnswer::Missing => Ok(None),
        }
    }

    /// Send it, with the `If-None-Match` of [`if_none_match`](Self::if_none_match) if any.
    pub async fn send_conditional(self) -> Result<CardAnswer> {
        Ok(match self.send_conditional_text().await? {
            CardAnswer::Card(text) => CardAnswer::Card(Box::new(text.parse())),
            CardAnswer::NotModified => CardAnswer::NotModified,
            CardAnswer::Missing => CardAnswer::Missing,
        })
    }

    /// [`send_conditional`](Self::send_conditional), the card left as text: for a caller that
    /// keeps the text and parses it later (or elsewhere), so the request's task does not.
    pub async fn send_conditional_text(self) -> Result<CardAnswer<CardText>> {
        if let Some(url) = self.resolve_cache_url() {
            match self.client.send(self.request(url)).await {
                Ok(resp) if resp.status == StatusCode::NOT_MODIFIED => {
                    return Ok(CardAnswer::NotModified);
                }
                Ok(resp) if resp.status.is_success() => {
                    return self.text_of(resp).map(CardAnswer::Card);
                }
                // The commit is known, so the Hub's "no such file" is final.
                Ok(resp) if is_missing_entry(&resp) => return Ok(CardAnswer::Missing),
                Ok(resp) => {
                    tracing::debug!(model = %self.id, status = resp.status.as_u16(), "resolve-cache failed; falling back to /resolve/");
                }
                Err(e) => {
                    tracing::debug!(model = %self.id, error = %e, "resolve-cache failed; falling back to /resolve/");
                }
            }
        }
        let resp = self.client.send(self.request(self.resolve_url())).await?;
        if resp.status == StatusCode::NOT_MODIFIED {
            return Ok(CardAnswer::NotModified);
        }
        if resp.status == StatusCode::NOT_FOUND
            && resp.header("x-error-code") != Some("RepoNotFound")
        {
            return Ok(CardAnswer::Missing);
        }
        self.text_of(resp).map(CardAnswer::Card)
    }

    fn request(&self, url: Url) -> HubRequest {
        let request = HubRequest::get(url);
        match self
            .if_none_match
            .as_deref()
            .and_then(|etag| HeaderValue::from_str(etag).ok())
        {
            Some(value) => request.header(IF_NONE_MATCH, value),
            None => request,
        }
    }

    fn text_of(&self, resp: crate::response::HubResponse) -> Result<CardText> {
        let resp = resp.error_for_status(ResourceKind::Model, &self.id)?;
        let text = resp.text()?.to_owned();
        Ok(CardText {
            text,
            etag: resp.etag().map(str::to_owned),
            url: resp.url,
        })
    }
}

fn is_missing_entry(resp: &crate::response::HubResponse) -> bool {
    resp.status == StatusCode::NOT_FOUND && resp.header("x-error-code") == Some("EntryNotFound")
}
