//! [`HubTimestamp`]: a Hub date that never makes a body fail to parse.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A date the Hub sends as ISO-8601 text (`lastModified`, `createdAt`), e.g.
/// `2022-03-02T23:29:04.000Z`.
///
/// The text is kept exactly as sent (so serialising gives back the same JSON) and parsed once
/// into a [`jiff::Timestamp`] when it is valid. A malformed date is kept as raw text and
/// [`HubTimestamp::timestamp`] returns `None`: a bad date never makes a whole body fail.
/// A non-string JSON value is kept as its JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubTimestamp {
    raw: String,
    parsed: Option<jiff::Timestamp>,
}

impl HubTimestamp {
    /// Wraps the text of a date, parsing it if it is a valid RFC 3339 / ISO-8601 instant.
    pub fn new(raw: impl Into<String>) -> Self {
        let raw = raw.into();
        let parsed = raw.parse::<jiff::Timestamp>().ok();
        Self { raw, parsed }
    }

    /// The date as sent by the Hub.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The parsed instant, or `None` if the text is not a valid date.
    pub fn timestamp(&self) -> Option<jiff::Timestamp> {
        self.parsed
    }
}

impl From<jiff::Timestamp> for HubTimestamp {
    fn from(timestamp: jiff::Timestamp) -> Self {
        Self {
            raw: timestamp.to_string(),
            parsed: Some(timestamp),
        }
    }
}

impl std::fmt::Display for HubTimestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.raw)
    }
}

impl Serialize for HubTimestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for HubTimestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(deserializer)? {
            Value::String(s) => Self::new(s),
            other => Self::new(other.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::HubTimestamp;

    #[test]
    fn valid_and_invalid_dates() {
        let cases = [
            (
                "\"2022-03-02T23:29:04.000Z\"",
                "2022-03-02T23:29:04.000Z",
                Some(1_646_263_744),
            ),
            (
                "\"2025-01-30T12:00:00+01:00\"",
                "2025-01-30T12:00:00+01:00",
                Some(1_738_234_800),
            ),
            ("\"yesterday\"", "yesterday", None),
            ("\"2022-13-45\"", "2022-13-45", None),
            ("17", "17", None),
        ];
        for (json, raw, seconds) in cases {
            let t: HubTimestamp = serde_json::from_str(json).unwrap();
            assert_eq!(t.as_str(), raw);
            assert_eq!(t.timestamp().map(|t| t.as_second()), seconds, "{json}");
            if json.starts_with('"') {
                assert_eq!(serde_json::to_string(&t).unwrap(), json);
            }
        }
    }
}
