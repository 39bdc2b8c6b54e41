//! `run.json`: what a run did — its configuration (token redacted), versions, times, counts per
//! asset, HTTP requests per host and rate-limit bucket, retries, 429s, every failure with its
//! reason, and the listing's watermark.

use std::collections::BTreeMap;

use hf_client::RequestStats;
use serde::{Deserialize, Serialize};

use crate::assets::Asset;
use crate::config::ExtractorConfig;

/// The manifest's file name.
pub const MANIFEST_FILE: &str = "run.json";

/// The configuration a run used, as written to the manifest. Holds no secret: the token is only
/// said to be present or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ManifestConfig {
    /// `HF_NUM_MODELS`.
    pub num_models: usize,
    /// `HF_UPDATE_RECENT`.
    pub update_recent: bool,
    /// `HF_THREADS`.
    pub threads: usize,
    /// `HF_MODELS_FILE_PATH`.
    pub models_file_path: String,
    /// `HF_ENRICHMENT_THREADS`.
    pub enrichment_threads: usize,
    /// `HF_BASE_MODEL_ITERATIONS`.
    pub base_model_iterations: usize,
    /// `HF_FILTER_LOW_INFO`.
    pub filter_low_info: bool,
    /// `HF_ENDPOINT`.
    pub endpoint: String,
    /// `HF_ARXIV_ENDPOINT`.
    pub arxiv_endpoint: String,
    /// `HF_ARXIV_DELAY_MS`.
    pub arxiv_delay_ms: u64,
    /// `HF_SPDX_LICENSES_URL`.
    pub spdx_licenses_url: Option<String>,
    /// `"<redacted>"` when a token was configured, else none.
    pub token: Option<String>,
    /// `HF_SINCE`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// `HF_SINCE_RUN`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_run: Option<String>,
    /// What served the Hub, when not the service at `endpoint` itself: `"offline-hub"` for
    /// the bundled offline Hub of `hf-extract --offline` (see
    /// [`MaterializeOptions::served_by`](crate::MaterializeOptions::served_by)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_by: Option<String>,
}

impl ManifestConfig {
    /// The manifest's view of a configuration and the client built from it.
    pub fn new(config: &ExtractorConfig, client: &hf_client::ClientConfig) -> Self {
        Self {
            num_models: config.num_models,
            update_recent: config.update_recent,
            threads: config.threads,
            models_file_path: config.models_file_path.display().to_string(),
            enrichment_threads: config.enrichment_threads,
            base_model_iterations: config.base_model_iterations,
            filter_low_info: config.filter_low_info,
            endpoint: client.endpoint.to_string(),
            arxiv_endpoint: client.arxiv_endpoint.to_string(),
            arxiv_delay_ms: u64::try_from(client.arxiv_delay.as_millis()).unwrap_or(u64::MAX),
            spdx_licenses_url: client.spdx_licenses_url.as_ref().map(|u| u.to_string()),
            token: client.token.as_ref().map(|_| "<redacted>".to_owned()),
            since: config.since.map(|t| t.to_string()),
            since_run: config.since_run.as_ref().map(|p| p.display().to_string()),
            served_by: None,
        }
    }
}

/// What one asset produced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AssetReport {
    /// The asset.
    pub name: String,
    /// Its file, if it writes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Records written.
    pub count: u64,
    /// Records that could not be read (written with `enriched: false`) or inputs that failed.
    pub failures: u64,
    /// HTTP requests made while it ran.
    pub requests: u64,
    /// SHA-256 of the file written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Computed in this run, or loaded from an earlier run folder.
    pub loaded_from: Option<String>,
    /// Wall time, in milliseconds.
    pub duration_ms: u64,
}

/// One failure of the run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FailureReport {
    /// The asset (stage) it happened in.
    pub asset: String,
    /// What failed: a model id, an entity id, a file line.
    pub id: String,
    /// The line of the model-id file, when it is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The HTTP status, if there was an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The reason.
    pub error: String,
}

/// HTTP figures of the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HttpReport {
    /// Every HTTP request sent (attempts and redirect hops included).
    pub requests: u64,
    /// Requests per host.
    pub requests_per_host: BTreeMap<String, u64>,
    /// Requests to the Hub per rate-limit bucket.
    pub requests_per_bucket: BTreeMap<String, u64>,
    /// Attempts repeated after a transient failure.
    pub retries: u64,
    /// Answers with status 429.
    pub rate_limited: u64,
    /// Shared pauses because a bucket's quota ran out.
    pub rate_limit_pauses: u64,
    /// Redirects followed.
    pub redirects: u64,
    /// HTTP requests per model of the run (`requests / models`).
    pub requests_per_model: f64,
}

impl HttpReport {
    /// The report of a client's counters for a run of `models` models.
    pub fn new(stats: &RequestStats, models: usize) -> Self {
        let requests = stats.total_requests();
        Self {
            requests,
            requests_per_host: stats.requests_per_host.clone(),
            requests_per_bucket: stats
                .requests_per_bucket
                .iter()
                .map(|(b, n)| (b.to_string(), *n))
                .collect(),
            retries: stats.retries,
            rate_limited: stats.rate_limited,
            rate_limit_pauses: stats.buckets.values().map(|b| b.pauses).sum(),
            redirects: stats.redirects,
            requests_per_model: if models == 0 {
                0.0
            } else {
                requests as f64 / models as f64
            },
        }
    }
}

/// The manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RunManifest {
    /// `hf-extractor`.
    pub tool: String,
    /// The crate's version.
    pub version: String,
    /// The run folder's name.
    pub run_folder: String,
    /// When the run started (RFC 3339).
    pub started_at: String,
    /// When it ended (RFC 3339).
    pub finished_at: String,
    /// The configuration (no secret).
    pub config: ManifestConfig,
    /// The assets selected.
    pub selection: Vec<String>,
    /// Assets loaded from an earlier run folder (`--from`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_run: Option<String>,
    /// What each asset produced, in the order they ran.
    pub assets: Vec<AssetReport>,
    /// Models dropped by the low-information filter, by rule.
    pub filtered: BTreeMap<String, u64>,
    /// Lines of the model-id file that could not be used, and repeats.
    pub model_id_file: ModelIdFileReport,
    /// HTTP figures.
    pub http: HttpReport,
    /// The models stage's own request economy.
    pub models: ModelsReport,
    /// Every failure, sorted.
    pub failures: Vec<FailureReport>,
    /// The newest `lastModified` seen in the listing (the watermark of an incremental run).
    pub watermark: Option<String>,
    /// What an incremental run (`HF_SINCE`, `HF_SINCE_RUN`) saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incremental: Option<IncrementalReport>,
    /// What a resumed run (`--resume`) took over from the interrupted one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed: Option<ResumeReport>,
}

impl RunManifest {
    /// The report of `asset`, if the run materialised or loaded it.
    ///
    /// ```
    /// use hf_extractor::assets::Asset;
    /// use hf_extractor::manifest::{AssetReport, RunManifest};
    ///
    /// # fn check(manifest: &RunManifest) {
    /// if let Some(models) = manifest.asset(Asset::RawModels) {
    ///     println!("{} models, {} requests", models.count, models.requests);
    /// }
    /// # }
    /// ```
    pub fn asset(&self, asset: Asset) -> Option<&AssetReport> {
        self.assets.iter().find(|a| a.name == asset.name())
    }
}

/// What an incremental run saved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct IncrementalReport {
    /// The listing stopped at the first model last modified before this time.
    pub since: String,
    /// The earlier run whose cards were reused, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_run: Option<String>,
    /// Cards taken from the earlier run because the model's `sha` did not change: one request
    /// saved each.
    pub cards_reused: u64,
    /// Cards asked with `If-None-Match` and answered `304 Not Modified`: the body saved.
    pub cards_not_modified: u64,
    /// Requests saved: `cards_reused`.
    pub requests_saved: u64,
}

/// What a resumed run took over from the interrupted run it continues.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ResumeReport {
    /// Listing pages not asked again.
    pub pages: u64,
    /// Models (with their cards) not fetched again.
    pub models: u64,
    /// Models of the model-id file that had failed, not asked again.
    pub failures: u64,
    /// Assets whose files were already written, not computed again.
    pub assets: Vec<String>,
}

/// How many models each source gave, and what they cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ModelsReport {
    /// Models of the latest-N listing.
    pub latest: u64,
    /// Models of the model-id file.
    pub from_file: u64,
    /// Models after the merge by canonical id.
    pub merged: u64,
    /// HTTP requests of the latest-N source (listing pages and cards).
    pub latest_requests: u64,
    /// HTTP requests of the file source (model info and cards).
    pub from_file_requests: u64,
    /// `latest_requests / latest`.
    pub latest_requests_per_model: f64,
    /// `from_file_requests` per id asked from the file (a redirect hop of a renamed repo counts;
    /// an id that fails still cost its request).
    pub from_file_requests_per_model: f64,
}

impl ModelsReport {
    /// The report of the models assets' reports; `ids_asked` is the number of usable ids of the
    /// model-id file.
    pub fn new(assets: &[AssetReport], merged: u64, ids_asked: u64) -> Self {
        let of = |name: &str| {
            assets
                .iter()
                .find(|a| a.name == name && a.loaded_from.is_none())
                .map_or((0, 0), |a| (a.count, a.requests))
        };
        let ratio = |requests: u64, models: u64| {
            if models == 0 {
                0.0
            } else {
                requests as f64 / models as f64
            }
        };
        let (latest, latest_requests) = of(Asset::RawModelsLatest.name());
        let (from_file, from_file_requests) = of(Asset::RawModelsFromFile.name());
        Self {
            latest,
            from_file,
            merged,
            latest_requests,
            from_file_requests,
            latest_requests_per_model: ratio(latest_requests, latest),
            from_file_requests_per_model: ratio(from_file_requests, ids_asked),
        }
    }
}

/// What became of the model-id file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ModelIdFileReport {
    /// The file.
    pub path: String,
    /// Whether it was found (a missing file is skipped).
    pub found: bool,
    /// Usable ids.
    pub ids: usize,
    /// Lines that could not be used.
    pub errors: usize,
    /// Lines repeating an earlier id.
    pub duplicates: usize,
}
