//! Languages: the card's `language` (authoritative), tags that are ISO 639-1 codes or that the
//! card declares, and the model-card template's `- **Language(s) (NLP):** …` line (language names
//! in English or in the language itself) when the metadata declares none.

use serde::{Deserialize, Serialize};

use crate::collect::{Collector, Mergeable, merge_provenance};
use crate::vocab::iso639::{ISO_639_1, ISO_639_2_TO_1, ISO_639_OTHER_3};
use crate::{EntityIdentifier, EntityKind, Evidence, Provenance};

/// Common Hub tags that happen to be ISO 639-3 codes: never languages unless the card declares them.
/// (Three-letter tags are only taken as languages when declared anyway; the table documents why.)
pub const NOT_LANGUAGE_TAGS: &[&str] = &[
    "asr", "bio", "cot", "cpu", "gan", "hub", "jax", "kto", "law", "llm", "med", "mlx", "moe",
    "mpt", "new", "opt", "pip", "ppo", "rag", "sam", "trl", "tts", "vae", "vit",
];

/// Two-letter ISO 639-1 codes that are far more often something else as a free tag (`cv` computer
/// vision, `sd` Stable Diffusion): languages only when the card declares them.
pub const AMBIGUOUS_TWO_LETTER_TAGS: &[&str] = &["cv", "sd"];

/// A language of the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LanguageRef {
    /// The language: an ISO 639-1 code when there is one (`de` for `de`, `deu` or `ger`), else the
    /// declared code or name lowercased (`yue`, `multilingual`).
    pub id: String,
    /// The text it came from (`en-US`, `language:fr`).
    pub raw: String,
    /// Where it was found.
    pub provenance: Vec<Provenance>,
    /// The region or script subtag, when one was given (`US`, `Hans`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtag: Option<String>,
    /// Whether `id` is an ISO 639 code known to this crate's tables (ISO 639-1, ISO 639-2 and common
    /// ISO 639-3 codes); `false` for `multilingual`, `code`, names and unknown codes.
    pub iso: bool,
}

impl Mergeable for LanguageRef {
    fn key(&self) -> String {
        // `en` and `en-US` are one language; the first subtag found is kept.
        self.id.clone()
    }
    fn sort_id(&self) -> &str {
        &self.id
    }
    fn merge(&mut self, other: Self) {
        merge_provenance(&mut self.provenance, &other.provenance);
        self.subtag = self.subtag.take().or(other.subtag);
    }
}

/// A normalised language code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language {
    /// The language id (see [`LanguageRef::id`]).
    pub id: String,
    /// The subtag, case-normalised (`US`, `Hans`).
    pub subtag: Option<String>,
    /// Whether the id is a known ISO 639 code.
    pub iso: bool,
}

/// Normalises a language value: `en`, `EN`, `en-US`, `zh_Hans`, `deu`, `ger`, `multilingual`.
pub fn normalize_language(raw: &str) -> Option<Language> {
    let s = raw.trim().trim_matches(['"', '\'']).trim();
    if s.is_empty()
        || s.len() > 40
        || !s
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    {
        return None;
    }
    let (primary, rest) = match s.find(['-', '_']) {
        Some(at) => (s.get(..at).unwrap_or(""), s.get(at + 1..)),
        None => (s, None),
    };
    let primary = primary.to_ascii_lowercase();
    let is_code = primary.bytes().all(|c| c.is_ascii_lowercase());
    let (id, iso) = match primary.len() {
        2 if is_code && ISO_639_1.binary_search(&primary.as_str()).is_ok() => (primary, true),
        3 if is_code => {
            match ISO_639_2_TO_1.binary_search_by(|(t, _)| (*t).cmp(primary.as_str())) {
                Ok(at) => match ISO_639_2_TO_1.get(at) {
                    Some((_, one)) => ((*one).to_string(), true),
                    None => (primary, false),
                },
                Err(_) => {
                    let iso = ISO_639_OTHER_3.binary_search(&primary.as_str()).is_ok();
                    (primary, iso)
                }
            }
        }
        _ => {
            // Not a code: keep the whole value (`multilingual`, `code`, `en-and-fr`).
            return Some(Language {
                id: s.to_ascii_lowercase(),
                subtag: None,
                iso: false,
            });
        }
    };
    if !iso {
        return Some(Language {
            id: s.to_ascii_lowercase(),
            subtag: None,
            iso: false,
        });
    }
    let subtag = rest.filter(|r| !r.is_empty()).map(|r| match r.len() {
        2 => r.to_ascii_uppercase(),
        4 => {
            let mut t = r.to_ascii_lowercase();
            if let Some(first) = t.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            t
        }
        _ => r.to_string(),
    });
    Some(Language { id, subtag, iso })
}

/// The card's declared languages, as (normalised, raw) pairs. YAML 1.1 readers turn `no` (Norwegian)
/// into `false`; a boolean `false` is read back as `no`.
fn declared(ev: &Evidence<'_>) -> Vec<(Language, String)> {
    ev.card_strings("language")
        .into_iter()
        .filter_map(|raw| {
            let raw = if raw == "false" {
                "no".to_string()
            } else {
                raw
            };
            normalize_language(&raw).map(|l| (l, raw))
        })
        .collect()
}

/// The language a tag names, if it is one.
pub(crate) fn tag_language(tag: &str, declared: &[(Language, String)]) -> Option<Language> {
    let (value, prefixed) = match tag.strip_prefix("language:") {
        Some(v) => (v, true),
        None => (tag, false),
    };
    let lang = normalize_language(value)?;
    let is_declared = declared.iter().any(|(d, raw)| {
        (d.id == lang.id && d.subtag == lang.subtag) || raw.eq_ignore_ascii_case(value)
    });
    if is_declared || prefixed {
        return Some(lang);
    }
    let primary_len = value.find(['-', '_']).unwrap_or(value.len());
    let two_letter = primary_len == 2 && lang.iso && lang.id.len() == 2;
    (two_letter && !AMBIGUOUS_TWO_LETTER_TAGS.contains(&lang.id.as_str())).then_some(lang)
}

/// Whether a tag is claimed by the language identifier.
pub(crate) fn claims_tag(tag: &str, ev: &Evidence<'_>) -> bool {
    tag.starts_with("language:") || tag_language(tag, &declared(ev)).is_some()
}

/// Finds languages.
#[derive(Debug, Clone, Copy, Default)]
pub struct LanguageIdentifier;

impl EntityIdentifier for LanguageIdentifier {
    type Ref = LanguageRef;
    const KIND: EntityKind = EntityKind::Languages;

    fn identify(&self, ev: &Evidence<'_>) -> Vec<LanguageRef> {
        let declared = declared(ev);
        let mut out = Collector::new();
        for (lang, raw) in &declared {
            out.add(LanguageRef {
                id: lang.id.clone(),
                raw: raw.clone(),
                provenance: vec![ev.card_provenance()],
                subtag: lang.subtag.clone(),
                iso: lang.iso,
            });
        }
        for (tag, p) in ev.all_tags() {
            if let Some(lang) = tag_language(tag, &declared) {
                out.add(LanguageRef {
                    id: lang.id,
                    raw: tag.to_string(),
                    provenance: vec![p],
                    subtag: lang.subtag,
                    iso: lang.iso,
                });
            }
        }
        // The template's language line: only when the metadata declares no language (else only
        // as one more place of the same language).
        let metadata = !out.is_empty();
        for (code, raw) in &ev.scan().languages {
            if !metadata || out.contains(code) {
                out.add(LanguageRef {
                    id: code.clone(),
                    raw: raw.clone(),
                    provenance: vec![Provenance::CardText],
                    subtag: None,
                    iso: true,
                });
            }
        }
        out.finish()
    }
}

#[cfg(test)]
#[allow(clippy::type_complexity)] // table-driven tests
mod tests {
    use super::*;
    use crate::ModelView;
    use serde_json::json;

    #[test]
    fn tables_sorted_unique() {
        assert_eq!(ISO_639_1.len(), 184);
        assert!(ISO_639_1.windows(2).all(|w| w[0] < w[1]));
        assert!(ISO_639_2_TO_1.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(ISO_639_OTHER_3.windows(2).all(|w| w[0] < w[1]));
        assert!(NOT_LANGUAGE_TAGS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn normalize_table() {
        let cases: &[(&str, Option<(&str, Option<&str>, bool)>)] = &[
            ("en", Some(("en", None, true))),
            ("EN", Some(("en", None, true))),
            ("en-US", Some(("en", Some("US"), true))),
            ("en_us", Some(("en", Some("US"), true))),
            ("zh-Hans", Some(("zh", Some("Hans"), true))),
            ("zh-hant", Some(("zh", Some("Hant"), true))),
            ("deu", Some(("de", None, true))),
            ("ger", Some(("de", None, true))),
            ("yue", Some(("yue", None, true))),
            ("multilingual", Some(("multilingual", None, false))),
            ("xx", Some(("xx", None, false))),
            ("en us", None),
            ("", None),
        ];
        for (input, expected) in cases {
            let got = normalize_language(input).map(|l| (l.id, l.subtag, l.iso));
            let expected = expected.map(|(i, s, o)| (i.to_string(), s.map(str::to_string), o));
            assert_eq!(got, expected, "input: {input:?}");
        }
    }

    fn ids(tags: &[&str], card: serde_json::Value) -> Vec<(String, Option<String>, bool)> {
        let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        let view = ModelView {
            tags: &tags,
            card_data: Some(&card),
            ..ModelView::new("x/y")
        };
        LanguageIdentifier
            .identify(&Evidence::new(&view))
            .into_iter()
            .map(|l| (l.id, l.subtag, l.iso))
            .collect()
    }

    #[test]
    fn hub_tags_that_look_like_iso_639_3_are_not_languages() {
        for tag in NOT_LANGUAGE_TAGS {
            assert!(ids(&[tag], json!({})).is_empty(), "{tag}");
        }
        assert!(ids(&["cv", "sd"], json!({})).is_empty());
        assert_eq!(
            ids(&["mlx"], json!({"language": ["mlx"]})),
            vec![("mlx".into(), None, false)]
        );
        assert_eq!(
            ids(&["sd"], json!({"language": "sd"})),
            vec![("sd".into(), None, true)]
        );
    }

    #[test]
    fn card_is_authoritative() {
        assert_eq!(
            ids(
                &["en", "fr", "multilingual", "pytorch"],
                json!({"language": ["en", "multilingual", "zh-Hans"]})
            ),
            vec![
                ("en".into(), None, true),
                ("fr".into(), None, true),
                ("multilingual".into(), None, false),
                ("zh".into(), Some("Hans".into()), true),
            ]
        );
        assert_eq!(
            ids(&[], json!({"language": false})),
            vec![("no".into(), None, true)]
        );
        assert_eq!(
            ids(&["language:de"], json!({})),
            vec![("de".into(), None, true)]
        );
    }
}
