//! A file appended to at its end and read back at any place from several threads at once:
//! the journal and the record spool, read back by every core while they grow.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;

use crate::error::{Error, Result};

/// A new, empty file at `path` to append to and read back (an earlier file there is replaced).
pub(crate) fn create_read_write(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))
}

/// Appends take turns (each one `write` call at the end, so a kill leaves at most a torn
/// tail); reads at a place do not wait for them on Unix (`pread` through a handle of their own,
/// which moves no cursor); elsewhere reads take turns too (seek, then read: the cursor is
/// shared with the writer's handle, which is why an append seeks to the end first).
#[derive(Debug)]
pub(crate) struct AppendFile {
    writer: Mutex<File>,
    #[cfg(unix)]
    reader: File,
    #[cfg(not(unix))]
    reader: Mutex<File>,
}

impl AppendFile {
    /// Append to and read `file` (opened for reading and writing, or reading only).
    pub(crate) fn new(file: File) -> io::Result<Self> {
        let reader = file.try_clone()?;
        #[cfg(not(unix))]
        let reader = Mutex::new(reader);
        Ok(Self {
            writer: Mutex::new(file),
            reader,
        })
    }

    /// Write `bytes` at the end; returns where they start.
    pub(crate) fn append(&self, bytes: &[u8]) -> io::Result<u64> {
        let mut file = self
            .writer
            .lock()
            .map_err(|_| io::Error::other("file lock poisoned"))?;
        let offset = file.seek(SeekFrom::End(0))?;
        file.write_all(bytes)?;
        Ok(offset)
    }

    /// Fill `bytes` from `offset` on.
    pub(crate) fn read_exact_at(&self, bytes: &mut [u8], offset: u64) -> io::Result<()> {
        #[cfg(unix)]
        {
            std::os::unix::fs::FileExt::read_exact_at(&self.reader, bytes, offset)
        }
        #[cfg(not(unix))]
        {
            use std::io::Read;
            let mut file = self
                .reader
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            file.seek(SeekFrom::Start(offset))?;
            file.read_exact(bytes)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn reads_at_a_place_from_several_threads_while_appending() {
        let file = AppendFile::new(tempfile::tempfile().unwrap()).unwrap();
        assert_eq!(file.append(b"hello ").unwrap(), 0);
        assert_eq!(file.append(b"world").unwrap(), 6);
        let mut word = [0; 5];
        file.read_exact_at(&mut word, 6).unwrap();
        assert_eq!(&word, b"world");
        // A read moves nothing an append depends on.
        assert_eq!(file.append(b"!").unwrap(), 11);
        std::thread::scope(|s| {
            for (offset, expected) in [(0, b"hello"), (6, b"world")] {
                let file = &file;
                s.spawn(move || {
                    let mut bytes = [0; 5];
                    file.read_exact_at(&mut bytes, offset).unwrap();
                    assert_eq!(&bytes, expected);
                });
            }
        });
        // Past the end: an error, not a short read.
        assert!(file.read_exact_at(&mut word, 10).is_err());
        let mut bang = [0; 1];
        file.read_exact_at(&mut bang, 11).unwrap();
        assert_eq!(&bang, b"!");
    }
}
