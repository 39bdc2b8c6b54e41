//! What the offline Hub answers, before its server sends it.

use serde::Serialize;

/// One answer: status, headers (set in order, a later one replacing an earlier one of the same
/// name) and body: what the snapshot answers, or what a test answers over it
/// ([`OfflineHub::answer_over`](crate::OfflineHub::answer_over)).
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// Header names (lower case) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// An empty answer of `status`.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Set header `name` to `value` (replacing it if set).
    pub fn insert_header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// A JSON body (`application/json`).
    pub fn set_body_json(self, body: impl Serialize) -> Self {
        // Serialising a `serde_json::Value` or a derived type cannot fail.
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        self.set_body_raw(bytes, "application/json")
    }

    /// A text body (`text/plain`).
    pub fn set_body_string(self, body: impl Into<String>) -> Self {
        self.set_body_raw(body.into(), "text/plain")
    }

    /// A body of type `mime`.
    pub fn set_body_raw(mut self, body: impl Into<Vec<u8>>, mime: &str) -> Self {
        self.body = body.into();
        self.insert_header("content-type", mime)
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
