//! Model cards: a repository's `README.md`, split into YAML front matter and Markdown body.
//!
//! The transport fetches `GET /{id}/resolve/{revision}/README.md`; [`ModelCard::parse`] turns
//! the text into a [`ModelCard`]. Parsing never fails: a card without front matter has no
//! metadata, and a card whose YAML is broken keeps its body and reports the error in
//! [`ModelCard::yaml_error`].
//!
//! The YAML is read safely with `serde-saphyr`:
//!
//! * YAML 1.2 booleans only (`strict_booleans`), so `language: no` stays the string `"no"`
//!   (Norwegian) instead of `false`;
//! * explicit resource budgets ([`MAX_FRONT_MATTER_BYTES`], [`MAX_YAML_DEPTH`],
//!   [`MAX_YAML_ALIASES`], [`MAX_ALIAS_REPLAYED_EVENTS`], [`MAX_YAML_NODES`]), so alias bombs
//!   ("billion laughs") and huge documents are rejected quickly;
//! * duplicate keys: the last one wins (as the Hub's Python tooling does); `.nan` / `.inf` are
//!   kept as text.
//!
//! The YAML is first converted to JSON ([`ModelCard::metadata`], the same shape as the API's
//! `cardData`, for code that takes `serde_json::Value`), then read into [`CardData`] with the
//! same tolerant rules as the API's JSON. Non-string mapping keys (`1: x`) become their text;
//! YAML dates (`2024-01-01`) stay strings; integers beyond 64 bits become floating-point
//! numbers; complex (sequence or mapping) keys are a YAML error.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::wire::CardData;

/// Front matter larger than this (in bytes) is not parsed: the card keeps its body and reports
/// a YAML error.
pub const MAX_FRONT_MATTER_BYTES: usize = 4 * 1024 * 1024;
/// Maximum nesting depth of YAML sequences and mappings.
pub const MAX_YAML_DEPTH: usize = 64;
/// Maximum number of YAML aliases (`*name`) and of anchors (`&name`).
pub const MAX_YAML_ALIASES: usize = 10_000;
/// Maximum number of parser events replayed by alias expansion over the whole document.
pub const MAX_ALIAS_REPLAYED_EVENTS: usize = 200_000;
/// Maximum number of YAML nodes (scalars, sequences, mappings).
pub const MAX_YAML_NODES: usize = 500_000;

/// A model card (`README.md`), split into front matter and body.
///
/// ```
/// use hf_client::card::ModelCard;
///
/// let card = ModelCard::parse("---\nlanguage: no\nlicense: apache-2.0\n---\n# Model\n");
/// let data = card.card_data.unwrap();
/// assert_eq!(data.language_codes(), ["no"]);
/// assert_eq!(data.license_ids(), ["apache-2.0"]);
/// assert_eq!(card.body, "# Model\n");
/// assert_eq!(card.yaml_error, None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// The raw YAML between the `---` fences, or `None` when the card has no front matter.
    pub front_matter: Option<String>,
    /// The front matter converted to JSON (the shape of the API's `cardData`); `None` when there
    /// is no front matter, it is empty, or it could not be read.
    pub metadata: Option<Value>,
    /// The front matter as typed card data; `None` in the same cases as `metadata`.
    pub card_data: Option<CardData>,
    /// Why the front matter could not be read (with its line in the file when known).
    pub yaml_error: Option<String>,
    /// The Markdown after the front matter (the whole text when there is none). Line endings
    /// are kept as they were; a leading byte-order mark is removed.
    pub body: String,
}

impl ModelCard {
    /// The body of a card — what [`parse`](Self::parse) gives as `body` — without reading its
    /// front matter (no YAML is parsed).
    ///
    /// ```
    /// use hf_client::card::ModelCard;
    ///
    /// let text = "---\nlicense: mit\n---\n# Model\n";
    /// assert_eq!(ModelCard::body_of(text), "# Model\n");
    /// assert_eq!(ModelCard::body_of(text), ModelCard::parse(text).body);
    /// assert_eq!(ModelCard::body_of("\u{feff}# No front matter"), "# No front matter");
    /// ```
    pub fn body_of(text: &str) -> &str {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        split_front_matter(text).map_or(text, |(_, body)| body)
    }

    /// Splits and parses a card. Never fails and never panics.
    ///
    /// Front matter must start on the first line with a `---` line and end with the next
    /// `---` line (trailing spaces and `\r\n` line endings allowed). Without a closing fence
    /// the whole text is the body.
    pub fn parse(text: &str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let Some((yaml, body)) = split_front_matter(text) else {
            return Self {
                body: text.to_owned(),
                ..Self::default()
            };
        };
        let mut card = Self {
            front_matter: Some(yaml.to_owned()),
            body: body.to_owned(),
            ..Self::default()
        };
        match parse_metadata(yaml) {
            Ok(None) => {}
            Ok(Some(Value::Object(map))) => {
                card.card_data = Some(CardData::from_map(map.clone()));
                card.metadata = Some(Value::Object(map));
            }
            Ok(Some(other)) => {
                card.yaml_error = Some(format!(
                    "card metadata must be a YAML mapping, found {}",
                    kind_of(&other)
                ));
            }
            Err(error) => card.yaml_error = Some(error),
        }
        card
    }
}

/// Parses front-matter YAML into JSON with the budgets of this module.
///
/// `Ok(None)` for an empty document (or one that is just `null`). The error text names the
/// line in the card file (the YAML starts on line 2, after the opening `---`).
pub fn parse_metadata(yaml: &str) -> Result<Option<Value>, String> {
    if yaml.len() > MAX_FRONT_MATTER_BYTES {
        return Err(format!(
            "front matter is {} bytes, more than the {MAX_FRONT_MATTER_BYTES} bytes allowed",
            yaml.len()
        ));
    }
    if yaml.trim().is_empty() {
        return Ok(None);
    }
    match serde_saphyr::from_str_with_options::<Value>(yaml, yaml_options()) {
        Ok(Value::Null) => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(error) => Err(describe(&error)),
    }
}

fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_YAML_DEPTH,
            max_aliases: MAX_YAML_ALIASES,
            max_anchors: MAX_YAML_ALIASES,
            max_nodes: MAX_YAML_NODES,
            max_events: 2 * MAX_YAML_NODES,
            max_total_scalar_bytes: MAX_FRONT_MATTER_BYTES,
            max_documents: 1,
            max_recorded_anchor_events: MAX_ALIAS_REPLAYED_EVENTS,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_ALIAS_REPLAYED_EVENTS,
            max_replay_stack_depth: 32,
            max_alias_expansions_per_anchor: MAX_YAML_ALIASES,
        },
        strict_booleans: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::LastWins,
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::AsString,
        with_snippet: false,
    }
}

/// The error message, its line counted in the card file (the YAML starts on line 2, after the
/// opening `---`), e.g. `invalid indentation at line 4, column 3`.
fn describe(error: &serde_saphyr::Error) -> String {
    error.render_with_options(serde_saphyr::render_options! {
        snippets: serde_saphyr::SnippetMode::Off,
        line_offset: 1,
    })
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Splits `---\n<yaml>---\n<body>`; `None` when the text does not start with a fence line or
/// has no closing fence.
fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let (first, mut rest) = text.split_once('\n')?;
    if !is_fence(first) {
        return None;
    }
    let yaml_start = text.len() - rest.len();
    loop {
        let line_start = text.len() - rest.len();
        let (line, after) = match rest.split_once('\n') {
            Some((line, after)) => (line, after),
            None => (rest, ""),
        };
        if is_fence(line) {
            let yaml = text.get(yaml_start..line_start)?;
            return Some((yaml, after));
        }
        if after.is_empty() {
            return None;
        }
        rest = after;
    }
}

fn is_fence(line: &str) -> bool {
    line.trim_end_matches([' ', '\t', '\r']) == "---"
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::{ModelCard, parse_metadata, split_front_matter};
    use crate::wire::OneOrMany;
    use serde_json::json;

    #[test]
    fn splitting() {
        // (text, expected (yaml, body))
        let cases: &[(&str, Option<(&str, &str)>)] = &[
            ("---\na: 1\n---\nbody\n", Some(("a: 1\n", "body\n"))),
            (
                "---\r\na: 1\r\n---\r\nbody\r\n",
                Some(("a: 1\r\n", "body\r\n")),
            ),
            ("---  \na: 1\n--- \nbody", Some(("a: 1\n", "body"))),
            ("---\n---\nbody", Some(("", "body"))),
            ("---\na: 1\n---", Some(("a: 1\n", ""))),
            ("---\na: 1\n---\n", Some(("a: 1\n", ""))),
            ("---\na: 1\n----\nb\n", None),
            ("---\na: 1\n", None),
            ("---", None),
            ("", None),
            ("# Title\n---\na: 1\n---\n", None),
            ("\n---\na: 1\n---\n", None),
            (
                "---\na: 1\n---\nx\n---\ny\n",
                Some(("a: 1\n", "x\n---\ny\n")),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(split_front_matter(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn norwegian_stays_norwegian() {
        let cases: &[(&str, OneOrMany<String>)] = &[
            ("language: no\n", OneOrMany::One("no".into())),
            (
                "language: [en, \"no\"]\n",
                OneOrMany::Many(vec!["en".into(), "no".into()]),
            ),
            (
                "language:\n- en\n- no\n",
                OneOrMany::Many(vec!["en".into(), "no".into()]),
            ),
            ("language: yes\n", OneOrMany::One("yes".into())),
            ("language: 123\n", OneOrMany::One("123".into())),
        ];
        for (yaml, expected) in cases {
            let card = ModelCard::parse(&format!("---\n{yaml}---\n"));
            assert_eq!(card.yaml_error, None, "{yaml}");
            assert_eq!(
                card.card_data.unwrap().language.as_ref(),
                Some(expected),
                "{yaml}"
            );
        }
    }

    #[test]
    fn yaml_values_become_json() {
        let value = parse_metadata(
            "license: apache-2.0\ndate: 2024-01-01\nflag: true\nn: 12\nx: 1.5\nnan: .nan\n1: one\nempty:\nd: 1\nd: 2\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            value,
            json!({"license": "apache-2.0", "date": "2024-01-01", "flag": true, "n": 12,
                   "x": 1.5, "nan": ".nan", "1": "one", "empty": null, "d": 2})
        );
        let big =
            parse_metadata("big: 123456789012345678901234567890\nneg: -99999999999999999999\n");
        assert!(big.is_ok(), "{big:?}");
        let complex_key = parse_metadata("? [a, b]\n: x\n");
        assert!(complex_key.is_err());
    }

    #[test]
    fn empty_and_null_front_matter() {
        for text in [
            "---\n---\nbody",
            "---\n\n  \n---\nbody",
            "---\nnull\n---\nbody",
            "---\n~\n---\nbody",
        ] {
            let card = ModelCard::parse(text);
            assert!(card.front_matter.is_some(), "{text:?}");
            assert_eq!(card.card_data, None);
            assert_eq!(card.yaml_error, None);
            assert_eq!(card.body, "body");
        }
    }

    #[test]
    fn broken_yaml_keeps_the_body_and_reports_the_line() {
        let card = ModelCard::parse("---\nlicense: mit\ntags: [a, b\nfoo: bar\n---\n# Body\n");
        assert_eq!(card.card_data, None);
        assert_eq!(card.body, "# Body\n");
        let error = card.yaml_error.unwrap();
        assert!(error.ends_with("at line 4, column 4"), "{error}");

        let card = ModelCard::parse("---\na: &x 1\nb: *y\n---\n");
        assert!(card.yaml_error.unwrap().contains("line 3"));

        let card = ModelCard::parse("---\n- a\n- b\n---\nbody");
        assert!(card.yaml_error.unwrap().contains("a list"));
        assert_eq!(card.body, "body");
    }

    #[test]
    fn bom_is_removed() {
        let card = ModelCard::parse("\u{feff}---\nlicense: mit\n---\nbody");
        assert_eq!(card.card_data.unwrap().license_ids(), ["mit"]);
        let card = ModelCard::parse("\u{feff}# Title");
        assert_eq!(card.body, "# Title");
    }

    #[test]
    fn alias_bomb_is_rejected_quickly() {
        let bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n\
                    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n\
                    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n\
                    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n\
                    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n\
                    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n\
                    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n\
                    h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n\
                    i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
        let start = std::time::Instant::now();
        let card = ModelCard::parse(&format!("---\n{bomb}---\n# Body\n"));
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        assert!(card.yaml_error.is_some());
        assert_eq!(card.card_data, None);
        assert_eq!(card.body, "# Body\n");
    }

    #[test]
    fn too_large_and_too_deep_are_rejected() {
        let huge = format!(
            "---\nx: \"{}\"\n---\nbody",
            "a".repeat(super::MAX_FRONT_MATTER_BYTES)
        );
        let card = ModelCard::parse(&huge);
        assert!(card.yaml_error.unwrap().contains("bytes"));
        assert_eq!(card.body, "body");

        let deep = format!("---\nx: {}{}\n---\n", "[".repeat(200), "]".repeat(200));
        assert!(ModelCard::parse(&deep).yaml_error.is_some());
    }
}

#[cfg(test)]
mod proptests {
    use super::ModelCard;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parse_never_panics_on_any_text(text in any::<String>()) {
            let card = ModelCard::parse(&text);
            prop_assert!(text.ends_with(&card.body));
            prop_assert_eq!(ModelCard::body_of(&text), card.body.as_str());
        }

        #[test]
        fn parse_never_panics_on_yaml_like_text(
            yaml in "[a-z0-9 :\\-\\[\\]{}&*!|>'\"#,?\n\r\t.~]{0,200}",
            body in ".{0,40}",
        ) {
            let text = format!("---\n{yaml}\n---\n{body}");
            let card = ModelCard::parse(&text);
            prop_assert!(card.front_matter.is_some());
            prop_assert_eq!(card.card_data.is_some(), card.metadata.is_some());
            prop_assert_eq!(ModelCard::body_of(&text), card.body.as_str());
        }
    }
}
