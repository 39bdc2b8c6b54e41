//! Per-model bytes kept on disk for the length of a run: [`BlobSpool`].
//!
//! Some of what a run learns of each model is read only when a file is written (what was
//! identified in it, about 1 KB of JSON per model). Held in memory, it grows with the run: a
//! million models would need a GiB. So it is appended to a spool as the model arrives, and
//! memory keeps only its place ([`BlobAt`], 16 bytes), read back when the file is written.
//!
//! The spool of a run is a file without a name in the run folder (made with
//! [`tempfile::tempfile_in`]): the system removes it when the run drops it, also when the run
//! is killed, and it is never one of the run's files. A spool without a folder keeps its bytes
//! in memory (for values built outside a run, and tests).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::error::{Error, Result};
use crate::store::append_file::AppendFile;

/// Where one blob is in its spool. Read back only through the spool that appended it (another
/// spool refuses it with an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlobAt {
    offset: u64,
    len: u32,
    spool: u32,
}

/// Blobs appended from any thread and read back by place (see the [module](self)). Cloning it
/// is cheap: the clones share one spool.
#[derive(Debug, Clone)]
pub(crate) struct BlobSpool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Tells this spool's places from another's.
    id: u32,
    backend: Backend,
}

#[derive(Debug)]
enum Backend {
    Memory(Mutex<Vec<u8>>),
    /// Created at the first append.
    Folder {
        folder: PathBuf,
        file: OnceLock<AppendFile>,
    },
}

/// The ids of spools, one each.
static SPOOLS: AtomicU32 = AtomicU32::new(0);

impl Default for BlobSpool {
    /// A spool in memory.
    fn default() -> Self {
        Self::with(Backend::Memory(Mutex::default()))
    }
}

impl BlobSpool {
    /// A spool in `folder` (its file is made at the first append).
    pub(crate) fn in_folder(folder: &Path) -> Self {
        Self::with(Backend::Folder {
            folder: folder.to_owned(),
            file: OnceLock::new(),
        })
    }

    fn with(backend: Backend) -> Self {
        Self {
            inner: Arc::new(Inner {
                id: SPOOLS.fetch_add(1, Ordering::Relaxed),
                backend,
            }),
        }
    }

    /// What errors name: the folder of the spool.
    fn location(&self) -> PathBuf {
        match &self.inner.backend {
            Backend::Memory(_) => PathBuf::from("(spool in memory)"),
            Backend::Folder { folder, .. } => folder.join("(spool)"),
        }
    }

    /// Append `bytes`; returns their place.
    pub(crate) fn append(&self, bytes: &[u8]) -> Result<BlobAt> {
        let too_long = || {
            let e = std::io::Error::other(format!("a blob of {} bytes", bytes.len()));
            Error::io(self.location(), e)
        };
        let len = u32::try_from(bytes.len()).map_err(|_| too_long())?;
        let offset = match &self.inner.backend {
            Backend::Memory(memory) => {
                let mut memory = memory.lock().unwrap_or_else(PoisonError::into_inner);
                let offset = memory.len() as u64;
                memory.extend_from_slice(bytes);
                offset
            }
            Backend::Folder { folder, file } => {
                let file = match file.get() {
                    Some(file) => file,
                    None => {
                        let made = tempfile::tempfile_in(folder)
                            .and_then(AppendFile::new)
                            .map_err(|e| Error::io(self.location(), e))?;
                        // Two first appends at once: one file is kept, the other dropped.
                        let _ = file.set(made);
                        file.get().ok_or_else(too_long)?
                    }
                };
                file.append(bytes)
                    .map_err(|e| Error::io(self.location(), e))?
            }
        };
        Ok(BlobAt {
            offset,
            len,
            spool: self.inner.id,
        })
    }

    /// The blob at `at` into `out` (replacing what it held).
    pub(crate) fn read_into(&self, at: BlobAt, out: &mut Vec<u8>) -> Result<()> {
        let refused =
            |what: &str| Error::io(self.location(), std::io::Error::other(what.to_owned()));
        if at.spool != self.inner.id {
            return Err(refused("a place of another spool"));
        }
        out.clear();
        out.resize(at.len as usize, 0);
        match &self.inner.backend {
            Backend::Memory(memory) => {
                let memory = memory.lock().unwrap_or_else(PoisonError::into_inner);
                let start = usize::try_from(at.offset).map_err(|_| refused("past the end"))?;
                let bytes = memory
                    .get(start..start + out.len())
                    .ok_or_else(|| refused("past the end"))?;
                out.copy_from_slice(bytes);
            }
            Backend::Folder { file, .. } => {
                let file = file.get().ok_or_else(|| refused("nothing appended yet"))?;
                file.read_exact_at(out, at.offset)
                    .map_err(|e| Error::io(self.location(), e))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn blobs_come_back_from_a_folder_or_memory_and_only_from_their_spool() {
        let dir = tempfile::tempdir().unwrap();
        for spool in [BlobSpool::in_folder(dir.path()), BlobSpool::default()] {
            let a = spool.append(b"first").unwrap();
            let empty = spool.append(b"").unwrap();
            let b = spool.append(b"second one").unwrap();
            let mut out = b"left over".to_vec();
            spool.read_into(b, &mut out).unwrap();
            assert_eq!(out, b"second one");
            spool.read_into(a, &mut out).unwrap();
            assert_eq!(out, b"first");
            spool.read_into(empty, &mut out).unwrap();
            assert!(out.is_empty());
            // A place of another spool is refused, not read.
            let other = BlobSpool::default();
            other.append(b"other bytes").unwrap();
            assert!(other.read_into(a, &mut out).is_err());
        }
        // The spool's file has no name: the folder stays empty.
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    }

    #[test]
    fn blobs_appended_from_several_threads_are_each_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let spool = BlobSpool::in_folder(dir.path());
        let places: Vec<Vec<(BlobAt, String)>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|t| {
                    let spool = &spool;
                    s.spawn(move || {
                        (0..200)
                            .map(|i| {
                                let text = format!("thread {t} blob {i}");
                                (spool.append(text.as_bytes()).unwrap(), text)
                            })
                            .collect()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut out = Vec::new();
        for (at, text) in places.into_iter().flatten() {
            spool.read_into(at, &mut out).unwrap();
            assert_eq!(out, text.as_bytes());
        }
    }
}
