//! Datasets: dataset info (`GET /api/datasets/{id}`) and Croissant metadata
//! (`GET /api/datasets/{id}/croissant`).

mod croissant;
mod info;

pub use croissant::{Croissant, CroissantCreator, Field, FileObject, FileSet, RecordSet};
pub use info::DatasetInfo;

use serde::Serialize;
use serde_json::Value;
use url::Url;

use crate::client::HfClient;
use crate::error::{Error, ResourceKind, Result};
use crate::repo::{RepoInfo, RepoInfoResponse, RepoType, fetch_info, info_url};

/// Requests about datasets. Get one with [`HfClient::datasets`].
#[derive(Debug, Clone, Copy)]
pub struct DatasetsHandler<'c> {
    client: &'c HfClient,
}

impl HfClient {
    /// Requests about datasets.
    pub fn datasets(&self) -> DatasetsHandler<'_> {
        DatasetsHandler { client: self }
    }
}

impl<'c> DatasetsHandler<'c> {
    /// One dataset's metadata: `GET /api/datasets/{id}`. See [`DatasetInfoRequest`].
    pub fn info(&self, id: impl Into<String>) -> DatasetInfoRequest<'c> {
        DatasetInfoRequest {
            client: self.client,
            id: id.into(),
            revision: None,
        }
    }

    /// One dataset's Croissant metadata: `GET /api/datasets/{id}/croissant`. See
    /// [`CroissantRequest`].
    pub fn croissant(&self, id: impl Into<String>) -> CroissantRequest<'c> {
        CroissantRequest {
            client: self.client,
            id: id.into(),
        }
    }

    /// A dataset's info and, when the Hub has it, its Croissant metadata: two requests
    /// (`GET /api/datasets/{id}`, then `GET /api/datasets/{canonical id}/croissant`).
    ///
    /// A missing dataset is [`Error::NotFound`]. A dataset without Croissant (any failure of the
    /// second request: only datasets the Hub converted to Parquet have one) is still a dataset:
    /// [`DatasetRecord::croissant`] is `None` and [`DatasetRecord::croissant_error`] says why.
    ///
    /// ```no_run
    /// # async fn run() -> hf_client::Result<()> {
    /// let client = hf_client::HfClient::from_env()?;
    /// let squad = client.datasets().fetch("squad").await?;
    /// println!("{} (asked as {})", squad.info.id, squad.info.requested_id);
    /// match &squad.croissant {
    ///     Some(c) => println!("splits: {:?}", c.splits()),
    ///     None => println!("no Croissant: {}", squad.croissant_error.as_deref().unwrap_or("?")),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn fetch(&self, id: impl Into<String>) -> Result<DatasetRecord> {
        let info = self.info(id).send().await?;
        let (croissant, croissant_error) = match self.croissant(info.id.clone()).send().await {
            Ok(c) => (Some(c), None),
            Err(e) => {
                tracing::debug!(dataset = %info.id, error = %e, "no Croissant");
                // The summary, not the full error: the reason lands in records that must not
                // change from one run to the next (no URL, no request id).
                let reason = match e.status() {
                    Some(status) => format!("HTTP {}: {}", status.as_u16(), e.summary()),
                    None => e.summary(),
                };
                (None, Some(reason))
            }
        };
        Ok(DatasetRecord {
            info,
            croissant,
            croissant_error,
        })
    }
}

/// `GET /api/datasets/{id}` (or `/api/datasets/{id}/revision/{rev}`).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until sent"]
pub struct DatasetInfoRequest<'c> {
    client: &'c HfClient,
    id: String,
    revision: Option<String>,
}

/// A dataset's metadata, with the id that was asked and the id the Hub answered with.
pub type DatasetInfoResponse = RepoInfoResponse<DatasetInfo>;

impl RepoInfo for DatasetInfo {
    fn repo_id(&self) -> &str {
        &self.id
    }
}

impl DatasetInfoRequest<'_> {
    /// Ask for a branch, tag or commit instead of `main` (one path segment, `/` encoded).
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.revision = Some(revision.into());
        self
    }

    /// The URL this request will fetch.
    ///
    /// ```
    /// let client = hf_client::HfClient::builder().build()?;
    /// let url = client.datasets().info("rajpurkar/squad").revision("refs/convert/parquet").url();
    /// assert_eq!(
    ///     url.as_str(),
    ///     "https://huggingface.co/api/datasets/rajpurkar/squad/revision/refs%2Fconvert%2Fparquet"
    /// );
    /// # Ok::<(), hf_client::Error>(())
    /// ```
    pub fn url(&self) -> Url {
        info_url(
            self.client,
            RepoType::Dataset,
            &self.id,
            self.revision.as_deref(),
        )
    }

    /// Send it. A missing dataset is [`Error::NotFound`]; a legacy id answered through a
    /// redirect (307 to the canonical id) keeps both ids.
    pub async fn send(self) -> Result<DatasetInfoResponse> {
        let url = self.url();
        fetch_info(self.client, RepoType::Dataset, self.id, url).await
    }
}

/// `GET /api/datasets/{id}/croissant`: the Croissant JSON-LD the Hub generates for datasets
/// converted to Parquet.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until sent"]
pub struct CroissantRequest<'c> {
    client: &'c HfClient,
    id: String,
}

impl CroissantRequest<'_> {
    /// The URL this request will fetch.
    pub fn url(&self) -> Url {
        self.client
            .hub_url(&["api", "datasets", &self.id, "croissant"])
    }

    /// Send it. Any unsuccessful status is an error (404: [`Error::NotFound`] for the
    /// dataset); a body that is not a JSON object is [`Error::Decode`].
    pub async fn send(self) -> Result<Croissant> {
        let resp = self
            .client
            .get(self.url())
            .await?
            .error_for_status(ResourceKind::Dataset, &self.id)?;
        let json: Value = resp.json()?;
        if !json.is_object() {
            return Err(Error::Decode {
                url: Box::new(resp.url.clone()),
                path: ".".into(),
                message: "a Croissant document must be a JSON object".into(),
            });
        }
        Ok(Croissant::from_value(json))
    }
}

/// A dataset's info and Croissant metadata, from [`DatasetsHandler::fetch`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DatasetRecord {
    /// `GET /api/datasets/{id}`.
    pub info: DatasetInfoResponse,
    /// `GET /api/datasets/{id}/croissant`, when it answered with a Croissant document.
    pub croissant: Option<Croissant>,
    /// Why there is no Croissant (the error of the second request), when there is none.
    pub croissant_error: Option<String>,
}
