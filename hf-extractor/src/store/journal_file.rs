//! The journal's bytes on disk: one line of JSON per event, each line compressed alone as one
//! zstd frame, so any line can be read back by its place while the file grows.
//!
//! A compressed journal (`checkpoint.jsonl.zst`) starts with a skippable frame (zstd's frame
//! for data a decoder passes over) holding the dictionary its lines are compressed with: the
//! file says how to read itself, whatever dictionary a later version of the crate compresses
//! with. Each line after it is one frame, with its content size and a checksum, written with
//! one `write` call: a kill leaves at most a torn last frame, which opening the journal cuts
//! off. A journal written before the journal was compressed (`checkpoint.jsonl`, plain lines)
//! is read, and appended to, as it is.
//!
//! Small frames compress poorly on their own; the dictionary is what makes one line of a few
//! kilobytes small: JSON keys, the events' shapes and the phrases of model cards, learned from
//! journals of runs (`journal.dict`, see [`DICTIONARY`]).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use zstd::bulk::{Compressor, Decompressor};
use zstd::zstd_safe;

use crate::error::{Error, Result};
use crate::store::append_file::AppendFile;

/// The dictionary new journals are compressed with: trained by `zstd --train` on the lines of
/// the journal of a run over the bundled offline Hub (real recorded models and cards;
/// `benches/scripts/journal-dict.sh` makes it again).
pub(crate) static DICTIONARY: &[u8] = include_bytes!("journal.dict");

/// zstd's level for the journal's lines: the default, fast enough to keep up with the run.
const LEVEL: i32 = 3;

/// The magic number of the skippable frame that holds the dictionary (zstd reserves
/// `0x184D2A50` to `0x184D2A5F` for skippable frames).
const DICTIONARY_FRAME: u32 = 0x184D_2A5E;

/// Where a line is in the journal: its frame (or, in a plain journal, the line itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Place {
    pub(crate) offset: u64,
    pub(crate) len: u32,
}

/// What is kept by journal place is kept by the line's offset alone ([`Place::key`]): unique
/// in its journal, and half the bytes of a [`Place`] (which pads its length to 16 bytes) in
/// tables holding an entry per model.
pub(crate) type PlaceKey = u64;

impl Place {
    /// The key of this place in a table by place: its offset, unique in its journal.
    pub(crate) fn key(self) -> PlaceKey {
        self.offset
    }
}

#[cfg(test)]
impl Place {
    /// A place for tests of what is kept by place.
    pub(crate) fn at(offset: u64) -> Self {
        Self { offset, len: 1 }
    }
}

/// How the journal's lines are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// One zstd frame per line (`checkpoint.jsonl.zst`).
    Zstd,
    /// Plain lines (`checkpoint.jsonl`, written before the journal was compressed).
    Plain,
}

/// The lines of one journal file, appended from any thread and read back by place.
#[derive(Debug)]
pub(crate) struct JournalFile {
    path: PathBuf,
    file: AppendFile,
    codec: Option<Codec>,
}

impl JournalFile {
    /// A new, empty compressed journal at `path` (an earlier file there is replaced).
    pub(crate) fn create(path: &Path) -> Result<Self> {
        let file = crate::store::append_file::create_read_write(path)?;
        let file = AppendFile::new(file).map_err(|e| Error::io(path, e))?;
        let codec = Codec::new(DICTIONARY.into());
        file.append(&codec.head_frame())
            .map_err(|e| Error::io(path, e))?;
        Ok(Self {
            path: path.to_owned(),
            file,
            codec: Some(codec),
        })
    }

    /// Read the journal `file` at `path`, stored as `format`: each whole line is handed to
    /// `each` with its place, in order. Returns the journal and the length of its whole lines
    /// (what is after it is a torn last line).
    pub(crate) fn read(
        path: &Path,
        file: File,
        format: Format,
        mut each: impl FnMut(Place, &[u8]) -> Result<()>,
    ) -> Result<(Self, u64)> {
        let mut tail = Tail::new(path, format);
        let valid = tail.read_new(&file, |at, line| {
            each(at, line).map(|()| Flow::Continue(()))
        })?;
        let codec = tail.codec;
        let file = AppendFile::new(file).map_err(|e| Error::io(path, e))?;
        let journal = Self {
            path: path.to_owned(),
            file,
            codec,
        };
        Ok((journal, valid))
    }

    /// The first line of the journal `file` at `path`, if it has a whole one.
    pub(crate) fn first_line(path: &Path, file: &File, format: Format) -> Result<Option<Vec<u8>>> {
        let mut first = None;
        Tail::new(path, format).read_new(file, |_, line| {
            first = Some(line.to_vec());
            Ok(Flow::Break(()))
        })?;
        Ok(first)
    }

    /// Append one line (its final newline included); returns its place.
    pub(crate) fn append(&self, line: &[u8]) -> Result<Place> {
        let stored;
        let bytes = match &self.codec {
            Some(codec) => {
                stored = codec.compress(line).map_err(|e| self.error(e))?;
                &stored[..]
            }
            None => line,
        };
        let len = u32::try_from(bytes.len())
            .map_err(|_| self.error(io::Error::other("a journal line longer than 4 GiB")))?;
        let offset = self.file.append(bytes).map_err(|e| self.error(e))?;
        Ok(Place { offset, len })
    }

    /// The line at `at`.
    pub(crate) fn line(&self, at: Place) -> Result<Vec<u8>> {
        let mut bytes = vec![0; at.len as usize];
        self.file
            .read_exact_at(&mut bytes, at.offset)
            .map_err(|e| self.error(e))?;
        match &self.codec {
            Some(codec) => codec.decompress(&bytes).map_err(|e| {
                self.error(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("the frame at byte {}: {e}", at.offset),
                ))
            }),
            None => Ok(bytes),
        }
    }

    fn error(&self, e: io::Error) -> Error {
        Error::io(&self.path, e)
    }
}

/// Compresses and decompresses lines with one dictionary, from several threads at once: each
/// call takes a context of its own from a pool (a context digests the dictionary once).
struct Codec {
    dictionary: Box<[u8]>,
    compressors: Mutex<Vec<Compressor<'static>>>,
    decompressors: Mutex<Vec<Decompressor<'static>>>,
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codec")
            .field("dictionary", &self.dictionary.len())
            .finish_non_exhaustive()
    }
}

impl Codec {
    fn new(dictionary: Box<[u8]>) -> Self {
        Self {
            dictionary,
            compressors: Mutex::default(),
            decompressors: Mutex::default(),
        }
    }

    /// The skippable frame a journal starts with: the dictionary.
    fn head_frame(&self) -> Vec<u8> {
        let mut frame = Vec::with_capacity(8 + self.dictionary.len());
        frame.extend_from_slice(&DICTIONARY_FRAME.to_le_bytes());
        let len = u32::try_from(self.dictionary.len()).unwrap_or(u32::MAX);
        frame.extend_from_slice(&len.to_le_bytes());
        frame.extend_from_slice(&self.dictionary);
        frame
    }

    /// The codec of the journal `file`, from its head frame; returns where its lines start.
    fn of_head(path: &Path, mut file: &File) -> Result<(Self, u64)> {
        let not_a_journal = |what: &str| {
            Error::io(
                path,
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("not a compressed journal: {what}"),
                ),
            )
        };
        let mut head = [0; 8];
        file.seek(SeekFrom::Start(0))
            .and_then(|_| file.read_exact(&mut head))
            .map_err(|_| not_a_journal("no dictionary frame at its start"))?;
        let [m0, m1, m2, m3, l0, l1, l2, l3] = head;
        if u32::from_le_bytes([m0, m1, m2, m3]) != DICTIONARY_FRAME {
            return Err(not_a_journal("no dictionary frame at its start"));
        }
        let len = u32::from_le_bytes([l0, l1, l2, l3]);
        let mut dictionary = Vec::new();
        file.take(u64::from(len))
            .read_to_end(&mut dictionary)
            .map_err(|e| Error::io(path, e))?;
        if dictionary.len() != len as usize {
            return Err(not_a_journal("its dictionary frame is cut short"));
        }
        Ok((Self::new(dictionary.into()), 8 + u64::from(len)))
    }

    fn compress(&self, line: &[u8]) -> io::Result<Vec<u8>> {
        let mut compressor = match pop(&self.compressors) {
            Some(c) => c,
            None => {
                let mut c = Compressor::with_dictionary(LEVEL, &self.dictionary)?;
                c.include_checksum(true)?;
                c.include_contentsize(true)?;
                c
            }
        };
        let frame = compressor.compress(line)?;
        push(&self.compressors, compressor);
        Ok(frame)
    }

    fn decompress(&self, frame: &[u8]) -> io::Result<Vec<u8>> {
        let size = match zstd_safe::get_frame_content_size(frame) {
            Ok(Some(size)) if size <= u64::from(u32::MAX) => size as usize,
            _ => return Err(io::Error::other("a frame without a valid content size")),
        };
        let mut decompressor = match pop(&self.decompressors) {
            Some(d) => d,
            None => Decompressor::with_dictionary(&self.dictionary)?,
        };
        let line = decompressor.decompress(frame, size);
        push(&self.decompressors, decompressor);
        line
    }
}

fn pop<T>(pool: &Mutex<Vec<T>>) -> Option<T> {
    pool.lock().ok()?.pop()
}

fn push<T>(pool: &Mutex<Vec<T>>, item: T) {
    if let Ok(mut pool) = pool.lock() {
        pool.push(item);
    }
}

/// Whether a reader of lines goes on.
pub(crate) type Flow = std::ops::ControlFlow<()>;

/// A journal read as it grows: each call reads the whole lines appended since the last one.
#[derive(Debug)]
pub(crate) struct Tail {
    path: PathBuf,
    format: Format,
    /// Where the next line starts (`None`: a compressed journal whose head is not read yet).
    next: Option<u64>,
    codec: Option<Codec>,
}

impl Tail {
    /// The journal at `path`, stored as `format`, from its start.
    pub(crate) fn new(path: &Path, format: Format) -> Self {
        Self {
            path: path.to_owned(),
            format,
            next: (format == Format::Plain).then_some(0),
            codec: None,
        }
    }

    /// Hand each whole line of `file` after those read before to `each`, with its place, until
    /// it breaks; returns where the lines handed over end (the lines after it are read by the
    /// next call).
    pub(crate) fn read_new(
        &mut self,
        file: &File,
        mut each: impl FnMut(Place, &[u8]) -> Result<Flow>,
    ) -> Result<u64> {
        let start = match self.next {
            Some(start) => start,
            None => {
                let (codec, start) = Codec::of_head(&self.path, file)?;
                self.codec = Some(codec);
                start
            }
        };
        let mut reader = Chunks::new(&self.path, file, start)?;
        loop {
            let found = match (&self.codec, self.format) {
                (Some(codec), Format::Zstd) => reader.frame(codec)?,
                _ => reader.line()?,
            };
            let Some((at, line)) = found else { break };
            self.next = Some(at.offset + u64::from(at.len));
            if each(at, &line)?.is_break() {
                break;
            }
        }
        Ok(self.next.unwrap_or(start))
    }
}

/// A file read forward in chunks, cut into lines or frames.
struct Chunks<'f> {
    path: &'f Path,
    file: &'f File,
    /// `buf[at..]` is read and not yet handed over; `buf[0]` is byte `base` of the file.
    buf: Vec<u8>,
    base: u64,
    at: usize,
    eof: bool,
}

impl<'f> Chunks<'f> {
    fn new(path: &'f Path, mut file: &'f File, start: u64) -> Result<Self> {
        file.seek(SeekFrom::Start(start))
            .map_err(|e| Error::io(path, e))?;
        Ok(Self {
            path,
            file,
            buf: Vec::new(),
            base: start,
            at: 0,
            eof: false,
        })
    }

    /// The next whole line, `None` at the end (or before a torn last line).
    fn line(&mut self) -> Result<Option<(Place, Vec<u8>)>> {
        loop {
            if let Some(n) = self.buf[self.at..].iter().position(|&b| b == b'\n') {
                return Ok(Some(self.take(n + 1, <[u8]>::to_vec)));
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// The line of the next whole frame, `None` at the end (or before a torn last frame).
    fn frame(&mut self, codec: &Codec) -> Result<Option<(Place, Vec<u8>)>> {
        loop {
            let rest = &self.buf[self.at..];
            let whole = zstd_safe::find_frame_compressed_size(rest)
                .ok()
                .filter(|&n| n > 0 && n <= rest.len());
            if let Some(n) = whole {
                let (at, line) = self.take(n, |frame| codec.decompress(frame));
                let line = line.map_err(|e| {
                    Error::io(
                        self.path,
                        io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("the frame at byte {}: {e}", at.offset),
                        ),
                    )
                })?;
                return Ok(Some((at, line)));
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// The next `n` bytes, through `f`, with their place.
    fn take<T>(&mut self, n: usize, f: impl FnOnce(&[u8]) -> T) -> (Place, T) {
        let at = Place {
            offset: self.base + self.at as u64,
            len: u32::try_from(n).unwrap_or(u32::MAX),
        };
        let taken = f(&self.buf[self.at..self.at + n]);
        self.at += n;
        (at, taken)
    }

    /// Read more of the file; whether there was more.
    fn fill(&mut self) -> Result<bool> {
        if self.eof {
            return Ok(false);
        }
        self.buf.drain(..self.at);
        self.base += self.at as u64;
        self.at = 0;
        let filled = self.buf.len();
        self.buf.resize(filled + filled.max(1 << 20), 0);
        let read = (&*self.file)
            .read(&mut self.buf[filled..])
            .map_err(|e| Error::io(self.path, e))?;
        self.buf.truncate(filled + read);
        self.eof = read == 0;
        Ok(!self.eof)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::fs::OpenOptions;
    use std::io::Write;

    fn lines_of(path: &Path, format: Format) -> (Vec<(Place, String)>, u64) {
        let mut lines = Vec::new();
        let file = File::open(path).unwrap();
        let (_, valid) = JournalFile::read(path, file, format, |at, line| {
            lines.push((at, String::from_utf8(line.to_vec()).unwrap()));
            Ok(())
        })
        .unwrap();
        (lines, valid)
    }

    #[test]
    fn lines_compress_alone_read_back_by_place_and_a_torn_frame_is_not_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl.zst");
        let journal = JournalFile::create(&path).unwrap();
        let long = format!("{{\"card\":\"{}\"}}\n", "a model card. ".repeat(300));
        let a = journal.append(b"{\"event\":\"started\"}\n").unwrap();
        let b = journal.append(long.as_bytes()).unwrap();
        assert!(b.len < 200, "{b:?}: a repetitive line compresses");
        assert_eq!(journal.line(b).unwrap(), long.as_bytes());
        assert_eq!(journal.line(a).unwrap(), b"{\"event\":\"started\"}\n");
        drop(journal);

        let whole = std::fs::metadata(&path).unwrap().len();
        let (lines, valid) = lines_of(&path, Format::Zstd);
        assert_eq!(valid, whole);
        assert_eq!(lines.iter().map(|(at, _)| *at).collect::<Vec<_>>(), [a, b]);
        assert_eq!(lines[1].1, long);

        // A kill in the middle of the third frame: the two whole ones are read, the valid
        // length ends where they do.
        let frame = Codec::new(DICTIONARY.into())
            .compress(b"{\"event\":\"page\"}\n")
            .unwrap();
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&frame[..frame.len() - 3]).unwrap();
        let (lines, valid) = lines_of(&path, Format::Zstd);
        assert_eq!(lines.len(), 2);
        assert_eq!(valid, whole);
    }

    #[test]
    fn a_journal_of_many_lines_is_read_across_the_scan_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl.zst");
        let journal = JournalFile::create(&path).unwrap();
        // Lines that compress little (random letters), over more than the 1 MiB the scan
        // reads at a time.
        let mut expected = Vec::new();
        let mut rng = fastrand::Rng::with_seed(7);
        for n in 0..400u64 {
            let noise: String = (0..8000).map(|_| rng.alphanumeric()).collect();
            let line = format!("{{\"n\":{n},\"noise\":\"{noise}\"}}\n");
            expected.push((journal.append(line.as_bytes()).unwrap(), line));
        }
        drop(journal);
        assert!(std::fs::metadata(&path).unwrap().len() > 2 << 20);
        assert_eq!(lines_of(&path, Format::Zstd).0, expected);
    }

    #[test]
    fn a_plain_journal_is_read_and_appended_to_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        std::fs::write(&path, "{\"a\":1}\n{\"b\":2}\n{\"c\"").unwrap();
        let (lines, valid) = lines_of(&path, Format::Plain);
        assert_eq!(valid, 16);
        assert_eq!(lines[1].1, "{\"b\":2}\n");
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&path)
            .unwrap();
        let (journal, _) = JournalFile::read(&path, file, Format::Plain, |_, _| Ok(())).unwrap();
        let c = journal.append(b"{\"c\":3}\n").unwrap();
        assert_eq!(journal.line(c).unwrap(), b"{\"c\":3}\n");
        assert_eq!(journal.line(lines[0].0).unwrap(), b"{\"a\":1}\n");
    }

    #[test]
    fn a_file_that_is_not_a_compressed_journal_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl.zst");
        std::fs::write(&path, "{\"event\":\"started\"}\n").unwrap();
        let file = File::open(&path).unwrap();
        let err = JournalFile::read(&path, file, Format::Zstd, |_, _| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("j.jsonl.zst") && err.contains("not a compressed journal"),
            "{err}"
        );
    }

    #[test]
    fn a_corrupt_frame_is_an_error_naming_its_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl.zst");
        let journal = JournalFile::create(&path).unwrap();
        let at = journal
            .append(b"{\"event\":\"model\",\"n\":12345678}\n")
            .unwrap();
        journal.append(b"{\"event\":\"page\"}\n").unwrap();
        drop(journal);
        let mut bytes = std::fs::read(&path).unwrap();
        // The frame's last byte is its checksum's.
        let last = (at.offset + u64::from(at.len) - 1) as usize;
        bytes[last] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
        let file = File::open(&path).unwrap();
        let err = JournalFile::read(&path, file, Format::Zstd, |_, _| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("byte {}", at.offset)), "{err}");
    }
}
