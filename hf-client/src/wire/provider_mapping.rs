//! [`ProviderMapping`]: which inference providers serve a model.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// One inference provider serving a model, from `inferenceProviderMapping`.
///
/// `model_info` sends an object keyed by provider name
/// (`{"fal-ai": {"status": "live", "providerId": "…", "task": "text-to-image"}}`), list
/// responses send a list of entries carrying a `provider` key. Both are read into a list of
/// `ProviderMapping` with the provider name in each entry; it is serialised back as the list
/// form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderMapping {
    /// The provider name (`fal-ai`, `together`, `hf-inference`, …).
    pub provider: String,
    /// `status`: `live` or `staging`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `providerId`: the model's id at the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// `task`: the task served (`conversational`, `text-to-image`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// `adapter`: the adapter type, for LoRA-served models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter: Option<String>,
    /// `adapterWeightsPath`: the adapter weights file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter_weights_path: Option<String>,
    /// `type`: the mapping type (`single-model`, `tag-filter`, …).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `isModelAuthor`: whether the provider is the model's author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_model_author: Option<bool>,
    /// Any other key, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reads `inferenceProviderMapping` from an object keyed by provider, or from a list.
pub(crate) fn deserialize_mappings<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<ProviderMapping>>, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Null => Ok(None),
        Value::Array(items) => items
            .into_iter()
            .map(|item| serde_json::from_value(item).map_err(D::Error::custom))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Value::Object(by_provider) => by_provider
            .into_iter()
            .map(|(provider, entry)| {
                let mut entry = match entry {
                    Value::Object(fields) => fields,
                    other => {
                        return Err(D::Error::custom(format!(
                            "inference provider `{provider}`: expected an object, got {other}"
                        )));
                    }
                };
                entry.insert("provider".to_owned(), Value::String(provider));
                serde_json::from_value(Value::Object(entry)).map_err(D::Error::custom)
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        other => Err(D::Error::custom(format!(
            "inferenceProviderMapping: expected an object or a list, got {other}"
        ))),
    }
}

/// Writes `inferenceProviderMapping` in its list form.
pub(crate) fn serialize_mappings<S: Serializer>(
    mappings: &Option<Vec<ProviderMapping>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    mappings.serialize(serializer)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::{ProviderMapping, deserialize_mappings};
    use serde_json::json;

    fn read(value: serde_json::Value) -> Result<Option<Vec<ProviderMapping>>, serde_json::Error> {
        deserialize_mappings(value)
    }

    #[test]
    fn object_and_list_forms_give_the_same_entries() {
        let object = json!({
            "fal-ai": {"status": "live", "providerId": "fal-ai/flux/dev", "task": "text-to-image"},
            "together": {"status": "staging", "providerId": "x", "task": "text-to-image",
                         "adapter": "lora", "adapterWeightsPath": "w.safetensors", "type": "single-model",
                         "isModelAuthor": false, "hfModelId": "a/b"},
        });
        let list = json!([
            {"provider": "fal-ai", "status": "live", "providerId": "fal-ai/flux/dev", "task": "text-to-image"},
            {"provider": "together", "status": "staging", "providerId": "x", "task": "text-to-image",
             "adapter": "lora", "adapterWeightsPath": "w.safetensors", "type": "single-model",
             "isModelAuthor": false, "hfModelId": "a/b"},
        ]);
        let from_object = read(object).unwrap().unwrap();
        let from_list = read(list.clone()).unwrap().unwrap();
        assert_eq!(from_object, from_list);
        assert_eq!(from_object[1].provider, "together");
        assert_eq!(from_object[1].kind.as_deref(), Some("single-model"));
        assert_eq!(from_object[1].extra.get("hfModelId"), Some(&json!("a/b")));
        assert_eq!(serde_json::to_value(&from_list).unwrap(), list);
    }

    #[test]
    fn other_shapes() {
        assert_eq!(read(json!(null)).unwrap(), None);
        assert_eq!(read(json!({})).unwrap(), Some(vec![]));
        assert!(read(json!("x")).is_err());
        assert!(read(json!({"fal-ai": 1})).is_err());
    }
}
