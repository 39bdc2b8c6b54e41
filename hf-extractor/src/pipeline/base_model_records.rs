//! The records of `hf_base_models.json` ([`BaseModelRecords`]): every identified base model,
//! read or not, each record made as the file is written.
//!
//! A run of a million models names hundreds of thousands of base models. What is kept of each
//! until its record is written is its id and which model read it, if any; the records
//! themselves (an MLentory id, the run's stamp, a reason for each one not read) were most of
//! a large run's peak when they were all made before the file.

use std::collections::BTreeMap;

use hf_enrich::lineage::{Lineage, ModelKey, caseless_cmp};
use hf_enrich::records::{BaseModelEntity, ExtractionMetadata};

use crate::error::Result;
use crate::store::files::Records;
use crate::store::json_stream::JsonWriter;

/// Why a base model no stub speaks for was not read.
const NOT_FOLLOWED: &str =
    "not followed: named only in the card text, or beyond the lineage iterations";

/// The records of `hf_base_models.json` (see the [module](self)).
pub(crate) struct BaseModelRecords {
    /// The base models' ids, sorted.
    ids: Vec<String>,
    /// For each id, whether a model read is known by it (without regard to ASCII case), and
    /// that model's id when it is another (a renamed repo).
    read: Vec<Option<Option<Box<str>>>>,
    /// The lineage's stubs by their id in lower case: why each was not read, and the Hub's
    /// status.
    stubs: BTreeMap<String, (String, Option<u16>)>,
    stamp: String,
}

impl BaseModelRecords {
    /// The records of `ids` (the distinct base-model ids, sorted), each read by the last of
    /// `models` known by it (by id or alias, without regard to ASCII case), or not read: a stub
    /// of `lineage`, or not followed. `stamp` is the run's start.
    pub(crate) fn new<'m>(
        ids: Vec<String>,
        models: impl IntoIterator<Item = &'m ModelKey>,
        lineage: Option<&Lineage>,
        stamp: &str,
    ) -> Self {
        // The ids by their lower case, as indices: each model's names are looked up there.
        let mut by_case: Vec<u32> = (0..ids.len() as u32).collect();
        by_case.sort_by(|&a, &b| caseless_cmp(&ids[a as usize], &ids[b as usize]));
        let mut read: Vec<Option<&ModelKey>> = vec![None; ids.len()];
        for m in models {
            for name in std::iter::once(&m.id).chain(&m.aliases) {
                let first =
                    by_case.partition_point(|&i| caseless_cmp(&ids[i as usize], name).is_lt());
                for &i in by_case[first..]
                    .iter()
                    .take_while(|&&i| ids[i as usize].eq_ignore_ascii_case(name))
                {
                    read[i as usize] = Some(m);
                }
            }
        }
        drop(by_case);
        let read = ids
            .iter()
            .zip(read)
            .map(|(id, by)| by.map(|m| (m.id != *id).then(|| m.id.as_str().into())))
            .collect();
        let stubs = lineage
            .map(|l| {
                l.stubs
                    .iter()
                    .map(|s| (s.id.to_ascii_lowercase(), (s.reason.clone(), s.status)))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            ids,
            read,
            stubs,
            stamp: stamp.to_owned(),
        }
    }

    /// How many records there are.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// How many of them were not read.
    pub(crate) fn unread(&self) -> usize {
        self.read.iter().filter(|by| by.is_none()).count()
    }

    /// The records, in id order.
    pub(crate) fn entities(&self) -> impl Iterator<Item = BaseModelEntity> + '_ {
        self.ids.iter().zip(&self.read).map(|(id, by)| {
            let (enriched, canonical_id, reason, status) = match by {
                Some(canonical) => (true, canonical.as_deref().map(str::to_owned), None, None),
                None => match self.stubs.get(&id.to_ascii_lowercase()) {
                    Some((reason, status)) => (false, None, Some(reason.clone()), *status),
                    None => (false, None, Some(NOT_FOLLOWED.to_owned()), None),
                },
            };
            BaseModelEntity {
                id: id.clone(),
                mlentory_id: hf_enrich::mlentory::mlentory_id("Model", id),
                enriched,
                canonical_id,
                extraction_metadata: ExtractionMetadata {
                    extraction_method: "hf_api".into(),
                    confidence: 1.0,
                    extraction_time: self.stamp.clone(),
                    error: reason.clone(),
                },
                reason,
                status,
            }
        })
    }
}

impl Records for BaseModelRecords {
    fn write_into(&self, array: &mut JsonWriter<'_>) -> Result<()> {
        self.entities().try_for_each(|record| array.push(&record))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::BTreeSet;

    use hf_enrich::lineage::BaseModelStub;
    use hf_enrich::source::SourceError;

    use super::*;

    fn key(id: &str, aliases: &[&str]) -> ModelKey {
        ModelKey {
            id: id.into(),
            aliases: aliases
                .iter()
                .map(|a| a.to_string())
                .collect::<BTreeSet<_>>(),
        }
    }

    #[test]
    fn each_base_model_is_read_by_the_last_model_known_by_it_in_any_case_or_says_why_not() {
        let ids: Vec<String> = [
            "Org/Base",
            "org/base",
            "org/gone",
            "org/old",
            "org/text-only",
        ]
        .map(String::from)
        .into();
        let models = [
            key("org/first", &["org/old"]),
            key("ORG/BASE", &[]),
            key("org/renamed", &["org/old"]),
        ];
        let error = SourceError::not_found("org/gone: 404");
        let lineage = Lineage {
            stubs: vec![BaseModelStub {
                id: "Org/Gone".into(),
                enriched: false,
                reason: error.message.clone(),
                status: error.status,
                error,
                referenced_by: Vec::new(),
            }],
            ..Lineage::default()
        };
        let records = BaseModelRecords::new(ids, &models, Some(&lineage), "2026-12-08T00:00:00Z");
        assert_eq!((records.len(), records.unread()), (5, 2));
        let made: Vec<(String, bool, Option<String>, Option<String>)> = records
            .entities()
            .map(|e| (e.id, e.enriched, e.canonical_id, e.reason))
            .collect();
        let read_as = |id: &str, by: &str| (id.to_owned(), true, Some(by.to_owned()), None);
        assert_eq!(
            made,
            [
                read_as("Org/Base", "ORG/BASE"),
                read_as("org/base", "ORG/BASE"),
                ("org/gone".into(), false, None, Some("org/gone: 404".into())),
                read_as("org/old", "org/renamed"),
                (
                    "org/text-only".into(),
                    false,
                    None,
                    Some(NOT_FOLLOWED.into())
                ),
            ]
        );
        let first = records.entities().next().unwrap();
        assert_eq!(
            first.extraction_metadata.extraction_time,
            "2026-12-08T00:00:00Z"
        );
        assert_eq!(
            first.mlentory_id,
            hf_enrich::mlentory::mlentory_id("Model", "Org/Base")
        );
    }
}
