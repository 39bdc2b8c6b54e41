//! Reading a file at a place from several threads at once: the journal and the record spool
//! are read back by every core while they are appended to.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

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

/// A handle that reads at a place: on Unix every thread reads through it at once (`pread`,
/// which moves no cursor); elsewhere the reads take turns (seek, then read — the cursor is
/// shared with the writer's handle, which is why every writer of ours seeks to the end before
/// it writes).
#[derive(Debug)]
pub(crate) struct ReadAt {
    #[cfg(unix)]
    file: File,
    #[cfg(not(unix))]
    file: std::sync::Mutex<File>,
}

impl ReadAt {
    /// A reader of `file` (a handle of its own).
    pub(crate) fn new(file: &File) -> io::Result<Self> {
        let file = file.try_clone()?;
        #[cfg(not(unix))]
        let file = std::sync::Mutex::new(file);
        Ok(Self { file })
    }

    /// Fill `bytes` from `offset` on.
    pub(crate) fn read_exact_at(&self, bytes: &mut [u8], offset: u64) -> io::Result<()> {
        #[cfg(unix)]
        {
            std::os::unix::fs::FileExt::read_exact_at(&self.file, bytes, offset)
        }
        #[cfg(not(unix))]
        {
            use std::io::{Read, Seek, SeekFrom};
            let mut file = self
                .file
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
    use std::io::{Seek, SeekFrom, Write};

    #[test]
    fn reads_at_a_place_while_the_writer_appends() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"hello world").unwrap();
        let reader = ReadAt::new(&file).unwrap();
        let mut word = [0; 5];
        reader.read_exact_at(&mut word, 6).unwrap();
        assert_eq!(&word, b"world");
        file.seek(SeekFrom::End(0)).unwrap();
        file.write_all(b"!").unwrap();
        std::thread::scope(|s| {
            for (offset, expected) in [(0, b"hello"), (6, b"world")] {
                let reader = &reader;
                s.spawn(move || {
                    let mut bytes = [0; 5];
                    reader.read_exact_at(&mut bytes, offset).unwrap();
                    assert_eq!(&bytes, expected);
                });
            }
        });
        // Past the end: an error, not a short read.
        assert!(reader.read_exact_at(&mut word, 10).is_err());
        let mut bang = [0; 1];
        reader.read_exact_at(&mut bang, 11).unwrap();
        assert_eq!(&bang, b"!");
    }
}
