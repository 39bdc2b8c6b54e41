//! Licenses: `license:` tags, the card's `license` — a custom license (`license: other` with a
//! `license_name`) identified by its name, with its `license_link` — and the model-card template's
//! `- **License:** …` line when the metadata declares none.

use serde::{Deserialize, Serialize};

use crate::collect::{Collector, Mergeable, merge_provenance};
use crate::vocab::hub::HUB_LICENSE_IDS;
use crate::{EntityIdentifier, EntityKind, Evidence, Provenance};

/// A license the model declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LicenseRef {
    /// The license id, lowercased (`apache-2.0`, `llama3.1`); for a custom license (`license:
    /// other` with a `license_name`) the name, lowercased with hyphens for spaces (`llama3`,
    /// `gemma-terms-of-use`); `other` only when no name is given.
    pub id: String,
    /// The text it came from (`license:apache-2.0`, `Apache-2.0`).
    pub raw: String,
    /// Where it was found.
    pub provenance: Vec<Provenance>,
    /// Whether the id is one of the 83 license ids the Hub accepts.
    pub hub_known: bool,
    /// The card's `license_name` as written, kept when the license is `other` (a custom license).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_name: Option<String>,
    /// The card's `license_link`, kept when the license is `other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_link: Option<String>,
    /// Whether the id is a custom license's name (`license: other` with a `license_name`), not a
    /// license id the card declared. Serialised only when `true`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub custom: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Mergeable for LicenseRef {
    fn key(&self) -> String {
        self.id.clone()
    }
    fn sort_id(&self) -> &str {
        &self.id
    }
    fn merge(&mut self, other: Self) {
        merge_provenance(&mut self.provenance, &other.provenance);
        self.license_name = self.license_name.take().or(other.license_name);
        self.license_link = self.license_link.take().or(other.license_link);
        self.custom |= other.custom;
    }
}

/// The id of a custom license named `name`: ASCII letters and digits lowercased, `._+` kept, any
/// run of other characters (spaces, `/`, `-`, parentheses) one hyphen (`Gemma Terms of Use` →
/// `gemma-terms-of-use`); `None` when nothing is left.
pub fn custom_license_id(name: &str) -> Option<String> {
    let name = name.trim().trim_matches(['"', '\'']);
    if name.len() > 128 {
        return None;
    }
    let mut id = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+') {
            id.push(c.to_ascii_lowercase());
        } else if !id.is_empty() && !id.ends_with('-') {
            id.push('-');
        }
    }
    let id = id.trim_end_matches('-');
    (!id.is_empty()).then(|| id.to_string())
}

/// Whether `id` (lowercase) is a license id the Hub accepts.
pub fn is_hub_license(id: &str) -> bool {
    HUB_LICENSE_IDS.binary_search(&id).is_ok()
}

fn normalize(raw: &str) -> Option<String> {
    let s = raw.trim().trim_matches(['"', '\'']).trim();
    if s.is_empty() || s.len() > 128 || s.chars().any(char::is_whitespace) {
        return None;
    }
    Some(s.to_ascii_lowercase())
}

/// Finds licenses.
#[derive(Debug, Clone, Copy, Default)]
pub struct LicenseIdentifier;

impl EntityIdentifier for LicenseIdentifier {
    type Ref = LicenseRef;
    const KIND: EntityKind = EntityKind::Licenses;

    fn identify(&self, ev: &Evidence<'_>) -> Vec<LicenseRef> {
        let name = ev.card_string("license_name");
        let link = ev.card_string("license_link");
        let custom_id = name.as_deref().and_then(custom_license_id);
        let mut out = Collector::new();
        let found = |raw_id: &str, raw: &str, p: Provenance| {
            let mut id = normalize(raw_id)?;
            let other = id == "other";
            let custom = other && custom_id.is_some();
            if custom && let Some(named) = &custom_id {
                id.clone_from(named);
            }
            Some(LicenseRef {
                hub_known: is_hub_license(&id),
                license_name: if other { name.clone() } else { None },
                license_link: if other { link.clone() } else { None },
                custom,
                id,
                raw: raw.to_string(),
                provenance: vec![p],
            })
        };
        for (tag, p) in ev.all_tags() {
            if let Some(value) = tag.strip_prefix("license:") {
                out.extend(found(value, tag, p));
            }
        }
        for raw in ev.card_strings("license") {
            out.extend(found(&raw, &raw, ev.card_provenance()));
        }
        // The template's license line: only when the metadata declares no license (else only
        // as one more place of the same license).
        let declared = !out.is_empty();
        for (id, raw) in &ev.scan().licenses {
            if !declared || out.contains(id) {
                out.extend(found(id, raw, Provenance::CardText));
            }
        }
        out.finish()
    }
}

/// Whether a tag is claimed by the license identifier.
pub(crate) fn claims_tag(tag: &str) -> bool {
    tag.starts_with("license:")
}

#[cfg(test)]
#[allow(clippy::type_complexity)] // table-driven tests
mod tests {
    use super::*;
    use crate::ModelView;
    use serde_json::json;

    #[test]
    fn hub_ids_sorted_unique() {
        assert_eq!(HUB_LICENSE_IDS.len(), 83);
        assert!(HUB_LICENSE_IDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn table() {
        let cases: &[(&[&str], serde_json::Value, &[(&str, bool, Option<&str>)])] = &[
            (
                &["license:mit"],
                json!({"license": "MIT"}),
                &[("mit", true, None)],
            ),
            (
                &[],
                json!({"license": ["apache-2.0", "cc-by-4.0"]}),
                &[("apache-2.0", true, None), ("cc-by-4.0", true, None)],
            ),
            (
                &["license:other"],
                json!({"license": "other", "license_name": "acme-1", "license_link": "LICENSE"}),
                &[("acme-1", false, Some("acme-1"))],
            ),
            (
                &["license:other"],
                json!({"license": "other", "license_name": "llama3"}),
                &[("llama3", true, Some("llama3"))],
            ),
            (
                &[],
                json!({"license": "other", "license_name": "通义千问"}),
                &[("other", true, Some("通义千问"))],
            ),
            (
                &["license:other"],
                json!({"license": "other", "license_link": "LICENSE"}),
                &[("other", true, None)],
            ),
            (
                &[],
                json!({"license": "mit", "license_name": "llama3"}),
                &[("mit", true, None)],
            ),
            (&[], json!({"license": "my custom license"}), &[]),
            (&[], json!({"licence": "license"}), &[]),
            (
                &["license:llama3.1"],
                json!({}),
                &[("llama3.1", true, None)],
            ),
            (
                &["license:acme"],
                json!({"license_name": "x"}),
                &[("acme", false, None)],
            ),
        ];
        for (tags, card, expected) in cases {
            let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
            let view = ModelView {
                tags: &tags,
                card_data: Some(card),
                ..ModelView::new("x/y")
            };
            let got: Vec<_> = LicenseIdentifier
                .identify(&Evidence::new(&view))
                .into_iter()
                .map(|l| (l.id, l.hub_known, l.license_name))
                .collect();
            let expected: Vec<_> = expected
                .iter()
                .map(|(i, k, n)| (i.to_string(), *k, n.map(str::to_string)))
                .collect();
            assert_eq!(got, expected, "card: {card}");
        }
    }

    #[test]
    fn custom_ids() {
        let cases: &[(&str, Option<&str>)] = &[
            ("llama3", Some("llama3")),
            ("Gemma Terms of Use", Some("gemma-terms-of-use")),
            (" deepseek-license ", Some("deepseek-license")),
            ("Qwen  RESEARCH -- License", Some("qwen-research-license")),
            ("tongyi-qianwen (v1.0)", Some("tongyi-qianwen-v1.0")),
            ("a/two-terms", Some("a-two-terms")),
            ("通义千问", None),
            ("", None),
        ];
        for (input, expected) in cases {
            assert_eq!(custom_license_id(input).as_deref(), *expected, "{input:?}");
        }
    }

    #[test]
    fn template_line_only_without_metadata() {
        let text = "- **License:** Apache 2.0\n";
        let identify = |card: serde_json::Value| {
            let view = ModelView {
                card_data: Some(&card),
                card_text: Some(text),
                ..ModelView::new("x/y")
            };
            LicenseIdentifier
                .identify(&Evidence::new(&view))
                .into_iter()
                .map(|l| (l.id, l.provenance))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            identify(json!({})),
            [("apache-2.0".to_string(), vec![Provenance::CardText])]
        );
        assert_eq!(
            identify(json!({"license": "mit"})),
            [("mit".to_string(), vec![Provenance::CardData])]
        );
        assert_eq!(
            identify(json!({"license": "apache-2.0"})),
            [(
                "apache-2.0".to_string(),
                vec![Provenance::CardData, Provenance::CardText]
            )]
        );
    }
}
