//! What model and dataset repositories share: the info request (`GET /api/{models|datasets}/{id}`),
//! and the canonical id of a renamed repo answered through a redirect.

use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::client::HfClient;
use crate::error::{ResourceKind, Result};

/// A kind of Hub repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RepoType {
    /// A model (`/api/models/…`).
    Model,
    /// A dataset (`/api/datasets/…`).
    Dataset,
}

impl RepoType {
    /// The path segment of the repo type in API URLs (`models`, `datasets`).
    pub fn api_segment(self) -> &'static str {
        match self {
            Self::Model => "models",
            Self::Dataset => "datasets",
        }
    }

    fn resource_kind(self) -> ResourceKind {
        match self {
            Self::Model => ResourceKind::Model,
            Self::Dataset => ResourceKind::Dataset,
        }
    }
}

/// A repository's metadata, with the id that was asked and the id the Hub answered with.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RepoInfoResponse<T> {
    /// The id that was asked for (e.g. the legacy `bert-base-uncased`).
    pub requested_id: String,
    /// The canonical id: where a redirect led (`google-bert/bert-base-uncased`), else the
    /// body's `id`.
    pub id: String,
    /// The metadata.
    pub info: T,
    /// The answer's `ETag`, for conditional requests later.
    pub etag: Option<String>,
}

/// A repository info body: it knows its own `id`.
pub trait RepoInfo: DeserializeOwned {
    /// The body's `id`.
    fn repo_id(&self) -> &str;
}

/// `…/api/{models|datasets}/{id}[/revision/{rev}]`; the revision is one encoded path segment.
pub(crate) fn info_url(client: &HfClient, repo: RepoType, id: &str, revision: Option<&str>) -> Url {
    let mut url = client.hub_url(&["api", repo.api_segment(), id]);
    if let Some(rev) = revision
        && let Ok(mut path) = url.path_segments_mut()
    {
        path.push("revision").push(rev);
    }
    url
}

/// Fetch an info URL: a missing repo is [`Error::NotFound`](crate::Error::NotFound); a redirect
/// keeps both ids.
pub(crate) async fn fetch_info<T: RepoInfo>(
    client: &HfClient,
    repo: RepoType,
    id: String,
    url: Url,
) -> Result<RepoInfoResponse<T>> {
    let resp = client
        .get(url)
        .await?
        .error_for_status(repo.resource_kind(), &id)?;
    let info: T = resp.json()?;
    let canonical = resp
        .was_redirected()
        .then(|| canonical_id_from_url(client, repo, &resp.url))
        .flatten()
        .unwrap_or_else(|| info.repo_id().to_owned());
    Ok(RepoInfoResponse {
        requested_id: id,
        id: canonical,
        etag: resp.etag().map(str::to_owned),
        info,
    })
}

/// The repo id in an answering URL `…/api/{type}/{id}[/revision/…|/croissant]`.
pub(crate) fn canonical_id_from_url(
    client: &HfClient,
    repo: RepoType,
    url: &Url,
) -> Option<String> {
    let rest = url
        .path()
        .strip_prefix(client.endpoint().path())?
        .strip_prefix("api/")?
        .strip_prefix(repo.api_segment())?
        .strip_prefix('/')?;
    let rest = rest.split("/revision/").next()?;
    let rest = rest.strip_suffix("/croissant").unwrap_or(rest);
    let id = percent_encoding::percent_decode_str(rest.trim_end_matches('/'))
        .decode_utf8_lossy()
        .into_owned();
    (!id.is_empty()).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_ids_from_answering_urls() {
        let client = HfClient::builder()
            .with_endpoint("http://127.0.0.1:9/mirror")
            .build()
            .unwrap();
        let url = |p: &str| Url::parse(&format!("http://127.0.0.1:9/mirror/{p}")).unwrap();
        let cases = [
            (
                RepoType::Model,
                "api/models/google-bert/bert-base-uncased",
                Some("google-bert/bert-base-uncased"),
            ),
            (
                RepoType::Model,
                "api/models/a/b/revision/refs%2Fpr%2F1",
                Some("a/b"),
            ),
            (
                RepoType::Dataset,
                "api/datasets/ylecun/mnist/croissant",
                Some("ylecun/mnist"),
            ),
            (RepoType::Dataset, "api/models/a/b", None),
            (RepoType::Model, "api/modelsx/a", None),
            (RepoType::Model, "api/models/", None),
        ];
        for (repo, path, expected) in cases {
            assert_eq!(
                canonical_id_from_url(&client, repo, &url(path)).as_deref(),
                expected,
                "{path}"
            );
        }
    }
}
