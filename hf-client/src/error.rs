//! Errors a caller can act on.
//!
//! Every variant names what was asked (a model id, a URL) and never carries the Hub token.

use std::time::Duration;

use reqwest::StatusCode;
use url::Url;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of Hub repository or resource an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResourceKind {
    /// A model repository.
    Model,
    /// A dataset repository.
    Dataset,
    /// A revision (branch, tag or commit) of a repository.
    Revision,
    /// A file inside a repository.
    Entry,
    /// A paper (arXiv id).
    Paper,
    /// Anything else the Hub answered 404 for.
    Other,
}

impl std::fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Model => "model",
            Self::Dataset => "dataset",
            Self::Revision => "revision",
            Self::Entry => "file",
            Self::Paper => "paper",
            Self::Other => "resource",
        })
    }
}

/// The Hub's own description of a failed answer: headers and a body excerpt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HubErrorInfo {
    /// The `X-Request-Id` header, to quote when reporting a problem to the Hub.
    pub request_id: Option<String>,
    /// The `X-Error-Code` header (`RepoNotFound`, `RevisionNotFound`, `EntryNotFound`, `GatedRepo`, …).
    pub error_code: Option<String>,
    /// The `X-Error-Message` header.
    pub error_message: Option<String>,
    /// The first bytes of the body (at most [`BODY_EXCERPT_LEN`] characters), lossily decoded.
    pub body_excerpt: String,
}

/// How many characters of an error body are kept in [`HubErrorInfo::body_excerpt`].
pub const BODY_EXCERPT_LEN: usize = 512;

impl std::fmt::Display for HubErrorInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut sep = "";
        if let Some(code) = &self.error_code {
            write!(f, "{sep}code {code}")?;
            sep = ", ";
        }
        if let Some(msg) = &self.error_message {
            write!(f, "{sep}message {msg:?}")?;
            sep = ", ";
        }
        if let Some(id) = &self.request_id {
            write!(f, "{sep}request id {id}")?;
            sep = ", ";
        }
        if !self.body_excerpt.is_empty() {
            write!(f, "{sep}body {:?}", self.body_excerpt)?;
        }
        Ok(())
    }
}

/// Errors of the Hub client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is invalid (a URL that does not parse, a zero concurrency, …).
    #[error("invalid configuration: {0}")]
    Config(String),

    /// The resource does not exist (or is private and the token may not see it).
    #[error("{kind} not found: {id} ({url})")]
    NotFound {
        /// What kind of resource was asked for.
        kind: ResourceKind,
        /// What was asked for (a repo id, `repo@revision`, a file path).
        id: String,
        /// The URL that answered.
        url: Url,
        /// What the Hub said.
        info: Box<HubErrorInfo>,
    },

    /// The repository is gated and the token (if any) has not been granted access.
    #[error("gated repository: {url} ({info})")]
    Gated {
        /// The URL that answered.
        url: Url,
        /// What the Hub said.
        info: Box<HubErrorInfo>,
    },

    /// The token is missing, invalid or lacks the rights for this request.
    #[error("unauthorized (HTTP {status}): {url} ({info})")]
    Unauthorized {
        /// 401 or 403.
        status: StatusCode,
        /// The URL that answered.
        url: Url,
        /// What the Hub said.
        info: Box<HubErrorInfo>,
    },

    /// The repository has been disabled by the Hub.
    #[error("disabled repository: {url} ({info})")]
    Disabled {
        /// The URL that answered.
        url: Url,
        /// What the Hub said.
        info: Box<HubErrorInfo>,
    },

    /// HTTP 429 that was not retried: the retry budget ran out, or the limit is an action limit
    /// (the quota still has requests left, e.g. "300 repository creations per day").
    #[error("rate limited: {url} (retry after {retry_after:?}; {info})")]
    RateLimited {
        /// The URL that answered.
        url: Url,
        /// The wait the server named, if any.
        retry_after: Option<Duration>,
        /// What the Hub said.
        info: Box<HubErrorInfo>,
    },

    /// Any other unsuccessful HTTP status.
    #[error("HTTP {status} from {url} ({info})")]
    Http {
        /// The status code.
        status: StatusCode,
        /// The URL that answered.
        url: Url,
        /// What the Hub said.
        info: Box<HubErrorInfo>,
    },

    /// The request did not get an answer: connection refused or reset, timeout, body cut short.
    #[error("transport error for {url}: {source}")]
    Transport {
        /// The URL that was asked.
        url: Url,
        /// The underlying error (it never contains the token).
        #[source]
        source: reqwest::Error,
    },

    /// Nothing answers at this host: every connection to it was refused, from the client's first
    /// request to it on. The client gives up after [`crate::retry::REFUSED_RETRIES`] quick
    /// retries instead of its whole retry budget (a server that is not running does not come
    /// back by waiting minutes); once a host has answered, a refusal is a [`Error::Transport`]
    /// retried like any other.
    #[error(
        "nothing answers at {origin}: connection refused (attempts: {attempts}; no answer since the start) asking {url}"
    )]
    Unreachable {
        /// The scheme, host and port refusing (`http://127.0.0.1:8080`).
        origin: String,
        /// The URL that was asked.
        url: Url,
        /// Connections tried by the request that gave up.
        attempts: usize,
    },

    /// Too many redirects, a redirect without a usable `Location`, or a redirect loop.
    #[error("bad redirect from {url}: {reason}")]
    Redirect {
        /// The URL that answered with the redirect.
        url: Url,
        /// What was wrong.
        reason: String,
    },

    /// The body could not be decoded into the expected type.
    #[error("cannot decode the answer of {url} at `{path}`: {message}")]
    Decode {
        /// The URL that answered (boxed to keep the error small).
        url: Box<Url>,
        /// The JSON path that failed (`[3].cardData.language`), or `.` for the whole document.
        path: String,
        /// What was wrong.
        message: String,
    },
}

impl Error {
    /// The HTTP status of the answer this error comes from, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::NotFound { .. } => Some(StatusCode::NOT_FOUND),
            Self::Gated { .. } | Self::Disabled { .. } => Some(StatusCode::FORBIDDEN),
            Self::RateLimited { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
            Self::Unauthorized { status, .. } | Self::Http { status, .. } => Some(*status),
            Self::Transport { source, .. } => source.status(),
            Self::Config(_)
            | Self::Redirect { .. }
            | Self::Decode { .. }
            | Self::Unreachable { .. } => None,
        }
    }

    /// True for errors that may go away when the same request is sent again later
    /// (transport failures, 408, 429, 5xx). The client already retried these within its budget.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { .. } | Self::RateLimited { .. } | Self::Unreachable { .. } => true,
            Self::Http { status, .. } => crate::retry::is_retryable_status(*status),
            _ => false,
        }
    }

    /// True when nothing answers at the host: see [`Error::Unreachable`].
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Unreachable { .. })
    }

    /// True when the resource does not exist (404, or the Hub's `RepoNotFound`-style codes).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// A short description that stays the same from one run to the next: what happened and to
    /// what, without the URL, the request id or the body (which [`Display`](std::fmt::Display)
    /// has). Meant for records written to files that should not change between two runs.
    ///
    /// ```
    /// let err = hf_client::Error::NotFound {
    ///     kind: hf_client::ResourceKind::Model,
    ///     id: "a/b".into(),
    ///     url: "http://127.0.0.1:1/api/models/a/b".parse().unwrap(),
    ///     info: Box::default(),
    /// };
    /// assert_eq!(err.summary(), "model not found: a/b");
    /// ```
    pub fn summary(&self) -> String {
        let message = |info: &HubErrorInfo| {
            info.error_message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        };
        match self {
            Self::Config(m) => format!("invalid configuration: {m}"),
            Self::NotFound { kind, id, .. } => format!("{kind} not found: {id}"),
            Self::Gated { info, .. } => format!("gated repository{}", message(info)),
            Self::Unauthorized { status, info, .. } => {
                format!("unauthorized (HTTP {}){}", status.as_u16(), message(info))
            }
            Self::Disabled { info, .. } => format!("disabled repository{}", message(info)),
            Self::RateLimited { info, .. } => format!("rate limited (HTTP 429){}", message(info)),
            Self::Http { status, info, .. } => {
                format!("HTTP {}{}", status.as_u16(), message(info))
            }
            Self::Transport { source, .. } => format!("transport error: {source}"),
            Self::Unreachable { .. } => "unreachable: connection refused".to_owned(),
            Self::Redirect { reason, .. } => format!("bad redirect: {reason}"),
            Self::Decode { path, message, .. } => {
                format!("cannot decode the answer at `{path}`: {message}")
            }
        }
    }

    /// The URL this error is about, if any.
    pub fn url(&self) -> Option<&Url> {
        match self {
            Self::NotFound { url, .. }
            | Self::Gated { url, .. }
            | Self::Unauthorized { url, .. }
            | Self::Disabled { url, .. }
            | Self::RateLimited { url, .. }
            | Self::Http { url, .. }
            | Self::Transport { url, .. }
            | Self::Unreachable { url, .. }
            | Self::Redirect { url, .. } => Some(url),
            Self::Decode { url, .. } => Some(url),
            Self::Config(_) => None,
        }
    }

    /// The Hub's description of the failed answer (`X-Request-Id`, `X-Error-Code`, …), if any.
    pub fn hub_info(&self) -> Option<&HubErrorInfo> {
        match self {
            Self::NotFound { info, .. }
            | Self::Gated { info, .. }
            | Self::Unauthorized { info, .. }
            | Self::Disabled { info, .. }
            | Self::RateLimited { info, .. }
            | Self::Http { info, .. } => Some(info),
            _ => None,
        }
    }
}
