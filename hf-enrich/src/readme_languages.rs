//! The natural languages a model card is written in (`readme_languages.json`:
//! `{model_id: [{"code", "confidence"}]}`), as the Python extractor's `langdetect` step gives
//! them: codes with a confidence of at least [`MIN_CONFIDENCE`], at most [`MAX_LANGUAGES`],
//! highest first.
//!
//! # How
//!
//! The card body (front matter stripped) loses what is not prose — fenced code, inline code,
//! HTML tags, tables, headings, link targets and bare URLs — and is cut into paragraphs. Each
//! paragraph with at least [`MIN_LETTERS`] letters is identified by `whatlang`; a language's
//! confidence is the share of the card's letters (in those paragraphs) written in it. An
//! English card is `en` at about 1.0; a card half in English and half in Chinese has no
//! language at 0.75 or more, like `langdetect`'s probabilities, which also sum to one. Headings
//! are left out because a lone title is a name more than a sentence (`whatlang` calls "Hello
//! old Windows line breaks" Danish).
//!
//! Codes are ISO 639-1 where the language has one (`en`, `zh` for Mandarin), else ISO 639-3, as
//! `langdetect` writes them and as `languages.json` is keyed.
//!
//! # Why `whatlang`
//!
//! Pure Rust, no model download and no native code (the trigram profiles of 69 languages are
//! compiled in, about 1 MB), MIT-licensed, maintained, deterministic. `lingua` is more accurate
//! on short texts but its language models make a build and the binary tens of MB larger;
//! `whichlang` knows only 16 languages; bindings to CLD2/CLD3 need a C++ toolchain.

use std::collections::BTreeMap;

use hf_client::card::ModelCard;
use serde::{Deserialize, Serialize};

use crate::models::FetchedModel;

/// The lowest confidence kept.
pub const MIN_CONFIDENCE: f64 = 0.75;

/// The most languages kept per card.
pub const MAX_LANGUAGES: usize = 5;

/// The fewest letters a paragraph needs to be identified (shorter ones are headings, names,
/// numbers: not evidence of a language).
pub const MIN_LETTERS: usize = 20;

/// One detected language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReadmeLanguage {
    /// ISO 639-1 where there is one, else ISO 639-3.
    pub code: String,
    /// The share of the card's prose in this language, 0 to 1 (rounded to 4 decimals).
    pub confidence: f64,
}

/// The languages of a card body (front matter already stripped).
///
/// ```
/// use hf_enrich::readme_languages::detect;
///
/// let found = detect("This model classifies the sentiment of English movie reviews. \
///     It was trained on a large corpus of reviews and reaches high accuracy.");
/// assert_eq!(found[0].code, "en");
/// assert!(found[0].confidence > 0.99);
/// assert!(detect("```python\nimport torch\n```").is_empty());
/// ```
pub fn detect(body: &str) -> Vec<ReadmeLanguage> {
    let prose = prose(body);
    let mut letters_in: BTreeMap<String, usize> = BTreeMap::new();
    let mut total = 0usize;
    for paragraph in prose.split("\n\n") {
        let letters = paragraph.chars().filter(|c| c.is_alphabetic()).count();
        if letters < MIN_LETTERS {
            continue;
        }
        total += letters;
        if let Some(info) = whatlang::detect(paragraph) {
            *letters_in.entry(iso_code(info.lang())).or_default() += letters;
        }
    }
    if total == 0 {
        return Vec::new();
    }
    let mut found: Vec<ReadmeLanguage> = letters_in
        .into_iter()
        .map(|(code, letters)| ReadmeLanguage {
            code,
            confidence: (letters as f64 / total as f64 * 10_000.0).round() / 10_000.0,
        })
        .filter(|l| l.confidence >= MIN_CONFIDENCE)
        .collect();
    found.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(a.code.cmp(&b.code))
    });
    found.truncate(MAX_LANGUAGES);
    found
}

/// The ISO code of a `whatlang` language: 639-1 where there is one, else 639-3.
fn iso_code(lang: whatlang::Lang) -> String {
    let code = lang.code();
    if code == "cmn" {
        // Mandarin: `langdetect` and the Hub say `zh`.
        return "zh".to_owned();
    }
    isolang::Language::from_639_3(code)
        .and_then(|l| l.to_639_1())
        .unwrap_or(code)
        .to_owned()
}

/// The prose of a card body: paragraphs separated by blank lines, without code, HTML, tables,
/// link targets or URLs.
fn prose(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut fence: Option<&str> = None;
    for line in body.lines() {
        let trimmed = line.trim();
        if let Some(open) = fence {
            if trimmed.starts_with(open) {
                fence = None;
            }
            continue;
        }
        if let Some(m) = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m)) {
            fence = Some(m);
            out.push_str("\n\n");
            continue;
        }
        // Headings are names more than sentences; tables and HTML are not prose.
        let not_prose = ['#', '|', '<'];
        if trimmed.is_empty() || trimmed.starts_with(not_prose) {
            out.push_str("\n\n");
            continue;
        }
        out.push_str(&clean_line(trimmed));
        out.push('\n');
    }
    out
}

/// One line without inline code, HTML tags, link targets and URLs.
fn clean_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        let skip_to = |close: char, from: &str| from[1..].find(close).map(|at| at + 2);
        let skipped = match c {
            '`' => skip_to('`', rest),
            '<' => skip_to('>', rest),
            // `](target)`: the target of a link or image.
            ']' if rest[1..].starts_with('(') => rest[1..].find(')').map(|at| at + 2),
            'h' if rest.starts_with("http://") || rest.starts_with("https://") => {
                Some(rest.find(char::is_whitespace).unwrap_or(rest.len()))
            }
            _ => None,
        };
        match skipped {
            Some(n) => {
                out.push(' ');
                rest = &rest[n..];
            }
            None => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// `{model_id: [languages]}` over `models`: one entry per model (an empty list when the card is
/// missing or has no prose).
pub fn readme_languages(models: &[FetchedModel]) -> BTreeMap<String, Vec<ReadmeLanguage>> {
    readme_languages_with(models, card_languages)
}

/// [`readme_languages`] with the languages of a whole card (front matter included) given by
/// `languages` — [`card_languages`], or what it gave for the same card earlier.
pub fn readme_languages_with(
    models: &[FetchedModel],
    languages: impl Fn(&str) -> Vec<ReadmeLanguage>,
) -> BTreeMap<String, Vec<ReadmeLanguage>> {
    models
        .iter()
        .map(|m| {
            let found = m.card.as_deref().map(&languages).unwrap_or_default();
            (m.id.clone(), found)
        })
        .collect()
}

/// The languages of a whole card: its front matter stripped, its body [`detect`]ed.
///
/// ```
/// use hf_enrich::readme_languages::card_languages;
///
/// let card = "---\nlanguage: de\n---\nThis model classifies the sentiment of English \
///     movie reviews and was trained on a large corpus of them.";
/// assert_eq!(card_languages(card)[0].code, "en");
/// ```
pub fn card_languages(card: &str) -> Vec<ReadmeLanguage> {
    detect(ModelCard::body_of(card))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const EN: &str = "This model was fine-tuned on a dataset of customer reviews to predict \
        whether a review is positive or negative, and it works well on short texts.";
    const DE: &str = "Dieses Modell wurde auf einem Datensatz von Kundenbewertungen trainiert, \
        um vorherzusagen, ob eine Bewertung positiv oder negativ ist.";
    const ZH: &str =
        "这个模型是在一个大型的中文语料库上训练的，可以用于文本分类和情感分析等任务，效果非常好。";
    const FR: &str = "Ce modèle a été entraîné sur un ensemble de données de critiques de films \
        pour prédire si une critique est positive ou négative.";

    fn codes(body: &str) -> Vec<String> {
        detect(body).into_iter().map(|l| l.code).collect()
    }

    #[test]
    fn one_language_per_card_with_iso_639_1_codes() {
        let cases: [(String, &[&str]); 7] = [
            (EN.to_owned(), &["en"]),
            (DE.to_owned(), &["de"]),
            (ZH.to_owned(), &["zh"]),
            (FR.to_owned(), &["fr"]),
            // Code, tables, HTML and links are not prose.
            (
                format!(
                    "{DE}\n\n```python\n{EN}\n```\n\n| a | {EN} |\n\n<p>{EN}</p>\n[x](https://example.com/{EN})"
                ),
                &["de"],
            ),
            // Half and half: neither reaches 0.75.
            (format!("{EN}\n\n{DE}"), &[]),
            (String::new(), &[]),
        ];
        for (body, expected) in cases {
            assert_eq!(codes(&body), expected, "{body:?}");
        }
    }

    #[test]
    fn a_mostly_english_card_keeps_english_with_its_share() {
        let body = format!("{EN}\n\n{EN}\n\n{EN}\n\n{EN}\n\n{DE}");
        let found = detect(&body);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].code, "en");
        assert!(
            found[0].confidence >= 0.75 && found[0].confidence < 1.0,
            "{found:?}"
        );
    }

    #[test]
    fn inline_code_links_and_urls_are_dropped() {
        let line =
            clean_line("see `code here` and [the docs](https://x.y/z) at https://a.b <b>now</b>");
        for gone in ["code here", "https", "x.y", "<b>", "</b>"] {
            assert!(!line.contains(gone), "{gone} in {line:?}");
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words, ["see", "and", "[the", "docs", "at", "now"]);
    }

    #[test]
    fn the_sample_cards_are_english_or_too_short_to_say() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/hub-samples/cards");
        let mut english = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let card = std::fs::read_to_string(&path).unwrap();
            let found = codes(&ModelCard::parse(&card).body);
            assert!(
                found.is_empty() || found == ["en"],
                "{}: {found:?}",
                path.display()
            );
            english += usize::from(!found.is_empty());
        }
        assert!(english >= 15, "{english} English cards of 19");
        // A lone heading is not evidence of a language (whatlang alone says Danish).
        assert!(codes("# Hello old Windows line breaks").is_empty());
    }
}
