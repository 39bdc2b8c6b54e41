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
