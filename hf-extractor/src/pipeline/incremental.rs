//! Incremental runs: the watermark of an earlier run (`HF_SINCE_RUN`) and its cards, reused
//! for models whose commit `sha` did not change.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use hf_enrich::models::{CachedCard, CardCache};

use crate::error::{Error, Result};
use crate::manifest::{IncrementalReport, MANIFEST_FILE, RunManifest};
use crate::store::checkpoint::{self, CHECKPOINT_FILE, Checkpoint, Event, Stored};

/// An earlier run an incremental run follows.
#[derive(Debug)]
pub struct EarlierRun {
    /// Its folder.
    pub folder: PathBuf,
    /// Its manifest's watermark: the newest `lastModified` it listed.
    pub watermark: jiff::Timestamp,
    /// Its cards, if its journal is there.
    pub cards: Option<EarlierCards>,
}

impl EarlierRun {
    /// Read the manifest (and index the journal) of the run folder `folder`. Errors name the
    /// folder and what is missing.
    pub fn open(folder: &Path) -> Result<Self> {
        let path = folder.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let manifest: RunManifest = serde_json::from_str(&text).map_err(|source| Error::Json {
            path: path.clone(),
            source,
        })?;
        let invalid = |reason: String| Error::Config {
            variable: "HF_SINCE_RUN".into(),
            value: folder.display().to_string(),
            reason,
        };
        let watermark = manifest
            .watermark
            .as_deref()
            .ok_or_else(|| invalid("its run.json has no watermark (it listed no model)".into()))?
            .parse()
            .map_err(|e| invalid(format!("its run.json's watermark is not a time: {e}")))?;
        let cards = if checkpoint::exists(folder) {
            Some(EarlierCards::open(folder)?)
        } else {
            tracing::warn!(folder = %folder.display(), "the earlier run has no {CHECKPOINT_FILE}: its cards cannot be reused");
            None
        };
        Ok(Self {
            folder: folder.to_owned(),
            watermark,
            cards,
        })
    }
}

/// The cards of an earlier run's journal, by model id: only their places are in memory.
#[derive(Debug)]
pub struct EarlierCards {
    journal: Checkpoint,
    index: HashMap<String, Earlier>,
    reused: AtomicU64,
    not_modified: AtomicU64,
}

#[derive(Debug)]
struct Earlier {
    sha: Option<String>,
    etag: Option<String>,
    at: Stored,
}

impl EarlierCards {
    /// Index the models of the journal in `folder` (the last line of a model wins).
    pub fn open(folder: &Path) -> Result<Self> {
        let mut index = HashMap::new();
        let journal = Checkpoint::read_only(folder, |at, event| {
            if let Event::Model { model, .. } | Event::Merged { model } = event
                && model.card_error.is_none()
            {
                index.insert(
                    model.id,
                    Earlier {
                        sha: model.info.sha,
                        etag: model.card_etag,
                        at,
                    },
                );
            }
            Ok(())
        })?;
        Ok(Self {
            journal,
            index,
            reused: AtomicU64::new(0),
            not_modified: AtomicU64::new(0),
        })
    }

    /// Cards reused without a request.
    pub fn reused_count(&self) -> u64 {
        self.reused.load(Ordering::Relaxed)
    }

    /// Cards answered `304 Not Modified`.
    pub fn not_modified_count(&self) -> u64 {
        self.not_modified.load(Ordering::Relaxed)
    }
}

impl CardCache for EarlierCards {
    fn get(&self, id: &str) -> Option<CachedCard> {
        let earlier = self.index.get(id)?;
        match self.journal.model(earlier.at) {
            Ok(model) => Some(CachedCard {
                sha: earlier.sha.clone(),
                etag: earlier.etag.clone(),
                text: model.card,
            }),
            Err(e) => {
                tracing::warn!(model = id, error = %e, "the earlier card cannot be read; fetching it");
                None
            }
        }
    }

    fn reused(&self) {
        self.reused.fetch_add(1, Ordering::Relaxed);
    }

    fn not_modified(&self) {
        self.not_modified.fetch_add(1, Ordering::Relaxed);
    }
}

/// An incremental run's settings.
#[derive(Debug, Default)]
pub(crate) struct Incremental {
    /// List down to this time.
    pub since: Option<jiff::Timestamp>,
    earlier: Option<EarlierRun>,
}

impl Incremental {
    pub fn new(since: Option<jiff::Timestamp>, earlier: Option<EarlierRun>) -> Self {
        Self { since, earlier }
    }

    /// The earlier run's cards, if any.
    pub fn cards(&self) -> Option<&dyn CardCache> {
        self.earlier
            .as_ref()
            .and_then(|e| e.cards.as_ref())
            .map(|c| c as &dyn CardCache)
    }

    /// What the run saved, when it is incremental.
    pub fn report(&self) -> Option<IncrementalReport> {
        let since = self.since?;
        let cards = self.earlier.as_ref().and_then(|e| e.cards.as_ref());
        let reused = cards.map_or(0, EarlierCards::reused_count);
        Some(IncrementalReport {
            since: since.to_string(),
            since_run: self
                .earlier
                .as_ref()
                .map(|e| e.folder.display().to_string()),
            cards_reused: reused,
            cards_not_modified: cards.map_or(0, EarlierCards::not_modified_count),
            requests_saved: reused,
        })
    }
}
