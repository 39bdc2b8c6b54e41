//! Languages: the codes of the issue, and every `language:` of the recorded model cards.

use hf_client::languages::{LanguageKind, resolve_language};
use serde_json::Value;

use crate::support::samples_dir;

#[test]
fn the_codes_of_the_issue() {
    // (code, kind, 639-3, subtag, English name)
    let cases = [
        (
            "en",
            LanguageKind::Iso639,
            Some("eng"),
            None,
            Some("English"),
        ),
        (
            "eng",
            LanguageKind::Iso639,
            Some("eng"),
            None,
            Some("English"),
        ),
        (
            "ger",
            LanguageKind::Iso639,
            Some("deu"),
            None,
            Some("German"),
        ),
        (
            "en-US",
            LanguageKind::Iso639,
            Some("eng"),
            Some("US"),
            Some("English"),
        ),
        (
            "zh-Hans",
            LanguageKind::Iso639,
            Some("zho"),
            Some("Hans"),
            Some("Chinese"),
        ),
        (
            "pt_BR",
            LanguageKind::Iso639,
            Some("por"),
            Some("BR"),
            Some("Portuguese"),
        ),
        (
            "no",
            LanguageKind::Iso639,
            Some("nor"),
            None,
            Some("Norwegian"),
        ),
        (
            "multilingual",
            LanguageKind::Multilingual,
            None,
            None,
            Some("Multilingual"),
        ),
    ];
    for (code, kind, iso3, subtag, name) in cases {
        let r = resolve_language(code);
        assert_eq!(r.code, code);
        assert_eq!(r.kind, kind, "{code}");
        assert_eq!(r.iso639_3.as_deref(), iso3, "{code}");
        assert_eq!(r.subtag.as_deref(), subtag, "{code}");
        assert_eq!(r.english_name.as_deref(), name, "{code}");
    }
    assert_eq!(resolve_language("ger").iso639_2b.as_deref(), Some("ger"));
    assert_eq!(resolve_language("en-US").tag.as_deref(), Some("en-US"));
    assert_eq!(
        resolve_language("zh-Hans").native_name.as_deref(),
        Some("中文")
    );
}

/// Every `cardData.language` of the recorded model-info bodies resolves (none is unknown).
#[test]
fn every_language_of_the_recorded_cards_resolves() {
    let mut seen = 0;
    for entry in std::fs::read_dir(samples_dir().join("model-info")).unwrap() {
        let path = entry.unwrap().path();
        let Ok(body) = serde_json::from_str::<Value>(&std::fs::read_to_string(&path).unwrap())
        else {
            continue;
        };
        let codes = match body.pointer("/cardData/language") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => continue,
        };
        for code in codes {
            let r = resolve_language(&code);
            assert_ne!(
                r.kind,
                LanguageKind::Unknown,
                "{code} in {}",
                path.display()
            );
            seen += 1;
        }
    }
    assert!(seen > 80, "only {seen} codes");
}
