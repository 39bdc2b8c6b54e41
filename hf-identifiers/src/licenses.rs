//! Licenses: `license:` tags and the card's `license` (with `license_name` / `license_link` for `other`).

use serde::{Deserialize, Serialize};

use crate::collect::{Collector, Mergeable, merge_provenance};
use crate::vocab::hub::HUB_LICENSE_IDS;
use crate::{EntityIdentifier, EntityKind, Evidence, Provenance};

/// A license the model declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LicenseRef {
    /// The license id, lowercased (`apache-2.0`, `llama3.1`, `other`).
    pub id: String,
    /// The text it came from (`license:apache-2.0`, `Apache-2.0`).
    pub raw: String,
    /// Where it was found.
    pub provenance: Vec<Provenance>,
    /// Whether the id is one of the 83 license ids the Hub accepts.
    pub hub_known: bool,
    /// The card's `license_name`, kept when the license is `other` (a custom license).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_name: Option<String>,
    /// The card's `license_link`, kept when the license is `other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_link: Option<String>,
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
    }
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
        let mut out = Collector::new();
        let mut add = |raw_id: &str, raw: &str, p: Provenance| {
            let Some(id) = normalize(raw_id) else { return };
            let other = id == "other";
            out.add(LicenseRef {
                hub_known: is_hub_license(&id),
                license_name: if other { name.clone() } else { None },
                license_link: if other { link.clone() } else { None },
                id,
                raw: raw.to_string(),
                provenance: vec![p],
            });
        };
        for (tag, p) in ev.all_tags() {
            if let Some(value) = tag.strip_prefix("license:") {
                add(value, tag, p);
            }
        }
        for raw in ev.card_strings("license") {
            add(&raw, &raw, ev.card_provenance());
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
                &[("other", true, Some("acme-1"))],
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
}
