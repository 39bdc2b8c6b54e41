//! [`CardData`]: the metadata of a model or dataset card (`cardData`, README YAML front matter).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Number, Value};

use super::{ModelIndex, OneOrMany};

/// The metadata of a card: the YAML front matter of a repository's `README.md`, which the Hub
/// also returns as `cardData` in `model_info` and listings.
///
/// Known keys get typed fields; every other key is kept in [`CardData::extra`], so no
/// information is lost and serialising gives back the Hub's JSON keys.
///
/// # Tolerance
///
/// Cards are written by hand and the Hub does not validate most keys, so reading a `CardData`
/// never fails on a value of an unexpected type. The rules, applied once, here:
///
/// * string fields and "string or list" fields ([`OneOrMany<String>`]) accept numbers and
///   booleans and turn them into their text (`language: 123` → `"123"`, `base_model: 1.5` →
///   `"1.5"`); `null` items inside a list are dropped (`license: [mit, null]` → `["mit"]`);
/// * a known key whose value is `null`, or of a type the field cannot hold even after that
///   coercion (an object where a string is expected, a list inside a list, …), leaves the field
///   `None` and is kept **verbatim in [`CardData::extra`]** under its own key;
/// * `model-index` accepts anything (see [`ModelIndex`]).
///
/// Deserialising fails only when the whole value is not a JSON object / YAML mapping.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CardData {
    /// `language`: language codes (`en`, `multilingual`, `no` for Norwegian).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<OneOrMany<String>>,
    /// `license`: a Hub license id (`apache-2.0`, `other`, …); datasets may list several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<OneOrMany<String>>,
    /// `license_name`: the name of a custom license, used with `license: other`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_name: Option<String>,
    /// `license_link`: a link to a custom license, used with `license: other`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_link: Option<String>,
    /// `datasets`: datasets used for training (usually Hub dataset ids).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datasets: Option<OneOrMany<String>>,
    /// `base_model`: the model(s) this one derives from; a list for merges. Not always a Hub id
    /// (auto-generated cards may carry a local path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_model: Option<OneOrMany<String>>,
    /// `base_model_relation`: `adapter`, `merge`, `quantized` or `finetune`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_model_relation: Option<String>,
    /// `tags`: free tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<OneOrMany<String>>,
    /// `metrics`: metric ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<OneOrMany<String>>,
    /// `pipeline_tag`: the task (`text-generation`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline_tag: Option<String>,
    /// `library_name`: the library (`transformers`, `peft`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub library_name: Option<String>,
    /// `model-index`: evaluation results.
    #[serde(rename = "model-index", skip_serializing_if = "Option::is_none")]
    pub model_index: Option<ModelIndex>,
    /// `co2_eq_emissions`: grams of CO₂, or an object with details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub co2_eq_emissions: Option<Co2EqEmissions>,
    /// `inference`: whether the inference widget is enabled, or its parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inference: Option<CardInference>,
    /// `thumbnail`: an image URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
    /// `widget`: example inputs for the Hub's widget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub widget: Option<Vec<Value>>,
    /// `extra_gated_fields`: the form a user fills in to request access (name → field type).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_gated_fields: Option<Map<String, Value>>,
    /// Dataset cards: `task_categories`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_categories: Option<OneOrMany<String>>,
    /// Dataset cards: `task_ids`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_ids: Option<OneOrMany<String>>,
    /// Dataset cards: `size_categories` (`10K<n<100K`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_categories: Option<OneOrMany<String>>,
    /// Dataset cards: `multilinguality`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multilinguality: Option<OneOrMany<String>>,
    /// Dataset cards: `annotations_creators`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations_creators: Option<OneOrMany<String>>,
    /// Dataset cards: `language_creators`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language_creators: Option<OneOrMany<String>>,
    /// Dataset cards: `config_names`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_names: Option<OneOrMany<String>>,
    /// Dataset cards: `pretty_name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// Legacy dataset cards: `languages` (old spelling of `language`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub languages: Option<OneOrMany<String>>,
    /// Legacy dataset cards: `licenses` (old spelling of `license`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licenses: Option<OneOrMany<String>>,
    /// Every other key, and known keys whose value could not be typed, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `co2_eq_emissions` card key.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Co2EqEmissions {
    /// Emissions in grams of CO₂ equivalent.
    Grams(Number),
    /// An object `{emissions, source, training_type, geographical_location, hardware_used}`.
    Details(Map<String, Value>),
}

/// The `inference` card key.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum CardInference {
    /// `inference: false` disables the widget.
    Enabled(bool),
    /// `inference: {parameters: {...}}`: widget parameters.
    Settings(Map<String, Value>),
}

impl CardData {
    /// Reads card data from a JSON object, following the tolerance rules of [`CardData`].
    pub fn from_map(map: Map<String, Value>) -> Self {
        let mut fields = Fields { extra: map };
        let f = &mut fields;
        Self {
            language: f.strings("language"),
            license: f.strings("license"),
            license_name: f.string("license_name"),
            license_link: f.string("license_link"),
            datasets: f.strings("datasets"),
            base_model: f.strings("base_model"),
            base_model_relation: f.string("base_model_relation"),
            tags: f.strings("tags"),
            metrics: f.strings("metrics"),
            pipeline_tag: f.string("pipeline_tag"),
            library_name: f.string("library_name"),
            model_index: f.take("model-index", |v| Ok(ModelIndex::from(v))),
            co2_eq_emissions: f.take("co2_eq_emissions", |v| match v {
                Value::Number(n) => Ok(Co2EqEmissions::Grams(n)),
                Value::Object(m) => Ok(Co2EqEmissions::Details(m)),
                other => Err(other),
            }),
            inference: f.take("inference", |v| match v {
                Value::Bool(b) => Ok(CardInference::Enabled(b)),
                Value::Object(m) => Ok(CardInference::Settings(m)),
                other => Err(other),
            }),
            thumbnail: f.string("thumbnail"),
            widget: f.take("widget", |v| match v {
                Value::Array(items) => Ok(items),
                other => Err(other),
            }),
            extra_gated_fields: f.take("extra_gated_fields", |v| match v {
                Value::Object(m) => Ok(m),
                other => Err(other),
            }),
            task_categories: f.strings("task_categories"),
            task_ids: f.strings("task_ids"),
            size_categories: f.strings("size_categories"),
            multilinguality: f.strings("multilinguality"),
            annotations_creators: f.strings("annotations_creators"),
            language_creators: f.strings("language_creators"),
            config_names: f.strings("config_names"),
            pretty_name: f.string("pretty_name"),
            languages: f.strings("languages"),
            licenses: f.strings("licenses"),
            extra: fields.extra,
        }
    }

    /// Reads card data from a JSON value; `None` unless it is an object.
    pub fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Object(map) => Some(Self::from_map(map)),
            _ => None,
        }
    }

    /// The card data as a JSON value, with the Hub's keys (the shape of `cardData`).
    pub fn to_value(&self) -> Value {
        // Serialising these types cannot fail: every map key is a string.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Language codes from `language`, or from the legacy `languages` key when `language` is
    /// absent.
    pub fn language_codes(&self) -> &[String] {
        self.language
            .as_ref()
            .or(self.languages.as_ref())
            .map_or(&[], OneOrMany::as_slice)
    }

    /// License ids from `license`, or from the legacy `licenses` key when `license` is absent.
    pub fn license_ids(&self) -> &[String] {
        self.license
            .as_ref()
            .or(self.licenses.as_ref())
            .map_or(&[], OneOrMany::as_slice)
    }

    /// Base model references from `base_model`.
    pub fn base_models(&self) -> &[String] {
        self.base_model.as_ref().map_or(&[], OneOrMany::as_slice)
    }
}

impl<'de> Deserialize<'de> for CardData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::<String, Value>::deserialize(deserializer).map(Self::from_map)
    }
}

/// The keys not yet taken; what is left becomes `extra`.
struct Fields {
    extra: Map<String, Value>,
}

impl Fields {
    /// Takes `key` and converts it; a `null` or a value `convert` gives back stays in `extra`.
    fn take<T>(&mut self, key: &str, convert: impl FnOnce(Value) -> Result<T, Value>) -> Option<T> {
        let value = self.extra.remove(key)?;
        if value.is_null() {
            self.extra.insert(key.to_owned(), value);
            return None;
        }
        match convert(value) {
            Ok(typed) => Some(typed),
            Err(value) => {
                self.extra.insert(key.to_owned(), value);
                None
            }
        }
    }

    fn string(&mut self, key: &str) -> Option<String> {
        self.take(key, |v| scalar_text(&v).ok_or(v))
    }

    fn strings(&mut self, key: &str) -> Option<OneOrMany<String>> {
        self.take(key, |v| match &v {
            Value::Array(items) => {
                let mut texts = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::Null => {}
                        other => match scalar_text(other) {
                            Some(text) => texts.push(text),
                            None => return Err(v),
                        },
                    }
                }
                Ok(OneOrMany::Many(texts))
            }
            other => scalar_text(other).map(OneOrMany::One).ok_or(v),
        })
    }
}

/// The text of a string, number or boolean.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::{CardData, CardInference, Co2EqEmissions};
    use crate::wire::OneOrMany;
    use serde_json::{Value, json};

    fn one(s: &str) -> Option<OneOrMany<String>> {
        Some(OneOrMany::One(s.to_owned()))
    }

    fn many(items: &[&str]) -> Option<OneOrMany<String>> {
        Some(OneOrMany::Many(
            items.iter().map(|s| (*s).to_owned()).collect(),
        ))
    }

    #[test]
    fn string_or_list_fields_are_tolerant() {
        // (input value of `language`, expected field, expected leftover in extra)
        let cases: Vec<(Value, Option<OneOrMany<String>>, Option<Value>)> = vec![
            (json!("en"), one("en"), None),
            (json!("no"), one("no"), None),
            (json!(["en", "no"]), many(&["en", "no"]), None),
            (json!(123), one("123"), None),
            (json!(1.5), one("1.5"), None),
            (json!(false), one("false"), None),
            (json!(["mit", null]), many(&["mit"]), None),
            (json!([]), many(&[]), None),
            (json!(null), None, Some(json!(null))),
            (json!({"a": 1}), None, Some(json!({"a": 1}))),
            (json!(["en", ["fr"]]), None, Some(json!(["en", ["fr"]]))),
        ];
        for (input, expected, leftover) in cases {
            let card = CardData::from_value(json!({ "language": input.clone() })).unwrap();
            assert_eq!(card.language, expected, "{input}");
            assert_eq!(card.extra.get("language"), leftover.as_ref(), "{input}");
        }
    }

    #[test]
    fn mixed_type_keys() {
        let card = CardData::from_value(json!({
            "co2_eq_emissions": 12.5,
            "inference": false,
            "thumbnail": null,
            "model-index": {"name": "x"},
            "widget": "not a list",
            "licenses": ["cc-by-4.0"],
            "languages": ["en"],
            "new_version": "org/next",
        }))
        .unwrap();
        assert!(matches!(
            card.co2_eq_emissions,
            Some(Co2EqEmissions::Grams(_))
        ));
        assert_eq!(card.inference, Some(CardInference::Enabled(false)));
        assert_eq!(card.thumbnail, None);
        assert_eq!(card.extra.get("thumbnail"), Some(&json!(null)));
        assert!(card.model_index.as_ref().unwrap().is_invalid());
        assert_eq!(card.widget, None);
        assert_eq!(card.extra.get("widget"), Some(&json!("not a list")));
        assert_eq!(card.language_codes(), ["en"]);
        assert_eq!(card.license_ids(), ["cc-by-4.0"]);
        assert_eq!(card.extra.get("new_version"), Some(&json!("org/next")));

        let details = CardData::from_value(json!({
            "co2_eq_emissions": {"emissions": 1, "source": "x"},
            "inference": {"parameters": {"temperature": 0.7}},
        }))
        .unwrap();
        assert!(matches!(
            details.co2_eq_emissions,
            Some(Co2EqEmissions::Details(_))
        ));
        assert!(matches!(
            details.inference,
            Some(CardInference::Settings(_))
        ));
    }

    #[test]
    fn serialises_back_with_hub_keys() {
        let input = json!({
            "language": ["en", "no"],
            "license": "apache-2.0",
            "base_model": "mistralai/Mistral-7B-v0.1",
            "model-index": [{"name": "m", "results": []}],
            "thumbnail": null,
            "extra_gated_fields": {"Country": "country"},
            "unknown": {"deep": [1, 2]},
        });
        let card: CardData = serde_json::from_value(input.clone()).unwrap();
        assert_eq!(card.to_value(), input);
        assert_eq!(card.base_models(), ["mistralai/Mistral-7B-v0.1"]);
    }

    #[test]
    fn only_objects_are_card_data() {
        assert!(CardData::from_value(json!([])).is_none());
        assert!(serde_json::from_value::<CardData>(json!("x")).is_err());
        assert_eq!(CardData::from_value(json!({})), Some(CardData::default()));
    }
}
