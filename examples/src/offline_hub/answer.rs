//! What the offline Hub answers, before a server sends it: wiremock's
//! [`ResponseTemplate`](wiremock::ResponseTemplate) for the snapshot Hub (so tests can mount
//! answers over it), or a plain HTTP response for the synthetic Hub's own
//! [`LatencyServer`](super::latency_server::LatencyServer).

use serde::Serialize;

/// One answer: status, headers (set in order, a later one replacing an earlier one of the same
/// name) and body. The builder methods mirror [`wiremock::ResponseTemplate`]'s.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    /// An empty answer of `status`.
    pub(crate) fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Set header `name` to `value` (replacing it if set).
    pub(crate) fn insert_header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// A JSON body (`application/json`).
    pub(crate) fn set_body_json(self, body: impl Serialize) -> Self {
        // Serialising a `serde_json::Value` or a derived type cannot fail.
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        self.set_body_raw(bytes, "application/json")
    }

    /// A text body (`text/plain`).
    pub(crate) fn set_body_string(self, body: impl Into<String>) -> Self {
        self.set_body_raw(body.into(), "text/plain")
    }

    /// A body of type `mime`.
    pub(crate) fn set_body_raw(mut self, body: impl Into<Vec<u8>>, mime: &str) -> Self {
        self.body = body.into();
        self.insert_header("content-type", mime)
    }
}

impl From<Answer> for wiremock::ResponseTemplate {
    fn from(answer: Answer) -> Self {
        let content_type = answer
            .headers
            .iter()
            .find(|(n, _)| n == "content-type")
            .map(|(_, v)| v.clone());
        let mut template = wiremock::ResponseTemplate::new(answer.status);
        template = match content_type {
            Some(mime) => template.set_body_raw(answer.body, mime.as_str()),
            None if answer.body.is_empty() => template,
            None => template.set_body_bytes(answer.body),
        };
        for (name, value) in &answer.headers {
            if name != "content-type" {
                template = template.insert_header(name.as_str(), value.as_str());
            }
        }
        template
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_later_header_replaces_an_earlier_one_of_the_same_name() {
        let answer = Answer::new(200)
            .insert_header("X-One", "1")
            .set_body_json(serde_json::json!({"a": 1}))
            .insert_header("x-one", "2");
        assert_eq!(
            answer.headers,
            vec![
                ("content-type".to_owned(), "application/json".to_owned()),
                ("x-one".to_owned(), "2".to_owned()),
            ]
        );
        assert_eq!(answer.body, br#"{"a":1}"#);
        let text = Answer::new(307).set_body_string("Temporary Redirect.");
        assert_eq!(text.headers[0].1, "text/plain");
    }
}
