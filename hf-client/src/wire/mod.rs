//! Wire models: the JSON the Hub sends, typed, tolerant and lossless.
//!
//! * [`ModelInfo`] — a model from `GET /api/models/{id}` or one item of `GET /api/models`
//!   (with or without `expand[]`).
//! * [`CardData`] — a card's metadata (`cardData`, or the YAML front matter of a README, see
//!   [`crate::card`]).
//! * The fields that change type on the Hub get one type each, normalised here, at the edge:
//!   [`OneOrMany`] (string or list), [`Gated`] (`false` | `"auto"` | `"manual"`),
//!   [`ModelIndex`] (list or invalid object), [`ProviderMapping`] (object or list),
//!   [`HubTimestamp`] (a date that never fails a body).
//!
//! Every type keeps the keys it does not know in a flattened `extra` map and serialises back
//! with the Hub's key names, so a body can be stored and read again without loss.

mod card_data;
mod gated;
mod model_index;
mod model_info;
mod one_or_many;
mod provider_mapping;
mod timestamp;

pub use card_data::{CardData, CardInference, Co2EqEmissions};
pub use gated::Gated;
pub use model_index::ModelIndex;
pub use model_info::{LfsInfo, ModelInfo, SafeTensorsInfo, Sibling, TransformersInfo};
pub use one_or_many::OneOrMany;
pub use provider_mapping::ProviderMapping;
pub use timestamp::HubTimestamp;

#[cfg(test)]
mod proptests {
    use super::{CardData, Gated, ModelIndex, ModelInfo, OneOrMany};
    use proptest::prelude::*;
    use serde_json::Value;

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "[a-z0-9 ]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-z_-]{0,8}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_json_never_panics(value in json()) {
            let text = value.to_string();
            let _ = serde_json::from_str::<OneOrMany<String>>(&text);
            let _ = serde_json::from_str::<ModelInfo>(&text);
            let gated = serde_json::from_str::<Gated>(&text);
            prop_assert!(gated.is_ok());
            prop_assert!(serde_json::from_str::<ModelIndex>(&text).is_ok());
            if let Ok(card) = serde_json::from_str::<CardData>(&text) {
                // Serialising back and reading again is stable.
                let again: CardData = serde_json::from_value(card.to_value()).unwrap_or_default();
                prop_assert_eq!(again.to_value(), card.to_value());
            }
        }

        #[test]
        fn card_data_accepts_any_value_under_known_keys(value in json()) {
            for key in ["language", "license", "base_model", "datasets", "tags", "model-index",
                        "co2_eq_emissions", "inference", "thumbnail", "widget", "extra_gated_fields"] {
                let mut map = serde_json::Map::new();
                map.insert(key.to_owned(), value.clone());
                let card = CardData::from_map(map);
                // Either typed or kept verbatim: never lost.
                prop_assert!(card.to_value().get(key).is_some(), "{} lost", key);
            }
        }
    }
}
