//! A finished answer: the body read whole, with the URL asked and the URL that answered.

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{BODY_EXCERPT_LEN, Error, HubErrorInfo, ResourceKind, Result};

/// An answer of the Hub (or of another source) after retries and redirects.
#[derive(Debug, Clone)]
pub struct HubResponse {
    /// The URL that was asked first.
    pub requested_url: Url,
    /// The URL that answered last (differs from `requested_url` after a redirect).
    pub url: Url,
    /// The final status.
    pub status: StatusCode,
    /// The final headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl HubResponse {
    /// True when the request was answered through at least one redirect.
    pub fn was_redirected(&self) -> bool {
        self.requested_url != self.url
    }

    /// A header as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `ETag` header (weak or strong), as sent.
    pub fn etag(&self) -> Option<&str> {
        self.header("etag")
    }

    /// Decode the body as JSON into `T`; on failure the error names the JSON path that failed.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        decode_json(&self.body, &self.url)
    }

    /// The body as UTF-8 text (invalid sequences are a decode error).
    pub fn text(&self) -> Result<&str> {
        std::str::from_utf8(&self.body).map_err(|e| Error::Decode {
            url: Box::new(self.url.clone()),
            path: ".".into(),
            message: format!("body is not UTF-8: {e}"),
        })
    }

    /// What the Hub said about a failed answer: its error headers and a body excerpt.
    pub fn error_info(&self) -> HubErrorInfo {
        HubErrorInfo {
            request_id: self.header("x-request-id").map(str::to_owned),
            error_code: self.header("x-error-code").map(str::to_owned),
            error_message: self.header("x-error-message").map(str::to_owned),
            body_excerpt: excerpt(&self.body),
        }
    }

    /// Turn an unsuccessful status into the typed [`Error`]; a 2xx answer passes through.
    ///
    /// `kind` and `id` say what was asked for, so that a 404 names it.
    pub fn error_for_status(self, kind: ResourceKind, id: &str) -> Result<Self> {
        if self.status.is_success() {
            return Ok(self);
        }
        Err(self.into_error(kind, id))
    }

    /// The typed [`Error`] for this (unsuccessful) answer.
    pub fn into_error(self, kind: ResourceKind, id: &str) -> Error {
        let info = Box::new(self.error_info());
        let url = self.url;
        let code = info.error_code.as_deref();
        let message = info.error_message.as_deref().unwrap_or_default();
        match (self.status.as_u16(), code) {
            (_, Some("GatedRepo")) => Error::Gated { url, info },
            (_, Some("RepoNotFound")) => not_found(kind, id, url, info),
            (_, Some("RevisionNotFound")) => not_found(ResourceKind::Revision, id, url, info),
            (_, Some("EntryNotFound")) => not_found(ResourceKind::Entry, id, url, info),
            (403, _) if message.contains("disabled") => Error::Disabled { url, info },
            (404, _) => not_found(kind, id, url, info),
            (401 | 403, _) => Error::Unauthorized {
                status: self.status,
                url,
                info,
            },
            (429, _) => Error::RateLimited {
                url,
                retry_after: crate::rate_limit::retry_after(&self.headers, jiff::Timestamp::now()),
                info,
            },
            _ => Error::Http {
                status: self.status,
                url,
                info,
            },
        }
    }
}

fn not_found(kind: ResourceKind, id: &str, url: Url, info: Box<HubErrorInfo>) -> Error {
    Error::NotFound {
        kind,
        id: id.to_owned(),
        url,
        info,
    }
}

/// Decode JSON with the failing path in the error.
pub(crate) fn decode_json<T: DeserializeOwned>(body: &[u8], url: &Url) -> Result<T> {
    // Decoded without tracking where it is (a third faster on a listing page of 1,000
    // models); only a body that fails is decoded again, to name where it failed.
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        Error::Decode {
            url: Box::new(url.clone()),
            path,
            message: e.into_inner().to_string(),
        }
    })
}

/// The first [`BODY_EXCERPT_LEN`] characters of a body, lossily decoded.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(BODY_EXCERPT_LEN * 4)]);
    text.chars().take(BODY_EXCERPT_LEN).collect()
}
