//! [`ModelIndex`]: the `model-index` evaluation results, valid or not.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// The `model-index` key of a card (evaluation results), as found in `model_info` and in
/// `cardData`.
///
/// It should be a list of `{name, results: [{task, dataset, metrics}]}` entries, but old
/// repositories carry other shapes (an object, a string). Those are kept in
/// [`ModelIndex::Invalid`] instead of failing the whole body. `null` is read as "absent" by the
/// `Option<ModelIndex>` fields that hold it.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelIndex {
    /// A list of entries, as the model card specification asks (entries kept as JSON).
    Entries(Vec<Value>),
    /// Any other JSON value, kept verbatim.
    Invalid(Value),
}

impl ModelIndex {
    /// The entries if the model index is a valid list, else `None`.
    pub fn entries(&self) -> Option<&[Value]> {
        match self {
            Self::Entries(entries) => Some(entries),
            Self::Invalid(_) => None,
        }
    }

    /// Whether the model index is not a list.
    pub fn is_invalid(&self) -> bool {
        matches!(self, Self::Invalid(_))
    }
}

impl From<Value> for ModelIndex {
    fn from(value: Value) -> Self {
        match value {
            Value::Array(entries) => Self::Entries(entries),
            other => Self::Invalid(other),
        }
    }
}

impl Serialize for ModelIndex {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Entries(entries) => entries.serialize(serializer),
            Self::Invalid(value) => value.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ModelIndex {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::ModelIndex;
    use serde_json::json;

    #[test]
    fn list_or_anything_else() {
        let cases = [
            (json!([{"name": "m", "results": []}]), false),
            (json!([]), false),
            (json!({"name": "Waynehills-STT-doogie-server"}), true),
            (json!("oops"), true),
        ];
        for (input, invalid) in cases {
            let parsed: ModelIndex = serde_json::from_value(input.clone()).unwrap();
            assert_eq!(parsed.is_invalid(), invalid, "{input}");
            assert_eq!(parsed.entries().is_none(), invalid);
            assert_eq!(serde_json::to_value(&parsed).unwrap(), input);
        }
        let none: Option<ModelIndex> = serde_json::from_value(json!(null)).unwrap();
        assert_eq!(none, None);
    }
}
