//! Configuration: [`HfClientBuilder`], its defaults, and the Hub token as a secret.

use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use crate::client::HfClient;
use crate::error::{Error, Result};
use crate::retry::RetryConfig;

/// The Hub the client talks to unless told otherwise (`HF_ENDPOINT`).
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";
/// The arXiv export API (`HF_ARXIV_ENDPOINT`); queries go to `{it}/api/query`.
pub const DEFAULT_ARXIV_ENDPOINT: &str = "https://export.arxiv.org";
/// arXiv's terms of use: at most one request every three seconds (`HF_ARXIV_DELAY_MS`).
pub const DEFAULT_ARXIV_DELAY: Duration = Duration::from_secs(3);
/// How many requests may be in flight at once, over all hosts.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 8;
/// How long one attempt of one request may take, connect to last body byte.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long establishing a connection may take.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How many redirects one request may follow (the Hub uses one for renamed repos and file downloads).
pub const DEFAULT_MAX_REDIRECTS: usize = 5;
/// The user agent sent with every request.
pub const USER_AGENT: &str = concat!("hf-extractor/", env!("CARGO_PKG_VERSION"));

/// A secret string (the Hub token): never shown by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Only the transport should need this.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The validated configuration of an [`HfClient`]; see [`HfClientBuilder`] for each setting.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Base URL of the Hub (no trailing slash).
    pub endpoint: Url,
    /// The Hub token, sent only to the Hub's own host.
    pub token: Option<Secret>,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Requests in flight at once (all hosts together).
    pub max_in_flight: usize,
    /// Time limit of one attempt.
    pub timeout: Duration,
    /// Time limit to connect.
    pub connect_timeout: Duration,
    /// Retry policy for transient failures.
    pub retry: RetryConfig,
    /// Redirects followed per request.
    pub max_redirects: usize,
    /// Base URL of the arXiv export API.
    pub arxiv_endpoint: Url,
    /// Minimum spacing of two arXiv requests.
    pub arxiv_delay: Duration,
    /// Where to refresh the SPDX license list from (`None`: use the embedded list).
    pub spdx_licenses_url: Option<Url>,
}

/// Builds an [`HfClient`].
///
/// [`HfClientBuilder::new`] starts from the documented defaults and reads nothing from the
/// environment; [`HfClientBuilder::from_env`] reads the Hub's usual variables. Only
/// [`HfClientBuilder::build`] can fail.
///
/// ```
/// use std::time::Duration;
/// use hf_client::HfClientBuilder;
///
/// let client = HfClientBuilder::new()
///     .with_endpoint("http://127.0.0.1:8080")
///     .with_max_in_flight(16)
///     .with_timeout(Duration::from_secs(10))
///     .build()?;
/// assert_eq!(client.endpoint().as_str(), "http://127.0.0.1:8080/");
/// # Ok::<(), hf_client::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct HfClientBuilder {
    endpoint: String,
    token: Option<Secret>,
    user_agent: String,
    max_in_flight: usize,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryConfig,
    max_redirects: usize,
    arxiv_endpoint: String,
    arxiv_delay: Duration,
    spdx_licenses_url: Option<String>,
}

impl Default for HfClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl HfClientBuilder {
    /// The defaults, with no token. Reads nothing from the environment.
    pub fn new() -> Self {
        Self {
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            token: None,
            user_agent: USER_AGENT.to_owned(),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: RetryConfig::default(),
            max_redirects: DEFAULT_MAX_REDIRECTS,
            arxiv_endpoint: DEFAULT_ARXIV_ENDPOINT.to_owned(),
            arxiv_delay: DEFAULT_ARXIV_DELAY,
            spdx_licenses_url: None,
        }
    }

    /// The defaults, overridden by the environment as the Hub's own clients read it:
    ///
    /// - `HF_ENDPOINT`: the Hub's base URL;
    /// - `HF_TOKEN`; else the file named by `HF_TOKEN_PATH`; else `$HF_HOME/token`
    ///   (`HF_HOME` defaults to `~/.cache/huggingface`). A missing token file means no token.
    /// - `HF_ARXIV_ENDPOINT`, `HF_ARXIV_DELAY_MS`, `HF_SPDX_LICENSES_URL`.
    ///
    /// Values are checked by [`build`](Self::build), except `HF_ARXIV_DELAY_MS`, which must be a
    /// whole number of milliseconds: a bad value is an error naming the variable.
    pub fn from_env() -> Result<Self> {
        Self::from_env_with(|key| std::env::var(key).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `var` (for tests and embedding).
    pub fn from_env_with(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let var = |key: &str| var(key).filter(|v| !v.trim().is_empty());
        let mut builder = Self::new();
        if let Some(endpoint) = var("HF_ENDPOINT") {
            builder.endpoint = endpoint;
        }
        builder.token = match var("HF_TOKEN") {
            Some(token) => Some(Secret::new(token.trim())),
            None => {
                let path = match var("HF_TOKEN_PATH") {
                    Some(path) => Some(PathBuf::from(path)),
                    None => var("HF_HOME")
                        .map(PathBuf::from)
                        .or_else(|| var("HOME").map(|h| Path::new(&h).join(".cache/huggingface")))
                        .map(|home| home.join("token")),
                };
                path.and_then(|p| read_token_file(&p))
            }
        };
        if let Some(endpoint) = var("HF_ARXIV_ENDPOINT") {
            builder.arxiv_endpoint = endpoint;
        }
        if let Some(ms) = var("HF_ARXIV_DELAY_MS") {
            let ms: u64 = ms.trim().parse().map_err(|_| {
                Error::Config(format!(
                    "HF_ARXIV_DELAY_MS must be a whole number of milliseconds, got {ms:?}"
                ))
            })?;
            builder.arxiv_delay = Duration::from_millis(ms);
        }
        if let Some(url) = var("HF_SPDX_LICENSES_URL") {
            builder.spdx_licenses_url = Some(url);
        }
        Ok(builder)
    }

    /// The Hub's base URL (default [`DEFAULT_ENDPOINT`]).
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// The Hub token (default: none). It is sent only to the endpoint's host.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Secret::new(token));
        self
    }

    /// Remove the token, e.g. after [`from_env`](Self::from_env) found one.
    pub fn without_token(mut self) -> Self {
        self.token = None;
        self
    }

    /// The user agent (default [`USER_AGENT`]).
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Requests in flight at once (default [`DEFAULT_MAX_IN_FLIGHT`]; must be at least 1).
    pub fn with_max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n;
        self
    }

    /// Time limit of one attempt of one request (default [`DEFAULT_TIMEOUT`]).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time limit to connect (default [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The retry policy (default [`RetryConfig::default`]).
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Redirects followed per request (default [`DEFAULT_MAX_REDIRECTS`]).
    pub fn with_max_redirects(mut self, n: usize) -> Self {
        self.max_redirects = n;
        self
    }

    /// The arXiv export API's base URL (default [`DEFAULT_ARXIV_ENDPOINT`]).
    pub fn with_arxiv_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.arxiv_endpoint = endpoint.into();
        self
    }

    /// Minimum spacing of two arXiv requests (default [`DEFAULT_ARXIV_DELAY`]; tests use zero).
    pub fn with_arxiv_delay(mut self, delay: Duration) -> Self {
        self.arxiv_delay = delay;
        self
    }

    /// Refresh the SPDX license list from this `licenses.json` URL instead of using the embedded one.
    pub fn with_spdx_licenses_url(mut self, url: impl Into<String>) -> Self {
        self.spdx_licenses_url = Some(url.into());
        self
    }

    /// Validate the settings and build the client.
    pub fn build(self) -> Result<HfClient> {
        let config = self.into_config()?;
        HfClient::from_config(config)
    }

    fn into_config(self) -> Result<ClientConfig> {
        if self.max_in_flight == 0 {
            return Err(Error::Config("max_in_flight must be at least 1".into()));
        }
        if self.timeout.is_zero() {
            return Err(Error::Config("timeout must be more than zero".into()));
        }
        if let Some(token) = &self.token
            && (token.expose().is_empty() || token.expose().chars().any(|c| c.is_control()))
        {
            return Err(Error::Config(
                "the token is empty or holds control characters".into(),
            ));
        }
        Ok(ClientConfig {
            endpoint: parse_base_url("endpoint", &self.endpoint)?,
            token: self.token,
            user_agent: self.user_agent,
            max_in_flight: self.max_in_flight,
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            retry: self.retry,
            max_redirects: self.max_redirects,
            arxiv_endpoint: parse_base_url("arXiv endpoint", &self.arxiv_endpoint)?,
            arxiv_delay: self.arxiv_delay,
            spdx_licenses_url: self
                .spdx_licenses_url
                .as_deref()
                .map(|u| parse_url("SPDX licenses URL", u))
                .transpose()?,
        })
    }
}

fn parse_url(what: &str, value: &str) -> Result<Url> {
    let url = Url::parse(value.trim())
        .map_err(|e| Error::Config(format!("the {what} {value:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::Config(format!(
            "the {what} {value:?} must be an http(s) URL with a host"
        )));
    }
    Ok(url)
}

/// A base URL: http(s), a host, no query or fragment; the path always ends in `/` so joins append.
fn parse_base_url(what: &str, value: &str) -> Result<Url> {
    let mut url = parse_url(what, value)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "the {what} {value:?} must not have a query or fragment"
        )));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn read_token_file(path: &Path) -> Option<Secret> {
    let text = std::fs::read_to_string(path).ok()?;
    let token = text.trim();
    (!token.is_empty()).then(|| Secret::new(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_need_no_environment() {
        let config = HfClientBuilder::new().into_config().unwrap();
        assert_eq!(config.endpoint.as_str(), "https://huggingface.co/");
        assert!(config.token.is_none());
        assert_eq!(config.max_in_flight, DEFAULT_MAX_IN_FLIGHT);
        assert!(config.user_agent.starts_with("hf-extractor/"));
    }

    #[test]
    fn token_comes_from_hf_token_first() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "hf_file\n").unwrap();
        let path = file.to_str().unwrap();
        let b =
            HfClientBuilder::from_env_with(env(&[("HF_TOKEN", "hf_env"), ("HF_TOKEN_PATH", path)]))
                .unwrap();
        assert_eq!(b.token.unwrap().expose(), "hf_env");
        let b = HfClientBuilder::from_env_with(env(&[("HF_TOKEN_PATH", path)])).unwrap();
        assert_eq!(b.token.unwrap().expose(), "hf_file");
    }

    #[test]
    fn token_falls_back_to_hf_home_then_home() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "  hf_home  ").unwrap();
        let home = dir.path().to_str().unwrap();
        let b = HfClientBuilder::from_env_with(env(&[("HF_HOME", home)])).unwrap();
        assert_eq!(b.token.unwrap().expose(), "hf_home");

        let user = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(user.path().join(".cache/huggingface")).unwrap();
        std::fs::write(user.path().join(".cache/huggingface/token"), "hf_default").unwrap();
        let b = HfClientBuilder::from_env_with(env(&[("HOME", user.path().to_str().unwrap())]))
            .unwrap();
        assert_eq!(b.token.unwrap().expose(), "hf_default");

        let b = HfClientBuilder::from_env_with(env(&[("HF_TOKEN_PATH", "/nonexistent/token")]))
            .unwrap();
        assert!(b.token.is_none());
    }

    #[test]
    fn debug_never_shows_the_token() {
        let b = HfClientBuilder::new().with_token("hf_SECRET_value");
        assert!(!format!("{b:?}").contains("hf_SECRET"));
        let client = b.build().unwrap();
        assert!(!format!("{client:?}").contains("hf_SECRET"));
    }

    #[test]
    fn build_validates_urls_and_numbers() {
        let err = HfClientBuilder::new()
            .with_endpoint("not a url")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("not a url"), "{err}");
        assert!(
            HfClientBuilder::new()
                .with_endpoint("ftp://x")
                .build()
                .is_err()
        );
        assert!(
            HfClientBuilder::new()
                .with_max_in_flight(0)
                .build()
                .is_err()
        );
        assert!(
            HfClientBuilder::new()
                .with_arxiv_endpoint("nope")
                .build()
                .is_err()
        );
        let err = HfClientBuilder::from_env_with(env(&[("HF_ARXIV_DELAY_MS", "abc")])).unwrap_err();
        assert!(err.to_string().contains("HF_ARXIV_DELAY_MS"), "{err}");
    }

    #[test]
    fn endpoint_paths_end_with_a_slash() {
        let config = HfClientBuilder::new()
            .with_endpoint("http://localhost:1234/mirror")
            .into_config()
            .unwrap();
        assert_eq!(config.endpoint.as_str(), "http://localhost:1234/mirror/");
    }
}
