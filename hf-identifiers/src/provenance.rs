//! Where a reference was found.

use serde::{Deserialize, Serialize};

/// Where in a model's metadata a reference was found.
///
/// Serialised in `snake_case`: `api`, `tag`, `card_data`, `card_data_lenient`, `card_text`.
/// The variants are ordered from the most to the least structured source, and every reference
/// lists its provenances in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// A structured field of the Hub API: `pipeline_tag`, `library_name`, `baseModels`.
    Api,
    /// One of the model's `tags` (as served by the Hub, which derives many of them from the card).
    Tag,
    /// The card's YAML front matter as parsed by the Hub (the API's `cardData`).
    CardData,
    /// The card's YAML front matter, read line by line because it does not parse as YAML.
    ///
    /// The Hub shows no `cardData` and derives no tags for such a card, but the lines are still
    /// the author's declaration.
    CardDataLenient,
    /// The markdown body of the card (links, citations, the Trainer's sentences).
    CardText,
}

impl Provenance {
    /// Whether this provenance is a structured declaration (everything except [`Provenance::CardText`]).
    pub fn is_declared(self) -> bool {
        !matches!(self, Provenance::CardText)
    }
}

/// Inserts `p` into a sorted, deduplicated list of provenances.
pub(crate) fn add_provenance(list: &mut Vec<Provenance>, p: Provenance) {
    if let Err(at) = list.binary_search(&p) {
        list.insert(at, p);
    }
}
