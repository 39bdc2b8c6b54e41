//! [`OneOrMany`]: a value the Hub sends either alone or in a list.

use serde::{Deserialize, Serialize};

/// A value that may come as a single item or as a list of items.
///
/// Card metadata keys such as `language`, `license`, `datasets` and `base_model` are written
/// either way (`language: en` or `language: [en, fr]`). `OneOrMany` accepts both and remembers
/// which form it came in, so serialising gives back the same JSON shape. Read it through
/// [`OneOrMany::as_slice`] / [`OneOrMany::iter`] and never care about the form.
///
/// ```
/// use hf_client::wire::OneOrMany;
///
/// let one: OneOrMany<String> = serde_json::from_str(r#""en""#).unwrap();
/// let many: OneOrMany<String> = serde_json::from_str(r#"["en", "fr"]"#).unwrap();
/// assert_eq!(one.as_slice(), ["en"]);
/// assert_eq!(many.iter().count(), 2);
/// assert_eq!(serde_json::to_string(&one).unwrap(), r#""en""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// The value was given alone (`language: en`).
    One(T),
    /// The value was given as a list (`language: [en, fr]`), possibly empty.
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The items, whatever form they came in.
    pub fn as_slice(&self) -> &[T] {
        match self {
            Self::One(item) => std::slice::from_ref(item),
            Self::Many(items) => items,
        }
    }

    /// An iterator over the items.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.as_slice().iter()
    }

    /// The first item, if any.
    pub fn first(&self) -> Option<&T> {
        self.as_slice().first()
    }

    /// How many items there are.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether there are no items (only possible for an empty list).
    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    /// Whether the value came as a list.
    pub fn is_many(&self) -> bool {
        matches!(self, Self::Many(_))
    }

    /// The items as a vector.
    pub fn into_vec(self) -> Vec<T> {
        match self {
            Self::One(item) => vec![item],
            Self::Many(items) => items,
        }
    }
}

impl<T> From<T> for OneOrMany<T> {
    fn from(item: T) -> Self {
        Self::One(item)
    }
}

impl<T> From<Vec<T>> for OneOrMany<T> {
    fn from(items: Vec<T>) -> Self {
        Self::Many(items)
    }
}

impl<'a, T> IntoIterator for &'a OneOrMany<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::OneOrMany;

    #[test]
    fn deserialises_both_forms_and_serialises_back_the_same() {
        let cases: &[(&str, &[&str], bool)] = &[
            (r#""en""#, &["en"], false),
            (r#"["en"]"#, &["en"], true),
            (r#"["en","no"]"#, &["en", "no"], true),
            (r#"[]"#, &[], true),
        ];
        for (json, items, many) in cases {
            let value: OneOrMany<String> = serde_json::from_str(json).unwrap();
            assert_eq!(value.as_slice(), *items, "{json}");
            assert_eq!(value.is_many(), *many, "{json}");
            assert_eq!(value.len(), items.len());
            assert_eq!(&serde_json::to_string(&value).unwrap(), json);
        }
    }

    #[test]
    fn rejects_other_shapes_with_an_error() {
        for json in ["1", "null", r#"{"a":"b"}"#, r#"["en", 1]"#, "true"] {
            assert!(
                serde_json::from_str::<OneOrMany<String>>(json).is_err(),
                "{json}"
            );
        }
    }

    #[test]
    fn accessors() {
        let one = OneOrMany::from("a".to_owned());
        assert_eq!(one.first().map(String::as_str), Some("a"));
        assert_eq!(one.clone().into_vec(), vec!["a".to_owned()]);
        let empty: OneOrMany<String> = Vec::new().into();
        assert!(empty.is_empty());
        assert_eq!(empty.first(), None);
        assert_eq!((&one).into_iter().count(), 1);
    }
}
