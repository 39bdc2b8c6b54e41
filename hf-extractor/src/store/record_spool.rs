//! Model records rendered once per run.
//!
//! A run writes up to three files of model records (`hf_raw_models_latest`, `hf_raw_models`,
//! `hf_add_ancestor_models`) that mostly hold the same records, and rendering a record — reading
//! its model back from the journal and turning it into sorted, pretty JSON — is most of the CPU
//! these files cost. So each record is rendered once, into a spool file beside the journal, and
//! every file that holds it copies its bytes. The models of the listing are rendered as they
//! arrive, on the CPU pool, while the requests run; the others (merged models, lineage
//! parents) the first time a file needs them.
//!
//! A record is reused only for the same journal line and the same base-model links (compared
//! by a 64-bit fingerprint), and only by a run with the spool's extraction time, so a file
//! never holds bytes other than those it would have rendered. The spool is a cache: it is
//! removed when the journal is closed, and a resumed run starts without it.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};

use hf_enrich::models::FetchedModel;
use hf_enrich::records::{BaseModelLink, ModelRecord};

use crate::error::{Error, Result};
use crate::store::append_file::{AppendFile, create_read_write};
use crate::store::by_place::ByPlace;
use crate::store::checkpoint::Stored;
use crate::store::json_stream::Rendered;

/// The spool's file name in a run folder: removed at the end of the run, and (named as a
/// temporary file of [`crate::store::run_folder::write_atomically`]) by a resumed run when a kill left
/// it behind.
pub(crate) const SPOOL_FILE: &str = ".tmp-records.spool";

/// Where a rendered record is in the spool, and the links it was rendered with.
#[derive(Debug, Clone, Copy)]
struct Kept {
    links: u64,
    offset: u64,
    len: usize,
}

/// Where a rendered record is in the spool ([`RecordSpool::place`]): a file of records can be
/// written from these places alone, on a thread of its own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SpoolPlace {
    offset: u64,
    len: usize,
}

impl From<Kept> for SpoolPlace {
    fn from(kept: Kept) -> Self {
        Self {
            offset: kept.offset,
            len: kept.len,
        }
    }
}

/// Rendered model records by journal place (see the module docs).
#[derive(Debug)]
pub(crate) struct RecordSpool {
    path: PathBuf,
    stamp: String,
    file: AppendFile,
    kept: RwLock<ByPlace<Kept>>,
}

impl RecordSpool {
    /// An empty spool in `folder` for records extracted at `stamp` (replacing an earlier one).
    pub(crate) fn create(folder: &Path, stamp: &str) -> Result<Self> {
        let path = folder.join(SPOOL_FILE);
        let file = AppendFile::new(create_read_write(&path)?).map_err(|e| Error::io(&path, e))?;
        Ok(Self {
            path,
            stamp: stamp.to_owned(),
            file,
            kept: RwLock::new(ByPlace::default()),
        })
    }

    /// Whether the spool's records were rendered with this extraction time.
    pub(crate) fn serves(&self, stamp: &str) -> bool {
        self.stamp == stamp
    }

    /// Render the record of `model` (journaled at `at`) with `links`, keep it, and return it.
    pub(crate) fn render(
        &self,
        at: Stored,
        model: &FetchedModel,
        links: Vec<BaseModelLink>,
    ) -> Result<Rendered> {
        self.render_kept(at, model, links)
            .map(|(rendered, _)| rendered)
    }

    /// Where the record of the model at `at` with `links` is kept: rendered now (from the
    /// model `read` gives) if it was not.
    pub(crate) fn place(
        &self,
        at: Stored,
        links: Vec<BaseModelLink>,
        read: impl FnOnce() -> Result<FetchedModel>,
    ) -> Result<SpoolPlace> {
        if let Some(kept) = self.kept(at, &links) {
            return Ok(kept.into());
        }
        let (_, kept) = self.render_kept(at, &read()?, links)?;
        Ok(kept.into())
    }

    /// The record kept at `place`. A place stays valid for the spool's life: a record
    /// rendered again is appended, never written over.
    pub(crate) fn read(&self, place: SpoolPlace) -> Result<Rendered> {
        let mut bytes = vec![0; place.len];
        self.file
            .read_exact_at(&mut bytes, place.offset)
            .map_err(|e| Error::io(&self.path, e))?;
        Ok(Rendered::from_bytes(bytes))
    }

    fn render_kept(
        &self,
        at: Stored,
        model: &FetchedModel,
        links: Vec<BaseModelLink>,
    ) -> Result<(Rendered, Kept)> {
        let fingerprint = fingerprint(&links);
        let rendered = Rendered::new(&ModelRecord::new(model, links, &self.stamp), &self.path)?;
        let bytes = rendered.as_bytes();
        let offset = self
            .file
            .append(bytes)
            .map_err(|e| Error::io(&self.path, e))?;
        let kept = Kept {
            links: fingerprint,
            offset,
            len: bytes.len(),
        };
        self.kept
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(at, kept);
        Ok((rendered, kept))
    }

    /// The record kept for the model at `at` with these `links`, if there is one.
    pub(crate) fn get(&self, at: Stored, links: &[BaseModelLink]) -> Result<Option<Rendered>> {
        self.kept(at, links)
            .map(|kept| self.read(kept.into()))
            .transpose()
    }

    fn kept(&self, at: Stored, links: &[BaseModelLink]) -> Option<Kept> {
        let kept = self
            .kept
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(at)
            .copied();
        kept.filter(|k| k.links == fingerprint(links))
    }
}

impl Drop for RecordSpool {
    fn drop(&mut self) {
        // A cache: nothing is lost if it stays (a resumed run makes a new one).
        let _ = std::fs::remove_file(&self.path);
    }
}

fn fingerprint(links: &[BaseModelLink]) -> u64 {
    let mut hasher = DefaultHasher::new();
    for link in links {
        link.id.hash(&mut hasher);
        link.relation.hash(&mut hasher);
    }
    links.len().hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::store::checkpoint::Checkpoint;
    use crate::store::checkpoint::tests::model;
    use hf_enrich::models::ModelSource;

    fn link(id: &str) -> BaseModelLink {
        BaseModelLink {
            id: id.to_owned(),
            relation: "finetune".to_owned(),
        }
    }

    #[test]
    fn a_record_comes_back_as_rendered_only_for_its_line_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Checkpoint::create(dir.path()).unwrap();
        let spool = RecordSpool::create(dir.path(), "2026-11-27T00:00:00Z").unwrap();
        let (a, b) = (model("org/a", "# A"), model("org/b", "# B"));
        let at_a = journal.append_model(ModelSource::Latest, 0, &a).unwrap();
        let at_b = journal.append_model(ModelSource::Latest, 1, &b).unwrap();
        let rendered_a = spool.render(at_a, &a, vec![link("org/base")]).unwrap();
        let rendered_b = spool.render(at_b, &b, Vec::new()).unwrap();
        let expected = Rendered::new(
            &ModelRecord::new(&a, vec![link("org/base")], "2026-11-27T00:00:00Z"),
            Path::new("x"),
        )
        .unwrap();
        assert_eq!(rendered_a, expected);
        assert_eq!(
            spool.get(at_a, &[link("org/base")]).unwrap(),
            Some(expected)
        );
        assert_eq!(spool.get(at_b, &[]).unwrap(), Some(rendered_b));
        // Other links (a base model canonicalised by the lineage): rendered again by the caller.
        assert_eq!(spool.get(at_a, &[link("org/other")]).unwrap(), None);
        assert_eq!(spool.get(at_a, &[]).unwrap(), None);
        // A line never rendered.
        let at_c = journal
            .append_model(ModelSource::Latest, 2, &model("org/c", ""))
            .unwrap();
        assert_eq!(spool.get(at_c, &[]).unwrap(), None);
        assert!(spool.serves("2026-11-27T00:00:00Z"));
        assert!(!spool.serves("2026-11-28T00:00:00Z"));
    }

    #[test]
    fn a_place_reads_back_its_record_even_after_the_model_is_rendered_again() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Checkpoint::create(dir.path()).unwrap();
        let stamp = "2026-11-27T00:00:00Z";
        let spool = RecordSpool::create(dir.path(), stamp).unwrap();
        let a = model("org/a", "# A");
        let at = journal.append_model(ModelSource::Latest, 0, &a).unwrap();
        let rendered = spool.render(at, &a, vec![link("org/base")]).unwrap();
        // Kept with these links: found, the model not read again.
        let place = spool
            .place(at, vec![link("org/base")], || panic!("read again"))
            .unwrap();
        assert_eq!(spool.read(place).unwrap(), rendered);
        // Other links: rendered now, from the model read.
        let other = spool
            .place(at, vec![link("org/other")], || Ok(a.clone()))
            .unwrap();
        let expected = Rendered::new(
            &ModelRecord::new(&a, vec![link("org/other")], stamp),
            Path::new("x"),
        )
        .unwrap();
        assert_eq!(spool.read(other).unwrap(), expected);
        // The first place still holds the first record.
        assert_eq!(spool.read(place).unwrap(), rendered);
        // A model that cannot be read back fails its place.
        let unread = spool.place(at, Vec::new(), || {
            Err(Error::io(dir.path(), std::io::Error::other("gone")))
        });
        assert!(unread.is_err());
    }

    #[test]
    fn the_spool_file_goes_with_the_spool() {
        let dir = tempfile::tempdir().unwrap();
        let spool = RecordSpool::create(dir.path(), "t").unwrap();
        assert!(dir.path().join(SPOOL_FILE).exists());
        drop(spool);
        assert!(!dir.path().join(SPOOL_FILE).exists());
    }
}
