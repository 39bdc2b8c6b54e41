//! The extractor's configuration, from the environment variables of the system it replaces.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `HF_NUM_MODELS` | 50 | models of the latest-N listing |
//! | `HF_UPDATE_RECENT` | true | list by `lastModified` (true) or `createdAt` (false), newest first |
//! | `HF_THREADS` | 4 | cards fetched at once |
//! | `HF_MODELS_FILE_PATH` | `/data/refs/hf_model_ids.txt` | extra model ids, one per line (skipped if missing) |
//! | `HF_TOKEN` | none | the Hub token (else `HF_TOKEN_PATH`, else `$HF_HOME/token`) |
//! | `HF_ENRICHMENT_THREADS` | 4 | related entities fetched at once |
//! | `HF_CPU_THREADS` | the cores | threads of the run's CPU work (one pool per run) |
//! | `HF_BASE_MODEL_ITERATIONS` | 1 | generations of base models followed (0: none) |
//! | `HF_ENDPOINT` | `https://huggingface.co` | the Hub |
//! | `HF_OUTPUT_DIR` | `/data/raw/hf` | where run folders are created |
//! | `HF_FILTER_LOW_INFO` | false | drop models with too little information (the replaced system's rules) |
//! | `HF_ARXIV_ENDPOINT` | `https://export.arxiv.org` | the arXiv export API |
//! | `HF_ARXIV_DELAY_MS` | 3000 | spacing of arXiv requests |
//! | `HF_SPDX_LICENSES_URL` | none | refresh the SPDX list from this `licenses.json` |
//! | `HF_SINCE` | none | an incremental run: only models last modified at or after this time (RFC 3339) |
//! | `HF_SINCE_RUN` | none | an incremental run after this earlier run folder: its watermark is `HF_SINCE`, its cards are reused |
//!
//! A value that cannot be used is an error naming the variable, before any request is made.

use std::path::PathBuf;

use hf_client::HfClientBuilder;

use crate::error::{Error, Result};

/// Default of `HF_NUM_MODELS`.
pub const DEFAULT_NUM_MODELS: usize = 50;
/// Default of `HF_THREADS`.
pub const DEFAULT_THREADS: usize = 4;
/// Default of `HF_ENRICHMENT_THREADS`.
pub const DEFAULT_ENRICHMENT_THREADS: usize = 4;
/// Default of `HF_BASE_MODEL_ITERATIONS`.
pub const DEFAULT_BASE_MODEL_ITERATIONS: usize = 1;
/// Default of `HF_MODELS_FILE_PATH`.
pub const DEFAULT_MODELS_FILE_PATH: &str = "/data/refs/hf_model_ids.txt";
/// Default of `HF_OUTPUT_DIR`.
pub const DEFAULT_OUTPUT_DIR: &str = "/data/raw/hf";

/// What a run does and where it writes; the Hub client's settings travel in
/// [`ExtractorConfig::client`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExtractorConfig {
    /// Models of the latest-N listing (`HF_NUM_MODELS`).
    pub num_models: usize,
    /// Sort the listing by last update (true) or by creation (false) (`HF_UPDATE_RECENT`).
    pub update_recent: bool,
    /// Cards fetched at once (`HF_THREADS`).
    pub threads: usize,
    /// The model-id file (`HF_MODELS_FILE_PATH`).
    pub models_file_path: PathBuf,
    /// Related entities fetched at once (`HF_ENRICHMENT_THREADS`).
    pub enrichment_threads: usize,
    /// Threads of the run's CPU work — identifying, journaling and rendering models, detecting
    /// languages, writing files (`HF_CPU_THREADS`; default: the cores). One pool per run, gone
    /// with it; the run's requests stay on the caller's Tokio runtime.
    pub cpu_threads: usize,
    /// Generations of base models to follow (`HF_BASE_MODEL_ITERATIONS`).
    pub base_model_iterations: usize,
    /// Where run folders are created (`HF_OUTPUT_DIR`).
    pub output_dir: PathBuf,
    /// Drop low-information models (`HF_FILTER_LOW_INFO`, default false).
    pub filter_low_info: bool,
    /// The Hub client's settings (`HF_ENDPOINT`, `HF_TOKEN`, `HF_ARXIV_*`, `HF_SPDX_LICENSES_URL`).
    pub client: HfClientBuilder,
    /// An incremental run: list by `lastModified`, newest first, and stop at the first model
    /// older than this (`HF_SINCE`); the listing is then not cut at `num_models`.
    pub since: Option<jiff::Timestamp>,
    /// An incremental run after this earlier run folder (`HF_SINCE_RUN`): its manifest's
    /// watermark is `since` (unless `HF_SINCE` is given), and a model whose `sha` did not
    /// change keeps the earlier card without a request.
    pub since_run: Option<PathBuf>,
}

impl Default for ExtractorConfig {
    /// The documented defaults; reads no environment.
    fn default() -> Self {
        Self {
            num_models: DEFAULT_NUM_MODELS,
            update_recent: true,
            threads: DEFAULT_THREADS,
            models_file_path: PathBuf::from(DEFAULT_MODELS_FILE_PATH),
            enrichment_threads: DEFAULT_ENRICHMENT_THREADS,
            cpu_threads: crate::cpu::cores(),
            base_model_iterations: DEFAULT_BASE_MODEL_ITERATIONS,
            output_dir: PathBuf::from(DEFAULT_OUTPUT_DIR),
            filter_low_info: false,
            client: HfClientBuilder::new(),
            since: None,
            since_run: None,
        }
    }
}

impl ExtractorConfig {
    /// The defaults overridden by the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_env_with(|k| std::env::var(k).ok())
    }

    /// The defaults overridden by the variables `var` gives (for tests and embedding).
    ///
    /// ```
    /// use hf_extractor::config::ExtractorConfig;
    ///
    /// let env = |k: &str| match k {
    ///     "HF_NUM_MODELS" => Some("200".to_string()),
    ///     "HF_UPDATE_RECENT" => Some("false".to_string()),
    ///     _ => None,
    /// };
    /// let config = ExtractorConfig::from_env_with(env)?;
    /// assert_eq!(config.num_models, 200);
    /// assert!(!config.update_recent);
    ///
    /// let err = ExtractorConfig::from_env_with(|k| (k == "HF_NUM_MODELS").then(|| "abc".into()))
    ///     .unwrap_err();
    /// assert!(err.to_string().starts_with("HF_NUM_MODELS=\"abc\""));
    /// # Ok::<(), hf_extractor::Error>(())
    /// ```
    pub fn from_env_with(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |k: &str| var(k).filter(|v| !v.trim().is_empty());
        let defaults = Self::default();
        Ok(Self {
            num_models: number(&get, "HF_NUM_MODELS", defaults.num_models, 0)?,
            update_recent: boolean(&get, "HF_UPDATE_RECENT", defaults.update_recent)?,
            threads: number(&get, "HF_THREADS", defaults.threads, 1)?,
            models_file_path: get("HF_MODELS_FILE_PATH")
                .map_or(defaults.models_file_path, PathBuf::from),
            enrichment_threads: number(
                &get,
                "HF_ENRICHMENT_THREADS",
                defaults.enrichment_threads,
                1,
            )?,
            cpu_threads: number(&get, "HF_CPU_THREADS", defaults.cpu_threads, 1)?,
            base_model_iterations: number(
                &get,
                "HF_BASE_MODEL_ITERATIONS",
                defaults.base_model_iterations,
                0,
            )?,
            output_dir: get("HF_OUTPUT_DIR").map_or(defaults.output_dir, PathBuf::from),
            filter_low_info: boolean(&get, "HF_FILTER_LOW_INFO", defaults.filter_low_info)?,
            since: get("HF_SINCE")
                .map(|value| {
                    value.trim().parse().map_err(|e| Error::Config {
                        variable: "HF_SINCE".into(),
                        value: value.clone(),
                        reason: format!(
                            "must be an RFC 3339 time such as 2026-11-27T00:00:00Z: {e}"
                        ),
                    })
                })
                .transpose()?,
            since_run: get("HF_SINCE_RUN").map(PathBuf::from),
            client: HfClientBuilder::from_env_with(&var).map_err(|e| Error::Config {
                variable: "HF_*".into(),
                value: String::new(),
                reason: e.to_string(),
            })?,
        })
    }
}

/// Every setting of an [`HfExtractor`](crate::HfExtractor), one method each; [`build`](Self::build) checks them and
/// makes the Hub client. Building touches no file and makes no request: the output folder is
/// created by the first run.
///
/// ```
/// use hf_extractor::HfExtractor;
///
/// let extractor = HfExtractor::builder()
///     .endpoint("http://127.0.0.1:8080")
///     .num_models(200)
///     .threads(16)
///     .base_model_iterations(2)
///     .output_dir("/tmp/runs")
///     .build()?;
/// assert_eq!(extractor.config().num_models, 200);
/// assert_eq!(extractor.client().endpoint().as_str(), "http://127.0.0.1:8080/");
///
/// let err = HfExtractor::builder().threads(0).build().unwrap_err();
/// assert!(err.to_string().starts_with("threads=\"0\""), "{err}");
/// # Ok::<(), hf_extractor::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct HfExtractorBuilder {
    config: ExtractorConfig,
}

impl HfExtractorBuilder {
    /// The documented defaults; reads no environment.
    pub fn new() -> Self {
        Self::default()
    }

    /// The defaults overridden by the process environment (the variables of the
    /// [module](self)).
    pub fn from_env() -> Result<Self> {
        ExtractorConfig::from_env().map(Self::from)
    }

    /// The defaults overridden by the variables `var` gives.
    pub fn from_env_with(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        ExtractorConfig::from_env_with(var).map(Self::from)
    }

    /// Models of the latest-N listing (`HF_NUM_MODELS`).
    pub fn num_models(mut self, n: usize) -> Self {
        self.config.num_models = n;
        self
    }

    /// List by last update (true) or by creation (false), newest first (`HF_UPDATE_RECENT`).
    pub fn update_recent(mut self, yes: bool) -> Self {
        self.config.update_recent = yes;
        self
    }

    /// Cards fetched at once (`HF_THREADS`, at least 1).
    pub fn threads(mut self, n: usize) -> Self {
        self.config.threads = n;
        self
    }

    /// The model-id file (`HF_MODELS_FILE_PATH`; a missing file is skipped).
    pub fn models_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.models_file_path = path.into();
        self
    }

    /// Related entities fetched at once (`HF_ENRICHMENT_THREADS`, at least 1).
    pub fn enrichment_threads(mut self, n: usize) -> Self {
        self.config.enrichment_threads = n;
        self
    }

    /// Threads of the run's CPU work (`HF_CPU_THREADS`, at least 1; default: the cores): cap it
    /// to leave cores to the rest of an embedding program.
    pub fn cpu_threads(mut self, n: usize) -> Self {
        self.config.cpu_threads = n;
        self
    }

    /// Generations of base models followed (`HF_BASE_MODEL_ITERATIONS`; 0: none).
    pub fn base_model_iterations(mut self, n: usize) -> Self {
        self.config.base_model_iterations = n;
        self
    }

    /// Where run folders are created (`HF_OUTPUT_DIR`).
    pub fn output_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.output_dir = dir.into();
        self
    }

    /// Drop low-information models (`HF_FILTER_LOW_INFO`).
    pub fn filter_low_info(mut self, yes: bool) -> Self {
        self.config.filter_low_info = yes;
        self
    }

    /// An incremental run: only models last modified at or after `since` (`HF_SINCE`).
    pub fn since(mut self, since: jiff::Timestamp) -> Self {
        self.config.since = Some(since);
        self
    }

    /// An incremental run after the earlier run folder `folder` (`HF_SINCE_RUN`).
    pub fn since_run(mut self, folder: impl Into<PathBuf>) -> Self {
        self.config.since_run = Some(folder.into());
        self
    }

    /// The Hub (`HF_ENDPOINT`).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.config.client = self.config.client.with_endpoint(url);
        self
    }

    /// The Hub token (`HF_TOKEN`): sent to the Hub only, never written or logged.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.config.client = self.config.client.with_token(token);
        self
    }

    /// The arXiv export API (`HF_ARXIV_ENDPOINT`).
    pub fn arxiv_endpoint(mut self, url: impl Into<String>) -> Self {
        self.config.client = self.config.client.with_arxiv_endpoint(url);
        self
    }

    /// The spacing of arXiv requests (`HF_ARXIV_DELAY_MS`).
    pub fn arxiv_delay(mut self, delay: std::time::Duration) -> Self {
        self.config.client = self.config.client.with_arxiv_delay(delay);
        self
    }

    /// Refresh the SPDX license list from this `licenses.json` (`HF_SPDX_LICENSES_URL`).
    pub fn spdx_licenses_url(mut self, url: impl Into<String>) -> Self {
        self.config.client = self.config.client.with_spdx_licenses_url(url);
        self
    }

    /// Every other setting of the Hub client (timeouts, retries, user agent…), replacing
    /// those given so far.
    pub fn client(mut self, client: HfClientBuilder) -> Self {
        self.config.client = client;
        self
    }

    /// The settings so far.
    pub fn config(&self) -> &ExtractorConfig {
        &self.config
    }

    /// The extractor. Fails, naming the setting, when a count is 0 that must not be or the
    /// client settings are invalid.
    pub fn build(self) -> Result<crate::HfExtractor> {
        for (setting, value) in [
            ("threads", self.config.threads),
            ("enrichment_threads", self.config.enrichment_threads),
            ("cpu_threads", self.config.cpu_threads),
        ] {
            if value == 0 {
                return Err(Error::Config {
                    variable: setting.into(),
                    value: value.to_string(),
                    reason: "must be at least 1".into(),
                });
            }
        }
        crate::HfExtractor::new(self.config)
    }
}

impl From<ExtractorConfig> for HfExtractorBuilder {
    fn from(config: ExtractorConfig) -> Self {
        Self { config }
    }
}

fn number(
    get: &impl Fn(&str) -> Option<String>,
    variable: &str,
    default: usize,
    min: usize,
) -> Result<usize> {
    let Some(value) = get(variable) else {
        return Ok(default);
    };
    match value.trim().parse::<usize>() {
        Ok(n) if n >= min => Ok(n),
        Ok(_) => Err(Error::Config {
            variable: variable.into(),
            value,
            reason: format!("must be at least {min}"),
        }),
        Err(_) => Err(Error::Config {
            variable: variable.into(),
            value,
            reason: "must be a whole number".into(),
        }),
    }
}

fn boolean(get: &impl Fn(&str) -> Option<String>, variable: &str, default: bool) -> Result<bool> {
    let Some(value) = get(variable) else {
        return Ok(default);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(Error::Config {
            variable: variable.into(),
            value,
            reason: "must be true or false".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let c = ExtractorConfig::from_env_with(env(&[("HOME", "/nonexistent")])).unwrap();
        assert_eq!(c.num_models, 50);
        assert!(c.update_recent);
        assert_eq!(c.threads, 4);
        assert_eq!(c.enrichment_threads, 4);
        assert_eq!(c.base_model_iterations, 1);
        assert_eq!(c.cpu_threads, crate::cpu::cores());
        assert_eq!(
            c.models_file_path,
            PathBuf::from("/data/refs/hf_model_ids.txt")
        );
        assert_eq!(c.output_dir, PathBuf::from("/data/raw/hf"));
    }

    #[test]
    fn every_variable_is_read() {
        let c = ExtractorConfig::from_env_with(env(&[
            ("HF_NUM_MODELS", "7"),
            ("HF_UPDATE_RECENT", "False"),
            ("HF_THREADS", "16"),
            ("HF_MODELS_FILE_PATH", "/tmp/ids.txt"),
            ("HF_ENRICHMENT_THREADS", "2"),
            ("HF_CPU_THREADS", "3"),
            ("HF_BASE_MODEL_ITERATIONS", "0"),
            ("HF_OUTPUT_DIR", "/tmp/out"),
            ("HF_ENDPOINT", "http://127.0.0.1:1"),
            ("HF_TOKEN", "hf_x"),
            ("HF_SINCE", "2026-11-01T10:00:00Z"),
            ("HF_SINCE_RUN", "/tmp/out/run"),
        ]))
        .unwrap();
        assert_eq!(
            c.since.map(|t| t.to_string()).as_deref(),
            Some("2026-11-01T10:00:00Z")
        );
        assert_eq!(c.since_run, Some(PathBuf::from("/tmp/out/run")));
        assert_eq!(
            (
                c.num_models,
                c.update_recent,
                c.threads,
                c.enrichment_threads,
                c.base_model_iterations
            ),
            (7, false, 16, 2, 0)
        );
        assert_eq!(c.cpu_threads, 3);
        assert_eq!(c.models_file_path, PathBuf::from("/tmp/ids.txt"));
        assert_eq!(c.output_dir, PathBuf::from("/tmp/out"));
        let client = c.client.build().unwrap();
        assert_eq!(client.endpoint().as_str(), "http://127.0.0.1:1/");
        assert_eq!(
            client.config().token.as_ref().map(|t| t.expose()),
            Some("hf_x")
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        let cases = [
            ("HF_NUM_MODELS", "abc", "whole number"),
            ("HF_NUM_MODELS", "-1", "whole number"),
            ("HF_THREADS", "0", "at least 1"),
            ("HF_ENRICHMENT_THREADS", "many", "whole number"),
            ("HF_CPU_THREADS", "0", "at least 1"),
            ("HF_UPDATE_RECENT", "maybe", "true or false"),
            ("HF_ARXIV_DELAY_MS", "soon", "HF_ARXIV_DELAY_MS"),
            ("HF_SINCE", "yesterday", "RFC 3339"),
        ];
        for (variable, value, reason) in cases {
            let err = ExtractorConfig::from_env_with(env(&[(variable, value)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(variable), "{err}");
            assert!(err.contains(reason), "{err}");
        }
    }
}
