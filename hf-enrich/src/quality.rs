//! The optional low-information filter (`HF_FILTER_LOW_INFO=true`), with exactly the rules of the
//! Python extractor this crate replaces: a model is dropped when it has no `pipeline_tag`, no tags,
//! a card under 200 characters, or an untouched template card (at least 38
//! `[More Information Needed]` and at least 7 of the template's 8 marker lines).

use serde::{Deserialize, Serialize};

/// Cards shorter than this (in characters) carry too little information.
pub const MIN_CARD_CHARS: usize = 200;
/// How many `[More Information Needed]` make a template card (with enough markers).
pub const TEMPLATE_PLACEHOLDERS: usize = 38;
/// How many of [`TEMPLATE_MARKERS`] make a template card (with enough placeholders).
pub const TEMPLATE_MARKERS_NEEDED: usize = 7;
/// The placeholder of the Hub's model-card template.
pub const PLACEHOLDER: &str = "[More Information Needed]";

/// Lines of the Hub's default model-card template that authors delete when they fill it in.
pub const TEMPLATE_MARKERS: [&str; 8] = [
    "<!-- Provide a quick summary of what the model is/does. -->",
    "This is the model card of a 🤗 transformers model that has been pushed on the Hub. This model card has been automatically generated.",
    PLACEHOLDER,
    "<!-- Address questions around how the model is intended to be used, including the foreseeable users of the model and those affected by the model. -->",
    "<!-- This relates heavily to the Technical Specifications. Content here should link to that section when it is relevant to the training procedure. -->",
    "<!-- This section is meant to convey recommendations with respect to the bias, risk, and technical limitations. -->",
    "<!-- Provide the basic links for the model. -->",
    "## Model Card Contact",
];

/// Why a model was filtered out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LowInfo {
    /// No `pipeline_tag`.
    NoPipelineTag,
    /// No tags at all.
    NoTags,
    /// A card under [`MIN_CARD_CHARS`] characters (or none).
    ShortCard,
    /// The Hub's template card, not filled in.
    TemplateCard,
}

/// The first rule a model fails, or `None` when it carries enough information.
///
/// ```
/// use hf_enrich::quality::{low_info, LowInfo};
///
/// let card = "A".repeat(300);
/// assert_eq!(low_info(Some("fill-mask"), &["bert".into()], &card), None);
/// assert_eq!(low_info(None, &["bert".into()], &card), Some(LowInfo::NoPipelineTag));
/// assert_eq!(low_info(Some("fill-mask"), &["bert".into()], "tiny"), Some(LowInfo::ShortCard));
/// ```
pub fn low_info(pipeline_tag: Option<&str>, tags: &[String], card: &str) -> Option<LowInfo> {
    if pipeline_tag.is_none_or(str::is_empty) {
        return Some(LowInfo::NoPipelineTag);
    }
    if tags.is_empty() {
        return Some(LowInfo::NoTags);
    }
    // Python's len() counts code points.
    if card.chars().count() < MIN_CARD_CHARS {
        return Some(LowInfo::ShortCard);
    }
    if is_template_card(card) {
        return Some(LowInfo::TemplateCard);
    }
    None
}

/// True for an untouched template card.
pub fn is_template_card(card: &str) -> bool {
    card.matches(PLACEHOLDER).count() >= TEMPLATE_PLACEHOLDERS
        && TEMPLATE_MARKERS
            .iter()
            .filter(|m| card.contains(*m))
            .count()
            >= TEMPLATE_MARKERS_NEEDED
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(placeholders: usize, markers: usize) -> String {
        let mut card: String = TEMPLATE_MARKERS
            .iter()
            .filter(|m| **m != PLACEHOLDER)
            .take(markers.saturating_sub(1))
            .map(|m| format!("{m}\n"))
            .collect();
        for _ in 0..placeholders {
            card.push_str(PLACEHOLDER);
            card.push('\n');
        }
        card
    }

    #[test]
    fn the_rules_in_order() {
        let tags = vec!["transformers".to_string()];
        let long = "x".repeat(MIN_CARD_CHARS);
        assert_eq!(
            low_info(Some(""), &tags, &long),
            Some(LowInfo::NoPipelineTag)
        );
        assert_eq!(low_info(Some("a"), &[], &long), Some(LowInfo::NoTags));
        assert_eq!(
            low_info(Some("a"), &tags, &long[1..]),
            Some(LowInfo::ShortCard)
        );
        assert_eq!(low_info(Some("a"), &tags, &long), None);
        // 200 code points of a multi-byte character are long enough.
        assert_eq!(low_info(Some("a"), &tags, &"é".repeat(200)), None);
    }

    #[test]
    fn template_cards_need_both_thresholds() {
        assert!(is_template_card(&template(38, 7)));
        assert!(is_template_card(&template(40, 8)));
        assert!(!is_template_card(&template(37, 8)), "37 placeholders");
        assert!(!is_template_card(&template(38, 6)), "6 markers");
        let tags = vec!["t".to_string()];
        assert_eq!(
            low_info(Some("a"), &tags, &template(38, 7)),
            Some(LowInfo::TemplateCard)
        );
    }
}
