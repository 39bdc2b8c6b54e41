//! Resuming an interrupted run: what its journal ([`Checkpoint`](crate::store::checkpoint::Checkpoint))
//! says was done — the listing's pages (and the next page's URL), the models fetched, the ids of
//! the model-id file that failed, the lineage and the assets written — gathered as the journal
//! is read, one line at a time.

use std::collections::{BTreeMap, BTreeSet};

use hf_client::wire::ModelInfo;
use hf_enrich::lineage::{BaseModelStub, ModelKey};
use hf_enrich::models::{ListingResume, ModelFailure, ModelSource, note_watermark};
use hf_enrich::quality::{LowInfo, low_info};

use crate::assets::Asset;
use crate::manifest::{AssetReport, FailureReport};
use crate::pipeline::packed_refs::PackedRefs;
use crate::pipeline::run_models::Entry;
use crate::store::checkpoint::{Event, RunStart, Stored};

/// The latest-N listing as far as it went.
#[derive(Debug, Default)]
pub(crate) struct LatestReplay {
    /// Listed, card not fetched yet.
    pending: BTreeMap<usize, ModelInfo>,
    done: Vec<(usize, Option<LowInfo>)>,
    pub models: Vec<(usize, Entry, PackedRefs)>,
    listed: usize,
    /// The last page's next URL (`None` inside: the listing was over).
    next: Option<Option<String>>,
    newest: hf_enrich::models::SourceOutcome,
    pub pages: u64,
}

impl LatestReplay {
    /// Ask the listing's next page of `endpoint` when it was given by `earlier` (the Hub moved
    /// since the run started: the bundled offline Hub listens on a new port each time).
    pub fn rebase(&mut self, earlier: &str, endpoint: &str) {
        if let Some(Some(next)) = &mut self.next
            && earlier != endpoint
            && let Some(rest) = next.strip_prefix(earlier)
        {
            tracing::info!(
                from = earlier,
                to = endpoint,
                "the Hub moved since the run started: the listing goes on at the new endpoint"
            );
            *next = format!("{endpoint}{rest}");
        }
    }

    /// Where the listing resumes; `None` when it had not started.
    pub fn listing(&mut self) -> Option<ListingResume> {
        let next = self.next.take()?;
        Some(ListingResume {
            pending: std::mem::take(&mut self.pending).into_iter().collect(),
            done: std::mem::take(&mut self.done),
            listed: self.listed,
            next: next.and_then(|u| u.parse().ok()),
            newest_last_modified: self.newest.newest_last_modified.take(),
        })
    }
}

/// The model-id file as far as it went.
#[derive(Debug, Default)]
pub(crate) struct FileReplay {
    pub done: BTreeSet<usize>,
    pub models: Vec<(usize, Entry, PackedRefs)>,
    pub failures: Vec<ModelFailure>,
}

/// What the journal of an interrupted run says.
#[derive(Debug, Default)]
pub(crate) struct Replay {
    filter_low_info: bool,
    pub started: Option<RunStart>,
    pub latest: Option<LatestReplay>,
    pub file: Option<FileReplay>,
    /// Parents read by the last lineage that finished, with what was identified in them.
    pub parents: Vec<(Entry, PackedRefs)>,
    /// Parents journaled since the last lineage that finished.
    parents_since: Vec<(Entry, PackedRefs)>,
    pub stubs: Option<Vec<BaseModelStub>>,
    /// The legacy base-model ids the last lineage that finished resolved.
    pub renamed: BTreeMap<String, String>,
    pub assets: BTreeMap<Asset, (AssetReport, Vec<FailureReport>)>,
}

impl Replay {
    /// A replay of a run with (or without) the low-information filter.
    pub fn new(filter_low_info: bool) -> Self {
        Self {
            filter_low_info,
            ..Self::default()
        }
    }

    /// Take one line of the journal into account.
    pub fn add(&mut self, at: Stored, event: Event) {
        match event {
            started @ Event::Started { .. } => {
                if self.started.is_none() {
                    self.started = RunStart::of(started);
                }
            }
            Event::Page(page) => {
                let latest = self.latest.get_or_insert_with(LatestReplay::default);
                latest.pages += 1;
                let served = page.items.len();
                for (i, info) in page.items.into_iter().enumerate() {
                    note_watermark(&mut latest.newest, &info);
                    latest.pending.insert(page.first_position + i, info);
                }
                latest.listed = latest.listed.max(page.first_position + served);
                latest.next = Some(page.next);
            }
            Event::Model {
                source,
                position,
                model,
            } => {
                let found = PackedRefs::of(&model);
                let entry = Entry {
                    key: ModelKey::of(&model),
                    at,
                };
                match source {
                    ModelSource::Latest => {
                        let latest = self.latest.get_or_insert_with(LatestReplay::default);
                        latest.pending.remove(&position);
                        let rule = if self.filter_low_info {
                            low_info(
                                model.info.pipeline_tag.as_deref(),
                                &model.info.tags,
                                model.card.as_deref().unwrap_or_default(),
                            )
                        } else {
                            None
                        };
                        latest.done.push((position, rule));
                        latest.models.push((position, entry, found));
                    }
                    ModelSource::File => {
                        let file = self.file.get_or_insert_with(FileReplay::default);
                        file.done.insert(position);
                        file.models.push((position, entry, found));
                    }
                    ModelSource::Lineage => self.parents_since.push((entry, found)),
                }
            }
            Event::Merged { .. } => {}
            Event::Failed { position, failure } => {
                let file = self.file.get_or_insert_with(FileReplay::default);
                file.done.insert(position);
                file.failures.push(failure);
            }
            Event::Lineage { stubs, renamed } => {
                self.parents = std::mem::take(&mut self.parents_since);
                self.stubs = Some(stubs);
                self.renamed = renamed;
            }
            Event::AssetDone { report, failures } => match report.name.parse::<Asset>() {
                Ok(asset) => {
                    self.assets.insert(asset, (report, failures));
                }
                Err(e) => tracing::warn!("journal: {e}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replay_with_next(next: Option<&str>) -> LatestReplay {
        LatestReplay {
            next: Some(next.map(str::to_owned)),
            ..LatestReplay::default()
        }
    }

    #[test]
    fn the_next_page_moves_with_the_hub() {
        let mut latest = replay_with_next(Some("http://127.0.0.1:4001/api/models?cursor=abc"));
        latest.rebase("http://127.0.0.1:4001/", "http://127.0.0.1:5002/");
        let resume = latest.listing().unwrap();
        assert_eq!(
            resume.next.unwrap().as_str(),
            "http://127.0.0.1:5002/api/models?cursor=abc"
        );

        // Same endpoint, a next page elsewhere, a listing that was over: left as they are.
        for (next, from, to) in [
            (
                Some("https://hub.test/api/models?p=2"),
                "https://hub.test/",
                "https://hub.test/",
            ),
            (
                Some("https://other.test/api/models?p=2"),
                "https://hub.test/",
                "http://x.test/",
            ),
            (None, "https://hub.test/", "http://x.test/"),
        ] {
            let mut latest = replay_with_next(next);
            latest.rebase(from, to);
            let resume = latest.listing().unwrap();
            assert_eq!(resume.next.as_ref().map(|u| u.as_str()), next);
        }
    }
}
