//! Languages: the codes of a card's `language:` (and of `language:` tags) resolved to ISO 639.
//!
//! [`resolve_language`] accepts what the Hub sees in cards:
//!
//! - ISO 639-1 (`en`, `no`), ISO 639-3 (`eng`, `nor`) and ISO 639-2/B (`ger`, `fre`, `chi`)
//!   codes, via [`isolang`] and the alias table [`ISO_639_2B_ALIASES`];
//! - BCP 47 tags with a script or region (`en-US`, `zh-Hans`, `zh-Hant-TW`, `es-419`), `_` as well
//!   as `-` separating the parts (`pt_BR`): the language is resolved and the rest kept, normalised
//!   (`US`, `Hans`, `BR`);
//! - the Hub's `multilingual` (a model or dataset of many languages) and `code` (programming
//!   code, as datasets of source code use it): not languages of ISO 639, each its own
//!   [`LanguageKind`];
//! - anything else: kept, marked [`LanguageKind::Unknown`].
//!
//! Matching ignores case and surrounding spaces and accepts the tag prefix `language:`.
//!
//! ```
//! use hf_client::languages::{LanguageKind, resolve_language};
//!
//! let de = resolve_language("ger");
//! assert_eq!(de.kind, LanguageKind::Iso639);
//! assert_eq!(de.iso639_1.as_deref(), Some("de"));
//! assert_eq!(de.english_name.as_deref(), Some("German"));
//! assert_eq!(de.native_name.as_deref(), Some("Deutsch"));
//!
//! let br = resolve_language("pt_BR");
//! assert_eq!(br.iso639_3.as_deref(), Some("por"));
//! assert_eq!(br.subtag.as_deref(), Some("BR"));
//! assert_eq!(br.tag.as_deref(), Some("pt-BR"));
//! ```

use isolang::Language;
use serde::{Deserialize, Serialize};

/// ISO 639-2/B ("bibliographic") codes that differ from the ISO 639-3 / 639-2/T code, with that
/// code. `isolang` knows only 639-1 and 639-3. Sorted by the B code, unique.
pub const ISO_639_2B_ALIASES: &[(&str, &str)] = &[
    ("alb", "sqi"),
    ("arm", "hye"),
    ("baq", "eus"),
    ("bur", "mya"),
    ("chi", "zho"),
    ("cze", "ces"),
    ("dut", "nld"),
    ("fre", "fra"),
    ("geo", "kat"),
    ("ger", "deu"),
    ("gre", "ell"),
    ("ice", "isl"),
    ("mac", "mkd"),
    ("mao", "mri"),
    ("may", "msa"),
    ("per", "fas"),
    ("rum", "ron"),
    ("slo", "slk"),
    ("tib", "bod"),
    ("wel", "cym"),
];

/// ISO 639-1 codes withdrawn from the standard but still found in old data, with their
/// replacement. Sorted, unique.
pub const WITHDRAWN_639_1: &[(&str, &str)] = &[
    ("in", "id"), // Indonesian, withdrawn 1989
    ("iw", "he"), // Hebrew, withdrawn 1989
    ("ji", "yi"), // Yiddish, withdrawn 1989
    ("mo", "ro"), // Moldavian, withdrawn 2008
];

/// The Hub's `language:` value for "many languages".
pub const HUB_MULTILINGUAL: &str = "multilingual";

/// The Hub's `language:` value for programming code.
pub const HUB_CODE: &str = "code";

/// What a language code turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LanguageKind {
    /// A language of ISO 639.
    Iso639,
    /// The Hub's `multilingual`: many languages.
    Multilingual,
    /// The Hub's `code`: programming code (source-code models and datasets).
    Code,
    /// Not recognised: kept as written.
    Unknown,
}

/// A language code resolved to ISO 639.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LanguageRecord {
    /// The code as given (`pt_BR`).
    pub code: String,
    /// What it is.
    pub kind: LanguageKind,
    /// The ISO 639-1 code (`pt`), if the language has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iso639_1: Option<String>,
    /// The ISO 639-3 code (`por`; for the languages of ISO 639-2 it is also their 639-2/T code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iso639_3: Option<String>,
    /// The ISO 639-2/B code where it differs from the 639-3 one (`ger` for German).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iso639_2b: Option<String>,
    /// What follows the language in a BCP 47 tag, normalised (`BR`, `Hans`, `Hant-TW`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtag: Option<String>,
    /// The script subtag (`Hans`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    /// The region subtag (`BR`, `419`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The normalised BCP 47 tag: the shortest ISO code and the subtags (`pt-BR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The English name (`Portuguese`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub english_name: Option<String>,
    /// The name in the language itself (`português`), where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native_name: Option<String>,
}

impl LanguageRecord {
    fn bare(code: &str, kind: LanguageKind) -> Self {
        Self {
            code: code.to_owned(),
            kind,
            iso639_1: None,
            iso639_3: None,
            iso639_2b: None,
            subtag: None,
            script: None,
            region: None,
            tag: None,
            english_name: None,
            native_name: None,
        }
    }

    /// True for a language of ISO 639.
    pub fn is_iso639(&self) -> bool {
        self.kind == LanguageKind::Iso639
    }
}

/// Resolve one language code (see the [module documentation](self)). Never fails: what is not
/// recognised is a record of kind [`LanguageKind::Unknown`].
pub fn resolve_language(code: &str) -> LanguageRecord {
    let trimmed = code.trim();
    let bare = strip_prefix_ignore_case(trimmed, "language:").unwrap_or(trimmed);
    let lower = bare.trim().to_ascii_lowercase();
    match lower.as_str() {
        HUB_MULTILINGUAL => {
            let mut record = LanguageRecord::bare(code, LanguageKind::Multilingual);
            record.english_name = Some("Multilingual".to_owned());
            return record;
        }
        HUB_CODE => {
            let mut record = LanguageRecord::bare(code, LanguageKind::Code);
            record.english_name = Some("Programming code".to_owned());
            return record;
        }
        _ => {}
    }
    let mut parts = lower.split(['-', '_']);
    let primary = parts.next().unwrap_or_default();
    let Some(language) = iso_language(primary) else {
        return LanguageRecord::bare(code, LanguageKind::Unknown);
    };
    let Some(subtags) = parts.map(normalise_subtag).collect::<Option<Vec<_>>>() else {
        return LanguageRecord::bare(code, LanguageKind::Unknown);
    };

    let mut record = LanguageRecord::bare(code, LanguageKind::Iso639);
    let iso3 = language.to_639_3();
    let iso1 = language.to_639_1();
    record.iso639_1 = iso1.map(str::to_owned);
    record.iso639_3 = Some(iso3.to_owned());
    record.iso639_2b = ISO_639_2B_ALIASES
        .iter()
        .find(|(_, t)| *t == iso3)
        .map(|(b, _)| (*b).to_owned());
    record.english_name = Some(language.to_name().to_owned());
    record.native_name = language.to_autonym().map(str::to_owned);
    // The first script and the first region, in BCP 47 order (language-script-region-…).
    for subtag in &subtags {
        let alpha = subtag.bytes().all(|b| b.is_ascii_alphabetic());
        let digits = subtag.bytes().all(|b| b.is_ascii_digit());
        match subtag.len() {
            4 if alpha && record.script.is_none() && record.region.is_none() => {
                record.script = Some(subtag.clone());
            }
            2 if alpha && record.region.is_none() => record.region = Some(subtag.clone()),
            3 if digits && record.region.is_none() => record.region = Some(subtag.clone()),
            _ => {}
        }
    }
    let mut tag = iso1.unwrap_or(iso3).to_owned();
    if !subtags.is_empty() {
        let rest = subtags.join("-");
        tag.push('-');
        tag.push_str(&rest);
        record.subtag = Some(rest);
    }
    record.tag = Some(tag);
    record
}

/// The ISO 639 language of a lowercase primary subtag: 639-1, 639-3, 639-2/B, withdrawn 639-1.
fn iso_language(primary: &str) -> Option<Language> {
    if !primary.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    match primary.len() {
        2 => Language::from_639_1(primary)
            .or_else(|| lookup(WITHDRAWN_639_1, primary).and_then(Language::from_639_1)),
        3 => Language::from_639_3(primary)
            .or_else(|| lookup(ISO_639_2B_ALIASES, primary).and_then(Language::from_639_3)),
        _ => None,
    }
}

fn lookup(table: &'static [(&'static str, &'static str)], key: &str) -> Option<&'static str> {
    table
        .binary_search_by(|(k, _)| (*k).cmp(key))
        .ok()
        .and_then(|i| table.get(i))
        .map(|(_, v)| *v)
}

/// A lowercase subtag in its BCP 47 case (`Hans`, `BR`, `419`, variants lowercase); `None` when it
/// cannot be a subtag (empty, longer than 8, not alphanumeric).
fn normalise_subtag(subtag: &str) -> Option<String> {
    if subtag.is_empty() || subtag.len() > 8 || !subtag.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let alpha = subtag.bytes().all(|b| b.is_ascii_alphabetic());
    Some(match subtag.len() {
        2 if alpha => subtag.to_ascii_uppercase(),
        4 if alpha => {
            let mut s = subtag.to_owned();
            if let Some(first) = s.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            s
        }
        _ => subtag.to_owned(),
    })
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_tables_are_sorted_unique_and_resolve() {
        for table in [ISO_639_2B_ALIASES, WITHDRAWN_639_1] {
            for pair in table.windows(2) {
                assert!(pair[0].0 < pair[1].0, "{} !< {}", pair[0].0, pair[1].0);
            }
        }
        for (b, t) in ISO_639_2B_ALIASES {
            // The B code is not a 639-3 code of another language, the T code is a language.
            assert!(Language::from_639_3(b).is_none(), "{b}");
            assert!(Language::from_639_3(t).is_some(), "{t}");
        }
        for (old, new) in WITHDRAWN_639_1 {
            assert!(Language::from_639_1(old).is_none(), "{old}");
            assert!(Language::from_639_1(new).is_some(), "{new}");
        }
    }

    /// (input, kind, 639-1, 639-3, 639-2/B, subtag, tag, English name)
    type Case = (
        &'static str,
        LanguageKind,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
    );

    const ISO: LanguageKind = LanguageKind::Iso639;

    #[rustfmt::skip]
    const CASES: &[Case] = &[
        ("en", ISO, Some("en"), Some("eng"), None, None, Some("en"), Some("English")),
        ("EN", ISO, Some("en"), Some("eng"), None, None, Some("en"), Some("English")),
        ("eng", ISO, Some("en"), Some("eng"), None, None, Some("en"), Some("English")),
        (" language:en ", ISO, Some("en"), Some("eng"), None, None, Some("en"), Some("English")),
        ("ger", ISO, Some("de"), Some("deu"), Some("ger"), None, Some("de"), Some("German")),
        ("deu", ISO, Some("de"), Some("deu"), Some("ger"), None, Some("de"), Some("German")),
        ("fre", ISO, Some("fr"), Some("fra"), Some("fre"), None, Some("fr"), Some("French")),
        ("chi", ISO, Some("zh"), Some("zho"), Some("chi"), None, Some("zh"), Some("Chinese")),
        ("en-US", ISO, Some("en"), Some("eng"), None, Some("US"), Some("en-US"), Some("English")),
        ("en-us", ISO, Some("en"), Some("eng"), None, Some("US"), Some("en-US"), Some("English")),
        ("zh-Hans", ISO, Some("zh"), Some("zho"), Some("chi"), Some("Hans"), Some("zh-Hans"), Some("Chinese")),
        ("zh-hant-tw", ISO, Some("zh"), Some("zho"), Some("chi"), Some("Hant-TW"), Some("zh-Hant-TW"), Some("Chinese")),
        ("pt_BR", ISO, Some("pt"), Some("por"), None, Some("BR"), Some("pt-BR"), Some("Portuguese")),
        ("es-419", ISO, Some("es"), Some("spa"), None, Some("419"), Some("es-419"), Some("Spanish")),
        ("no", ISO, Some("no"), Some("nor"), None, None, Some("no"), Some("Norwegian")),
        ("iw", ISO, Some("he"), Some("heb"), None, None, Some("he"), Some("Hebrew")),
        ("gsw", ISO, None, Some("gsw"), None, None, Some("gsw"), Some("Swiss German")),
        ("multilingual", LanguageKind::Multilingual, None, None, None, None, None, Some("Multilingual")),
        ("Multilingual", LanguageKind::Multilingual, None, None, None, None, None, Some("Multilingual")),
        ("code", LanguageKind::Code, None, None, None, None, None, Some("Programming code")),
        ("xx", LanguageKind::Unknown, None, None, None, None, None, None),
        ("english", LanguageKind::Unknown, None, None, None, None, None, None),
        ("", LanguageKind::Unknown, None, None, None, None, None, None),
        ("en-", LanguageKind::Unknown, None, None, None, None, None, None),
        ("en-US!", LanguageKind::Unknown, None, None, None, None, None, None),
        ("é", LanguageKind::Unknown, None, None, None, None, None, None),
    ];

    #[test]
    fn table_of_cases() {
        for (input, kind, iso1, iso3, iso2b, subtag, tag, name) in CASES {
            let r = resolve_language(input);
            assert_eq!(r.code, *input);
            assert_eq!(r.kind, *kind, "{input}");
            assert_eq!(r.iso639_1.as_deref(), *iso1, "{input}");
            assert_eq!(r.iso639_3.as_deref(), *iso3, "{input}");
            assert_eq!(r.iso639_2b.as_deref(), *iso2b, "{input}");
            assert_eq!(r.subtag.as_deref(), *subtag, "{input}");
            assert_eq!(r.tag.as_deref(), *tag, "{input}");
            assert_eq!(r.english_name.as_deref(), *name, "{input}");
        }
    }

    #[test]
    fn script_region_and_native_names() {
        let zh = resolve_language("zh-Hant-TW");
        assert_eq!(zh.script.as_deref(), Some("Hant"));
        assert_eq!(zh.region.as_deref(), Some("TW"));
        assert_eq!(zh.native_name.as_deref(), Some("中文"));
        let no = resolve_language("no");
        assert_eq!(no.native_name.as_deref(), Some("Norsk"));
        let br = resolve_language("pt_BR");
        assert_eq!(br.script, None);
        assert_eq!(br.region.as_deref(), Some("BR"));
        assert_eq!(resolve_language("es-419").region.as_deref(), Some("419"));
    }

    #[test]
    fn records_round_trip_through_json() {
        for code in ["en", "zh-Hans", "pt_BR", "multilingual", "code", "??"] {
            let r = resolve_language(code);
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<LanguageRecord>(&json).unwrap(), r);
        }
        let json = serde_json::to_value(resolve_language("multilingual")).unwrap();
        assert_eq!(json["kind"], "multilingual");
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn resolve_never_panics_and_keeps_the_code(code in any::<String>()) {
            let r = resolve_language(&code);
            prop_assert_eq!(&r.code, &code);
            prop_assert_eq!(r.iso639_3.is_some(), r.kind == LanguageKind::Iso639);
        }

        #[test]
        fn separators_and_case_do_not_matter(
            lang in "(en|de|zh|pt|no|eng|ger|fre|chi)",
            rest in proptest::collection::vec("([a-zA-Z]{2}|[a-zA-Z]{4}|[0-9]{3})", 0..3),
            underscore in any::<bool>(),
        ) {
            let sep = if underscore { "_" } else { "-" };
            let mut code = lang.clone();
            for part in &rest {
                code.push_str(sep);
                code.push_str(part);
            }
            let a = resolve_language(&code);
            let b = resolve_language(&code.to_ascii_uppercase().replace('_', "-"));
            prop_assert_eq!(a.kind, LanguageKind::Iso639);
            prop_assert_eq!(&a.tag, &b.tag);
            prop_assert_eq!(&a.subtag, &b.subtag);
            prop_assert_eq!(a.subtag.is_some(), !rest.is_empty());
        }
    }
}
