//! Licenses: the Hub's license ids resolved against the SPDX license list.
//!
//! A card's `license:` is one of the 83 ids the Hub accepts (hub-docs
//! `docs/hub/repositories-licenses.md`), written in lowercase, or anything an author typed.
//! [`LicenseResolver::resolve`] turns each into a [`LicenseRecord`]:
//!
//! - ids equal to an SPDX id up to case (`apache-2.0`, `cc-by-nc-4.0`, `etalab-2.0`) resolve to
//!   that SPDX entry ([`LicenseKind::Spdx`]), with its name, OSI and FSF flags;
//! - deprecated SPDX ids (the Hub's `gpl-2.0`, `gpl-3.0`, `lgpl-2.1`, `lgpl-3.0`, `agpl-3.0`)
//!   resolve to the current `-only` id (`-or-later` for a trailing `+`) and keep the deprecated
//!   one ([`LicenseKind::SpdxDeprecated`]);
//! - the Hub's own ids that are not SPDX (`openrail`, `llama3.1`, `gemma`, `odc-by`, …) resolve to
//!   their name and link from the Hub's list ([`LicenseKind::HubSpecific`], `spdx_id: None`).
//!   The SPDX list is asked first, so an id a newer SPDX list adopted resolves to SPDX: with the
//!   embedded SPDX 3.29.0 list the Hub's `openmdw-1.0` is `OpenMDW-1.0`;
//! - `other` carries the card's `license_name` / `license_link` ([`LicenseKind::Other`]);
//!   `unknown` says the author does not know ([`LicenseKind::Unknown`]);
//! - anything else is kept, marked [`LicenseKind::Unresolved`]: never an error, never dropped.
//!
//! The SPDX list is the one embedded by the [`spdx`] crate (offline), or a `licenses.json` of
//! spdx/license-list-data fetched with [`LicensesHandler::spdx_list`].
//!
//! ```
//! use hf_client::licenses::{LicenseKind, LicenseResolver};
//!
//! let resolver = LicenseResolver::embedded();
//! let apache = resolver.resolve("apache-2.0", None, None);
//! assert_eq!(apache.kind, LicenseKind::Spdx);
//! assert_eq!(apache.spdx_id.as_deref(), Some("Apache-2.0"));
//! assert!(apache.osi_approved);
//!
//! let gpl = resolver.resolve("gpl-3.0", None, None);
//! assert_eq!(gpl.kind, LicenseKind::SpdxDeprecated);
//! assert_eq!(gpl.spdx_id.as_deref(), Some("GPL-3.0-only"));
//! assert_eq!(gpl.deprecated_id.as_deref(), Some("GPL-3.0"));
//!
//! let llama = resolver.resolve("llama3.1", None, None);
//! assert_eq!(llama.kind, LicenseKind::HubSpecific);
//! assert_eq!(llama.spdx_id, None);
//! ```

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::client::HfClient;
use crate::error::{ResourceKind, Result};

/// Where an SPDX license page lives: `https://spdx.org/licenses/<id>.html`.
pub const SPDX_LICENSE_PAGE_BASE: &str = "https://spdx.org/licenses/";

/// The Hub's license ids that are not SPDX ids (not even up to case), with the name and link the
/// Hub's documentation gives them (`None` where it gives none). Sorted by id, unique.
///
/// Source: huggingface/hub-docs `docs/hub/repositories-licenses.md` @ 242f4a1eeb86 (the link is
/// the `license:` comment of the table row, else its `info:` comment). `other` and `unknown` are
/// listed here too; they resolve to [`LicenseKind::Other`] and [`LicenseKind::Unknown`].
pub const HUB_SPECIFIC_LICENSES: &[(&str, &str, Option<&str>)] = &[
    (
        "apple-amlr",
        "Apple Model License for Research",
        Some("https://huggingface.co/apple/deeplabv3-mobilevit-small/blob/main/LICENSE"),
    ),
    (
        "apple-ascl",
        "Apple Sample Code license",
        Some(
            "https://developer.apple.com/support/downloads/terms/apple-sample-code/Apple-Sample-Code-License.pdf",
        ),
    ),
    (
        "bigcode-openrail-m",
        "BigCode Open RAIL-M v1",
        Some("https://www.bigcode-project.org/docs/pages/bigcode-openrail"),
    ),
    (
        "bigscience-bloom-rail-1.0",
        "BigScience BLOOM RAIL 1.0",
        Some("https://huggingface.co/spaces/bigscience/license"),
    ),
    (
        "bigscience-openrail-m",
        "BigScience OpenRAIL-M",
        Some("https://bigscience.huggingface.co/blog/bigscience-openrail-m"),
    ),
    ("bsd", "BSD license family", None),
    ("c-uda", "Computational Use of Data Agreement", None),
    ("cc", "Creative Commons license family", None),
    (
        "creativeml-openrail-m",
        "CreativeML OpenRAIL-M",
        Some("https://huggingface.co/spaces/CompVis/stable-diffusion-license"),
    ),
    (
        "deepfloyd-if-license",
        "DeepFloyd IF Research License Agreement",
        None,
    ),
    (
        "fair-noncommercial-research-license",
        "FAIR Noncommercial Research License",
        Some(
            "https://huggingface.co/facebook/fair-noncommercial-research-license/blob/main/LICENSE",
        ),
    ),
    (
        "gemma",
        "Gemma Terms of Use",
        Some("https://ai.google.dev/gemma/terms"),
    ),
    ("gfdl", "GNU Free Documentation License family", None),
    ("gpl", "GNU General Public License family", None),
    (
        "grok2-community",
        "Grok 2 Community License Agreement",
        Some("https://huggingface.co/xai-org/grok-2/blob/main/LICENSE"),
    ),
    (
        "h-research",
        "H Research License",
        Some("https://huggingface.co/Hcompany/Holo1-3B/blob/main/LICENSE"),
    ),
    (
        "intel-research",
        "Intel Research Use License Agreement",
        Some(
            "https://huggingface.co/OpenVINO/Llama-3.1-8B-Instruct-FastDraft-150M-int8-ov/blob/main/LICENSE.md",
        ),
    ),
    ("lgpl", "GNU Lesser General Public License family", None),
    (
        "lgpl-lr",
        "Lesser General Public License For Linguistic Resources",
        None,
    ),
    (
        "llama2",
        "Llama 2 Community License Agreement",
        Some("https://huggingface.co/meta-llama/Llama-2-7b-chat-hf/blob/main/LICENSE.txt"),
    ),
    (
        "llama3",
        "Llama 3 Community License Agreement",
        Some("https://huggingface.co/meta-llama/Meta-Llama-3-8B/blob/main/LICENSE"),
    ),
    (
        "llama3.1",
        "Llama 3.1 Community License Agreement",
        Some("https://huggingface.co/meta-llama/Meta-Llama-3.1-70B-Instruct/blob/main/LICENSE"),
    ),
    (
        "llama3.2",
        "Llama 3.2 Community License Agreement",
        Some("https://huggingface.co/meta-llama/Llama-3.2-1B/blob/main/LICENSE.txt"),
    ),
    (
        "llama3.3",
        "Llama 3.3 Community License Agreement",
        Some("https://huggingface.co/meta-llama/Llama-3.3-70B-Instruct/blob/main/LICENSE"),
    ),
    (
        "llama4",
        "Llama 4 Community License Agreement",
        Some("https://huggingface.co/meta-llama/Llama-4-Scout-17B-16E-Instruct/blob/main/LICENSE"),
    ),
    ("odbl", "Open Database License family", None),
    (
        "odc-by",
        "Open Data Commons License Attribution family",
        None,
    ),
    (
        "openmdw-1.0",
        "Open Model, Data & Weights License Agreement",
        Some("https://openmdw.ai/license/1-0/"),
    ),
    (
        "openmdw-1.1",
        "Open Model, Data & Weights License Agreement v1.1",
        Some("https://openmdw.ai/license/1-1/"),
    ),
    (
        "openrail",
        "OpenRAIL license family",
        Some("https://huggingface.co/blog/open_rail"),
    ),
    (
        "openrail++",
        "Open Rail++-M License",
        Some(
            "https://huggingface.co/stabilityai/stable-diffusion-xl-base-1.0/blob/main/LICENSE.md",
        ),
    ),
    ("other", "Other", None),
    (
        "pddl",
        "Open Data Commons Public Domain Dedication and License",
        None,
    ),
    ("unknown", "Unknown", None),
];

/// The Hub's id for "a license not in the list": the card names it in `license_name`.
pub const HUB_OTHER: &str = "other";

/// The Hub's id for "the license is not known".
pub const HUB_UNKNOWN: &str = "unknown";

/// How a license id was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LicenseKind {
    /// A current SPDX id (matched up to case).
    Spdx,
    /// A deprecated SPDX id (`gpl-3.0`): `spdx_id` is its current replacement when there is one.
    SpdxDeprecated,
    /// One of the Hub's own ids that is not an SPDX id (`openrail`, `llama3.1`, `gemma`, …).
    HubSpecific,
    /// The Hub's `other`: the license is named by the card's `license_name` / `license_link`.
    Other,
    /// The Hub's `unknown`: the author declared the license unknown.
    Unknown,
    /// Neither an SPDX id nor a Hub id: kept as written.
    Unresolved,
}

/// A license id resolved against the SPDX list and the Hub's own ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LicenseRecord {
    /// The id as given (e.g. `apache-2.0`).
    pub id: String,
    /// How it was resolved.
    pub kind: LicenseKind,
    /// The canonical SPDX id (`Apache-2.0`; `GPL-3.0-only` for the deprecated `gpl-3.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spdx_id: Option<String>,
    /// The deprecated SPDX id the given id matched (`GPL-3.0`), for [`LicenseKind::SpdxDeprecated`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated_id: Option<String>,
    /// The license's full name (SPDX name, the Hub's name, or the card's `license_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A page about the license: the SPDX page, the Hub's link, or the card's `license_link`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Approved by the Open Source Initiative (SPDX `isOsiApproved`).
    #[serde(default)]
    pub osi_approved: bool,
    /// Free/libre according to the Free Software Foundation (SPDX `isFsfLibre`).
    #[serde(default)]
    pub fsf_libre: bool,
    /// The given id is a deprecated SPDX id.
    #[serde(default)]
    pub is_deprecated: bool,
    /// The card's `license_name` (meant for `license: other`), as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_name: Option<String>,
    /// The card's `license_link` (meant for `license: other`), as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_link: Option<String>,
}

impl LicenseRecord {
    /// True unless the id was not recognised ([`LicenseKind::Unresolved`]).
    pub fn is_resolved(&self) -> bool {
        self.kind != LicenseKind::Unresolved
    }

    fn bare(id: &str, kind: LicenseKind) -> Self {
        Self {
            id: id.to_owned(),
            kind,
            spdx_id: None,
            deprecated_id: None,
            name: None,
            url: None,
            osi_approved: false,
            fsf_libre: false,
            is_deprecated: false,
            license_name: None,
            license_link: None,
        }
    }
}

/// Which SPDX list a [`LicenseResolver`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SpdxListSource {
    /// The list embedded by the `spdx` crate (offline).
    Embedded,
    /// A `licenses.json` fetched or read by the caller.
    Fetched,
}

/// An SPDX `licenses.json` (spdx/license-list-data `json/licenses.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SpdxLicenseList {
    /// The list's version (`3.27.0`).
    #[serde(default)]
    pub license_list_version: String,
    /// The release date (`2025-07-01`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_date: Option<String>,
    /// The licenses.
    pub licenses: Vec<SpdxLicense>,
}

/// One license of an SPDX `licenses.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SpdxLicense {
    /// The SPDX id (`Apache-2.0`).
    pub license_id: String,
    /// The full name.
    #[serde(default)]
    pub name: String,
    /// The SPDX page (`https://spdx.org/licenses/Apache-2.0.html`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The JSON details page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details_url: Option<String>,
    /// Position in the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_number: Option<u64>,
    /// Other pages about the license.
    #[serde(default)]
    pub see_also: Vec<String>,
    /// Approved by the OSI.
    #[serde(default)]
    pub is_osi_approved: bool,
    /// Free/libre according to the FSF (absent in the file means no).
    #[serde(default)]
    pub is_fsf_libre: bool,
    /// The id is deprecated.
    #[serde(default)]
    pub is_deprecated_license_id: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SpdxEntry {
    id: String,
    name: String,
    url: String,
    osi_approved: bool,
    fsf_libre: bool,
    deprecated: bool,
}

/// Resolves license ids (see the [module documentation](self)). Pure: no IO once built.
#[derive(Debug, Clone)]
pub struct LicenseResolver {
    source: SpdxListSource,
    list_version: String,
    /// Lowercase SPDX id → entry.
    by_lower: HashMap<String, SpdxEntry>,
}

impl Default for LicenseResolver {
    fn default() -> Self {
        Self::embedded()
    }
}

impl LicenseResolver {
    /// A resolver over the SPDX list embedded by the `spdx` crate (no IO).
    pub fn embedded() -> Self {
        let entries = spdx::identifiers::LICENSES.iter().map(|l| SpdxEntry {
            id: l.name.to_owned(),
            name: l.full_name.to_owned(),
            url: format!("{SPDX_LICENSE_PAGE_BASE}{}.html", l.name),
            osi_approved: l.flags & spdx::flags::IS_OSI_APPROVED != 0,
            fsf_libre: l.flags & spdx::flags::IS_FSF_LIBRE != 0,
            deprecated: l.flags & spdx::flags::IS_DEPRECATED != 0,
        });
        Self::from_entries(
            SpdxListSource::Embedded,
            spdx::license_version().to_owned(),
            entries,
        )
    }

    /// A resolver over a decoded SPDX `licenses.json`.
    pub fn from_spdx_list(list: &SpdxLicenseList) -> Self {
        let entries = list.licenses.iter().map(|l| SpdxEntry {
            id: l.license_id.clone(),
            name: l.name.clone(),
            url: l
                .reference
                .clone()
                .unwrap_or_else(|| format!("{SPDX_LICENSE_PAGE_BASE}{}.html", l.license_id)),
            osi_approved: l.is_osi_approved,
            fsf_libre: l.is_fsf_libre,
            deprecated: l.is_deprecated_license_id,
        });
        Self::from_entries(
            SpdxListSource::Fetched,
            list.license_list_version.clone(),
            entries,
        )
    }

    /// A resolver over the bytes of an SPDX `licenses.json`.
    pub fn from_spdx_json(bytes: &[u8]) -> std::result::Result<Self, serde_json::Error> {
        let list: SpdxLicenseList = serde_json::from_slice(bytes)?;
        Ok(Self::from_spdx_list(&list))
    }

    fn from_entries(
        source: SpdxListSource,
        list_version: String,
        entries: impl Iterator<Item = SpdxEntry>,
    ) -> Self {
        let mut by_lower: HashMap<String, SpdxEntry> = HashMap::new();
        for entry in entries {
            let key = entry.id.to_ascii_lowercase();
            // Should two ids differ only in case, the current one wins over a deprecated one.
            match by_lower.get(&key) {
                Some(existing) if !existing.deprecated || entry.deprecated => {}
                _ => {
                    by_lower.insert(key, entry);
                }
            }
        }
        Self {
            source,
            list_version,
            by_lower,
        }
    }

    /// Which list this resolver uses.
    pub fn source(&self) -> SpdxListSource {
        self.source
    }

    /// The SPDX list version (`3.29.0` for the embedded list).
    pub fn list_version(&self) -> &str {
        &self.list_version
    }

    /// How many SPDX ids the list holds.
    pub fn spdx_len(&self) -> usize {
        self.by_lower.len()
    }

    /// Resolve a card's license id.
    ///
    /// `id` is matched without regard to case or surrounding spaces, and may carry the tag prefix
    /// `license:` (as in the Hub's `license:apache-2.0` tags). `license_name` and `license_link`
    /// are the card's fields of the same names; they are kept in the record as written, and name
    /// the license when `id` is `other`.
    pub fn resolve(
        &self,
        id: &str,
        license_name: Option<&str>,
        license_link: Option<&str>,
    ) -> LicenseRecord {
        let mut record = self.resolve_id(id);
        record.license_name = license_name.map(str::to_owned);
        record.license_link = license_link.map(str::to_owned);
        if record.kind == LicenseKind::Other {
            if let Some(name) = license_name.map(str::trim).filter(|n| !n.is_empty()) {
                record.name = Some(name.to_owned());
            }
            if let Some(link) = license_link.map(str::trim).filter(|l| !l.is_empty()) {
                record.url = Some(link.to_owned());
            }
        }
        record
    }

    fn resolve_id(&self, id: &str) -> LicenseRecord {
        let trimmed = id.trim();
        let bare = strip_prefix_ignore_case(trimmed, "license:").unwrap_or(trimmed);
        let lower = bare.trim().to_ascii_lowercase();
        let hub = hub_specific(&lower);
        let entry = match (hub, self.by_lower.get(&lower)) {
            // `other` and `unknown` are the Hub's words whatever a list may hold.
            (Some((hub_id @ (HUB_OTHER | HUB_UNKNOWN), name, link)), _)
            | (Some((hub_id, name, link)), None) => {
                let kind = match hub_id {
                    HUB_OTHER => LicenseKind::Other,
                    HUB_UNKNOWN => LicenseKind::Unknown,
                    _ => LicenseKind::HubSpecific,
                };
                let mut record = LicenseRecord::bare(id, kind);
                record.name = Some(name.to_owned());
                record.url = link.map(str::to_owned);
                return record;
            }
            // A Hub id that a newer SPDX list adopted (`openmdw-1.0` is `OpenMDW-1.0` in SPDX
            // 3.29.0, not in 3.27.0) resolves to the SPDX entry.
            (_, Some(entry)) => entry,
            (None, None) => return LicenseRecord::bare(id, LicenseKind::Unresolved),
        };
        if !entry.deprecated {
            return self.spdx_record(id, LicenseKind::Spdx, entry);
        }
        // A deprecated id: GNU's bare `GPL-3.0` became `GPL-3.0-only`, `GPL-3.0+` `GPL-3.0-or-later`.
        let replacement = match entry.id.strip_suffix('+') {
            Some(base) => format!("{base}-or-later"),
            None => format!("{}-only", entry.id),
        };
        let current = self
            .by_lower
            .get(&replacement.to_ascii_lowercase())
            .filter(|e| !e.deprecated);
        let mut record =
            self.spdx_record(id, LicenseKind::SpdxDeprecated, current.unwrap_or(entry));
        record.deprecated_id = Some(entry.id.clone());
        record.is_deprecated = true;
        record
    }

    fn spdx_record(&self, id: &str, kind: LicenseKind, entry: &SpdxEntry) -> LicenseRecord {
        let mut record = LicenseRecord::bare(id, kind);
        record.spdx_id = Some(entry.id.clone());
        record.name = Some(entry.name.clone());
        record.url = Some(entry.url.clone());
        record.osi_approved = entry.osi_approved;
        record.fsf_libre = entry.fsf_libre;
        record
    }
}

/// The Hub-specific entry for a lowercase id, if any.
fn hub_specific(lower: &str) -> Option<(&'static str, &'static str, Option<&'static str>)> {
    HUB_SPECIFIC_LICENSES
        .binary_search_by(|(id, _, _)| (*id).cmp(lower))
        .ok()
        .and_then(|i| HUB_SPECIFIC_LICENSES.get(i))
        .copied()
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

/// Requests about licenses. Get one with [`HfClient::licenses`].
#[derive(Debug, Clone, Copy)]
pub struct LicensesHandler<'c> {
    client: &'c HfClient,
}

impl HfClient {
    /// Requests about licenses (the SPDX list).
    pub fn licenses(&self) -> LicensesHandler<'_> {
        LicensesHandler { client: self }
    }
}

impl<'c> LicensesHandler<'c> {
    /// Fetch an SPDX `licenses.json` from `url`. See [`SpdxListRequest`].
    pub fn spdx_list(&self, url: Url) -> SpdxListRequest<'c> {
        SpdxListRequest {
            client: self.client,
            url,
        }
    }

    /// A resolver over the SPDX list of [`ClientConfig::spdx_licenses_url`] when one is
    /// configured and answers, else over the embedded list. A failed refresh is logged and falls
    /// back to the embedded list: check [`LicenseResolver::source`].
    ///
    /// [`ClientConfig::spdx_licenses_url`]: crate::config::ClientConfig::spdx_licenses_url
    pub async fn resolver(&self) -> LicenseResolver {
        let Some(url) = self.client.config().spdx_licenses_url.clone() else {
            return LicenseResolver::embedded();
        };
        match self.spdx_list(url.clone()).send().await {
            Ok(list) => LicenseResolver::from_spdx_list(&list),
            Err(error) => {
                tracing::warn!(%url, %error, "cannot refresh the SPDX license list; using the embedded one");
                LicenseResolver::embedded()
            }
        }
    }
}

/// `GET` an SPDX `licenses.json` (e.g.
/// `https://raw.githubusercontent.com/spdx/license-list-data/main/json/licenses.json`).
///
/// The request goes through the client's transport (retries, redirects); the Hub token is not
/// sent to another host.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until sent"]
pub struct SpdxListRequest<'c> {
    client: &'c HfClient,
    url: Url,
}

impl SpdxListRequest<'_> {
    /// The URL this request will fetch.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Send it and decode the list.
    pub async fn send(self) -> Result<SpdxLicenseList> {
        let resp = self
            .client
            .get(self.url.clone())
            .await?
            .error_for_status(ResourceKind::Other, self.url.as_str())?;
        resp.json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_specific_table_is_sorted_unique_and_lowercase() {
        for pair in HUB_SPECIFIC_LICENSES.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} !< {}", pair[0].0, pair[1].0);
        }
        for (id, name, link) in HUB_SPECIFIC_LICENSES {
            assert_eq!(*id, id.to_ascii_lowercase());
            assert!(!name.is_empty());
            if let Some(link) = link {
                assert!(Url::parse(link).is_ok(), "{link}");
            }
        }
        assert_eq!(HUB_SPECIFIC_LICENSES.len(), 34);
    }

    /// The Hub's list was checked against SPDX 3.27; the embedded 3.29 list adopted one id.
    /// When the `spdx` crate moves to a newer list, this test says which Hub ids changed kind.
    #[test]
    fn hub_specific_ids_in_the_embedded_spdx_list() {
        let resolver = LicenseResolver::embedded();
        let in_spdx: Vec<&str> = HUB_SPECIFIC_LICENSES
            .iter()
            .map(|(id, _, _)| *id)
            .filter(|id| resolver.by_lower.contains_key(*id))
            .collect();
        assert_eq!(in_spdx, ["openmdw-1.0"]);
    }

    type Case = (
        &'static str,
        LicenseKind,
        Option<&'static str>,
        Option<&'static str>,
    );

    /// (input, kind, spdx_id, deprecated_id)
    #[rustfmt::skip]
    const CASES: &[Case] = &[
        ("apache-2.0", LicenseKind::Spdx, Some("Apache-2.0"), None),
        ("Apache-2.0", LicenseKind::Spdx, Some("Apache-2.0"), None),
        ("  MIT ", LicenseKind::Spdx, Some("MIT"), None),
        ("license:mit", LicenseKind::Spdx, Some("MIT"), None),
        ("etalab-2.0", LicenseKind::Spdx, Some("etalab-2.0"), None),
        ("zlib", LicenseKind::Spdx, Some("Zlib"), None),
        ("gpl-3.0-or-later", LicenseKind::Spdx, Some("GPL-3.0-or-later"), None),
        ("gpl-3.0", LicenseKind::SpdxDeprecated, Some("GPL-3.0-only"), Some("GPL-3.0")),
        ("GPL-2.0+", LicenseKind::SpdxDeprecated, Some("GPL-2.0-or-later"), Some("GPL-2.0+")),
        ("agpl-3.0", LicenseKind::SpdxDeprecated, Some("AGPL-3.0-only"), Some("AGPL-3.0")),
        ("lgpl-2.1", LicenseKind::SpdxDeprecated, Some("LGPL-2.1-only"), Some("LGPL-2.1")),
        // Deprecated without a `-only` successor: the deprecated id is all there is.
        ("nunit", LicenseKind::SpdxDeprecated, Some("Nunit"), Some("Nunit")),
        ("GPL-2.0-with-GCC-exception", LicenseKind::SpdxDeprecated, Some("GPL-2.0-with-GCC-exception"), Some("GPL-2.0-with-GCC-exception")),
        ("openrail++", LicenseKind::HubSpecific, None, None),
        ("openmdw-1.0", LicenseKind::Spdx, Some("OpenMDW-1.0"), None),
        ("openmdw-1.1", LicenseKind::HubSpecific, None, None),
        ("LLAMA3.1", LicenseKind::HubSpecific, None, None),
        ("other", LicenseKind::Other, None, None),
        ("unknown", LicenseKind::Unknown, None, None),
        ("not-a-license", LicenseKind::Unresolved, None, None),
        ("", LicenseKind::Unresolved, None, None),
        ("license:", LicenseKind::Unresolved, None, None),
        ("é", LicenseKind::Unresolved, None, None),
    ];

    #[test]
    fn table_of_cases() {
        let r = LicenseResolver::embedded();
        for (input, kind, spdx_id, deprecated_id) in CASES {
            let rec = r.resolve(input, None, None);
            assert_eq!(rec.id, *input);
            assert_eq!(rec.kind, *kind, "{input}");
            assert_eq!(rec.spdx_id.as_deref(), *spdx_id, "{input}");
            assert_eq!(rec.deprecated_id.as_deref(), *deprecated_id, "{input}");
            assert_eq!(rec.is_deprecated, deprecated_id.is_some(), "{input}");
        }
    }

    #[test]
    fn deprecated_gnu_ids_take_the_current_entry() {
        let rec = LicenseResolver::embedded().resolve("gpl-3.0", None, None);
        assert_eq!(
            rec.name.as_deref(),
            Some("GNU General Public License v3.0 only")
        );
        assert_eq!(
            rec.url.as_deref(),
            Some("https://spdx.org/licenses/GPL-3.0-only.html")
        );
        assert!(rec.osi_approved && rec.fsf_libre);
    }

    #[test]
    fn other_is_named_by_the_card() {
        let r = LicenseResolver::embedded();
        let rec = r.resolve("other", Some("Acme Model License"), Some("LICENSE.md"));
        assert_eq!(rec.kind, LicenseKind::Other);
        assert_eq!(rec.name.as_deref(), Some("Acme Model License"));
        assert_eq!(rec.url.as_deref(), Some("LICENSE.md"));
        assert_eq!(rec.license_name.as_deref(), Some("Acme Model License"));
        let rec = r.resolve("other", None, None);
        assert_eq!(rec.name.as_deref(), Some("Other"));
        // The card's fields are kept whatever the id.
        let rec = r.resolve("mit", Some("x"), None);
        assert_eq!(rec.license_name.as_deref(), Some("x"));
        assert_eq!(rec.name.as_deref(), Some("MIT License"));
    }

    #[test]
    fn records_round_trip_through_json() {
        let r = LicenseResolver::embedded();
        for id in ["apache-2.0", "gpl-3.0", "gemma", "other", "nope"] {
            let rec = r.resolve(id, Some("n"), Some("l"));
            let json = serde_json::to_string(&rec).unwrap();
            let back: LicenseRecord = serde_json::from_str(&json).unwrap();
            assert_eq!(back, rec);
        }
        let json = serde_json::to_value(r.resolve("gpl-3.0", None, None)).unwrap();
        assert_eq!(json["kind"], "spdx_deprecated");
        assert_eq!(json["spdx_id"], "GPL-3.0-only");
    }

    #[test]
    fn embedded_list_is_the_spdx_crate_list() {
        let r = LicenseResolver::embedded();
        assert_eq!(r.source(), SpdxListSource::Embedded);
        assert_eq!(r.list_version(), spdx::license_version());
        assert!(r.spdx_len() > 600);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn resolve_never_panics_and_keeps_the_id(
            id in any::<String>(),
            name in proptest::option::of(".{0,20}"),
        ) {
            let rec = LicenseResolver::embedded().resolve(&id, name.as_deref(), None);
            prop_assert_eq!(&rec.id, &id);
            prop_assert_eq!(rec.license_name, name);
            let spdx = matches!(rec.kind, LicenseKind::Spdx | LicenseKind::SpdxDeprecated);
            prop_assert_eq!(rec.spdx_id.is_some(), spdx);
        }

        #[test]
        fn resolve_ignores_case(id in "[a-zA-Z0-9.+-]{1,24}") {
            let r = LicenseResolver::embedded();
            let lower = r.resolve(&id.to_ascii_lowercase(), None, None);
            let upper = r.resolve(&id.to_ascii_uppercase(), None, None);
            prop_assert_eq!(lower.kind, upper.kind);
            prop_assert_eq!(lower.spdx_id, upper.spdx_id);
        }
    }
}
