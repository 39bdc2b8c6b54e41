//! [`Gated`]: the Hub's `gated` field, `false` or a string.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// Whether access to a repository is gated, from the `gated` field.
///
/// The Hub sends `false` (not gated), `"auto"` (access granted automatically after the user
/// accepts the conditions) or `"manual"` (the authors review each request). Anything else
/// (a new mode, `true`, a number) is kept verbatim in [`Gated::Other`], so deserialising a
/// `Gated` never fails, and serialising gives back the JSON it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gated {
    /// `false`: anyone can download the files.
    No,
    /// `"auto"`: access is granted as soon as the user accepts the conditions.
    Auto,
    /// `"manual"`: the repository authors approve each access request.
    Manual,
    /// Any other value, kept as sent.
    Other(Value),
}

impl Gated {
    /// Whether the repository is gated in any way (everything but [`Gated::No`]).
    pub fn is_gated(&self) -> bool {
        !matches!(
            self,
            Self::No | Self::Other(Value::Bool(false)) | Self::Other(Value::Null)
        )
    }
}

impl From<Value> for Gated {
    fn from(value: Value) -> Self {
        match value {
            Value::Bool(false) => Self::No,
            Value::String(s) if s == "auto" => Self::Auto,
            Value::String(s) if s == "manual" => Self::Manual,
            other => Self::Other(other),
        }
    }
}

impl Serialize for Gated {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::No => serializer.serialize_bool(false),
            Self::Auto => serializer.serialize_str("auto"),
            Self::Manual => serializer.serialize_str("manual"),
            Self::Other(value) => value.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Gated {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::Gated;
    use serde_json::json;

    #[test]
    fn every_form_round_trips() {
        let cases = [
            (json!(false), Gated::No, false),
            (json!("auto"), Gated::Auto, true),
            (json!("manual"), Gated::Manual, true),
            (json!("someday"), Gated::Other(json!("someday")), true),
            (json!(true), Gated::Other(json!(true)), true),
            (json!(3), Gated::Other(json!(3)), true),
        ];
        for (input, expected, gated) in cases {
            let parsed: Gated = serde_json::from_value(input.clone()).unwrap();
            assert_eq!(parsed, expected, "{input}");
            assert_eq!(parsed.is_gated(), gated, "{input}");
            assert_eq!(serde_json::to_value(&parsed).unwrap(), input);
        }
    }
}
