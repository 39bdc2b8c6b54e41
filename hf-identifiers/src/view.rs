//! The borrowed view of one model, and the evidence prepared from it once for all identifiers.

use serde_json::Value;

use crate::Provenance;
use crate::card_text::CardScan;
use crate::lenient;

/// A borrowed view of one model: everything the identifiers read.
///
/// Defined here so that this crate does not depend on the HTTP stack: the client crate (or a test)
/// adapts its own types into this view. Every field but `id` may be empty.
#[derive(Debug, Clone, Copy, Default)]
pub struct ModelView<'a> {
    /// The model id, `owner/name` (or a legacy single-name id such as `gpt2`).
    pub id: &'a str,
    /// The Hub's `tags` (which include tags the Hub derived from the card: `license:`, `dataset:`, …).
    pub tags: &'a [String],
    /// The API's `pipeline_tag`.
    pub pipeline_tag: Option<&'a str>,
    /// The API's `library_name`.
    pub library_name: Option<&'a str>,
    /// The card's front matter as JSON (the API's `cardData`, or the README's YAML parsed by the caller).
    pub card_data: Option<&'a Value>,
    /// The card's markdown body, without the front matter.
    pub card_text: Option<&'a str>,
    /// The API's `baseModels` (an `expand` field), in whatever shape it comes:
    /// `{"relation": "finetune", "models": [{"id": "…"}]}`, a list of such objects, a list of ids, …
    pub base_models: Option<&'a Value>,
    /// The raw YAML front matter, used by the lenient reader when `card_data` is absent or is not a
    /// mapping (the front matter did not parse).
    pub raw_front_matter: Option<&'a str>,
}

impl<'a> ModelView<'a> {
    /// A view with only an id; fill the other fields with struct update syntax.
    pub fn new(id: &'a str) -> Self {
        Self {
            id,
            ..Self::default()
        }
    }
}

/// The card data an identifier reads: the parsed front matter, or what the lenient reader recovered.
#[derive(Debug)]
enum CardData<'a> {
    None,
    Parsed(&'a Value),
    Lenient(Value),
}

/// Everything the identifiers need from one model, prepared once: the view, the effective card data
/// and one scan of the card text.
///
/// Build it with [`Evidence::new`] and hand it to any [`EntityIdentifier`](crate::EntityIdentifier);
/// [`identify_all`](crate::identify_all) does this for you.
#[derive(Debug)]
pub struct Evidence<'a> {
    view: ModelView<'a>,
    card: CardData<'a>,
    scan: CardScan,
}

impl<'a> Evidence<'a> {
    /// Prepares the evidence of one model. Linear in the size of the card text.
    pub fn new(view: &ModelView<'a>) -> Self {
        let card = match view.card_data {
            Some(v @ Value::Object(_)) => CardData::Parsed(v),
            _ => match view.raw_front_matter {
                Some(raw) => CardData::Lenient(lenient::read_front_matter(raw)),
                None => CardData::None,
            },
        };
        let scan = view.card_text.map(CardScan::scan).unwrap_or_default();
        Self {
            view: *view,
            card,
            scan,
        }
    }

    /// The model view.
    pub fn view(&self) -> &ModelView<'a> {
        &self.view
    }

    /// The model id.
    pub fn model_id(&self) -> &'a str {
        self.view.id
    }

    /// The Hub's tags.
    pub fn tags(&self) -> &'a [String] {
        self.view.tags
    }

    pub(crate) fn scan(&self) -> &CardScan {
        &self.scan
    }

    /// The provenance of the card data: `card_data`, or `card_data_lenient` when it was recovered
    /// line by line from a front matter that does not parse.
    pub fn card_provenance(&self) -> Provenance {
        match self.card {
            CardData::Lenient(_) => Provenance::CardDataLenient,
            _ => Provenance::CardData,
        }
    }

    /// The value of one card data key, if there is card data and it has the key.
    pub fn card_value(&self, key: &str) -> Option<&Value> {
        match &self.card {
            CardData::None => None,
            CardData::Parsed(v) => v.get(key),
            CardData::Lenient(v) => v.get(key),
        }
    }

    /// A card data key that may be a string or a list of strings, as a list (numbers and booleans are
    /// written out, nested values skipped, blanks dropped).
    pub fn card_strings(&self, key: &str) -> Vec<String> {
        string_or_list(self.card_value(key))
    }

    /// A card data key holding one string.
    pub fn card_string(&self, key: &str) -> Option<String> {
        match self.card_value(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            _ => None,
        }
    }

    /// The card's `tags`, as a list.
    pub fn card_tags(&self) -> Vec<String> {
        self.card_strings("tags")
    }

    /// Every tag with its provenance: the Hub's tags first, then the card's `tags`.
    pub fn all_tags(&self) -> Vec<(&str, Provenance)> {
        let mut out: Vec<(&str, Provenance)> = self
            .view
            .tags
            .iter()
            .map(|t| (t.as_str(), Provenance::Tag))
            .collect();
        let card = self.card_provenance();
        if let Some(Value::Array(items)) = self.card_value("tags") {
            for item in items {
                if let Value::String(s) = item {
                    out.push((s.as_str(), card));
                }
            }
        } else if let Some(Value::String(s)) = self.card_value("tags") {
            out.push((s.as_str(), card));
        }
        out
    }
}

/// Reads a "string or list of strings" value.
pub(crate) fn string_or_list(value: Option<&Value>) -> Vec<String> {
    fn scalar(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    let mut out = Vec::new();
    match value {
        Some(Value::Array(items)) => out.extend(items.iter().filter_map(scalar)),
        Some(v) => out.extend(scalar(v)),
        None => {}
    }
    out.retain(|s| !s.is_empty());
    out
}
