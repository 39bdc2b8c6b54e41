//! JSON files read back one element at a time, so a file of 100,000 model cards never sits in
//! memory whole: an array element by element ([`for_each_element`]), an object entry by entry
//! ([`for_each_entry`]), in either layout of [`OutputFormat`] (by the file's extension); and a
//! small file whole ([`read_json`]).

use std::io::BufReader;
use std::path::Path;

use serde::de::{DeserializeOwned, DeserializeSeed, SeqAccess, Visitor};

use crate::error::{Error, Result};
use crate::store::json_stream::OutputFormat;

/// Read the JSON array in `path` one element at a time, handing each to `each`; returns how
/// many there were. An error names the file (and, for bad JSON, the line).
pub fn for_each_element<T: DeserializeOwned>(
    path: &Path,
    mut each: impl FnMut(T) -> Result<()>,
) -> Result<u64> {
    if OutputFormat::of(path) == OutputFormat::JsonLines {
        return for_each_line(path, |line| each(parse_line(path, line)?));
    }
    read_streamed(path, |de, failed| {
        let seed = Elements {
            each: &mut each,
            failed,
            _t: std::marker::PhantomData,
        };
        seed.deserialize(de)
    })
}

/// Hand each line of the JSON Lines file at `path` to `each` (blank lines skipped); returns
/// how many there were. An error of a line names it by its number.
fn for_each_line(path: &Path, mut each: impl FnMut(&[u8]) -> Result<()>) -> Result<u64> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = BufReader::new(file);
    let (mut line, mut number, mut count) = (Vec::new(), 0u64, 0u64);
    loop {
        line.clear();
        if reader
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io(path, e))?
            == 0
        {
            return Ok(count);
        }
        number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        each(&line).map_err(|e| match e {
            Error::Json { path: p, source } if p == path => Error::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("line {number}: {source}"),
                ),
            ),
            other => other,
        })?;
        count += 1;
    }
}

/// One line of a JSON Lines file as a `T`.
fn parse_line<T: DeserializeOwned>(path: &Path, line: &[u8]) -> Result<T> {
    serde_json::from_slice(line).map_err(|source| Error::Json {
        path: path.to_owned(),
        source,
    })
}

/// The JSON file at `path` read by `read`, a seed handing each item to a callback and keeping
/// the callback's first error in the slot it is given (then failing the parse). Returns what
/// `read` counted, the callback's error, or the file's error naming it.
fn read_streamed(
    path: &Path,
    read: impl FnOnce(&mut JsonReader, &mut Option<Error>) -> serde_json::Result<u64>,
) -> Result<u64> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut de = serde_json::Deserializer::from_reader(BufReader::new(file));
    let mut failed = None;
    let result = read(&mut de, &mut failed).and_then(|n| de.end().map(|()| n));
    if let Some(e) = failed {
        return Err(e);
    }
    result.map_err(|source| Error::Json {
        path: path.to_owned(),
        source,
    })
}

/// A JSON file being read.
type JsonReader = serde_json::Deserializer<serde_json::de::IoRead<BufReader<std::fs::File>>>;

struct Elements<'a, T, F> {
    each: &'a mut F,
    failed: &'a mut Option<Error>,
    _t: std::marker::PhantomData<T>,
}

impl<'de, T: DeserializeOwned, F: FnMut(T) -> Result<()>> DeserializeSeed<'de>
    for Elements<'_, T, F>
{
    type Value = u64;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<u64, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: DeserializeOwned, F: FnMut(T) -> Result<()>> Visitor<'de> for Elements<'_, T, F> {
    type Value = u64;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<u64, A::Error> {
        let mut n = 0;
        while let Some(element) = seq.next_element::<T>()? {
            n += 1;
            if let Err(e) = (self.each)(element) {
                *self.failed = Some(e);
                return Err(serde::de::Error::custom("stopped"));
            }
        }
        Ok(n)
    }
}

/// Hand each entry of the JSON object in the file at `path` to `each`, one at a time, as its
/// key and a `T`; returns how many there were. The first error of `each` stops the reading and
/// is returned; an error of the file names it.
pub fn for_each_entry<T: DeserializeOwned>(
    path: &Path,
    mut each: impl FnMut(String, T) -> Result<()>,
) -> Result<u64> {
    if OutputFormat::of(path) == OutputFormat::JsonLines {
        return for_each_line(path, |line| {
            let entry: std::collections::BTreeMap<String, T> = parse_line(path, line)?;
            let mut entries = entry.into_iter();
            match (entries.next(), entries.next()) {
                (Some((key, value)), None) => each(key, value),
                // A JSON error of this file: named with its line number.
                _ => Err(Error::Json {
                    path: path.to_owned(),
                    source: serde::de::Error::custom("not an object of one entry"),
                }),
            }
        });
    }
    read_streamed(path, |de, failed| {
        let seed = Entries {
            each: &mut each,
            failed,
            _t: std::marker::PhantomData,
        };
        seed.deserialize(de)
    })
}

struct Entries<'a, T, F> {
    each: &'a mut F,
    failed: &'a mut Option<Error>,
    _t: std::marker::PhantomData<T>,
}

impl<'de, T: DeserializeOwned, F: FnMut(String, T) -> Result<()>> DeserializeSeed<'de>
    for Entries<'_, T, F>
{
    type Value = u64;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<u64, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned, F: FnMut(String, T) -> Result<()>> Visitor<'de>
    for Entries<'_, T, F>
{
    type Value = u64;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<u64, A::Error> {
        let mut n = 0;
        while let Some((key, value)) = map.next_entry::<String, T>()? {
            n += 1;
            if let Err(e) = (self.each)(key, value) {
                *self.failed = Some(e);
                return Err(serde::de::Error::custom("stopped"));
            }
        }
        Ok(n)
    }
}

/// The JSON file at `path`, read whole; an error names the file.
pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|source| Error::Json {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_json_lines_file_reads_back_line_by_line_and_errors_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        std::fs::write(&path, "1\n\n2\n{\"x\"\n").unwrap();
        let mut seen = Vec::new();
        let err = for_each_element(&path, |v: u32| {
            seen.push(v);
            Ok(())
        })
        .unwrap_err()
        .to_string();
        assert_eq!(seen, [1, 2]);
        assert!(err.contains("a.jsonl") && err.contains("line 4"), "{err}");
        std::fs::write(&path, "{\"a\":1,\"b\":2}\n").unwrap();
        let err = for_each_entry(&path, |_, _: u32| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("one entry") && err.contains("line 1"), "{err}");
    }

    #[test]
    fn an_array_reads_back_element_by_element_and_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        std::fs::write(&path, "[1, 2, 3]").unwrap();
        let mut seen = Vec::new();
        let n = for_each_element(&path, |v: u32| {
            seen.push(v);
            Ok(())
        })
        .unwrap();
        assert_eq!((n, seen), (3, vec![1, 2, 3]));

        std::fs::write(&path, "[1,\n 2,\n x]").unwrap();
        let err = for_each_element(&path, |_: u32| Ok(())).unwrap_err();
        assert!(err.to_string().contains("a.json"), "{err}");
        assert!(err.to_string().contains("line 3"), "{err}");

        std::fs::write(&path, "[1, 2]").unwrap();
        let err = for_each_element(&path, |v: u32| {
            if v == 2 {
                Err(Error::io(&path, std::io::Error::other("disk full")))
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
    }

    #[test]
    fn an_object_reads_back_entry_by_entry_and_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("o.json");
        std::fs::write(&path, r#"{"a/x": [1], "b": [], "c/y": [2, 3]}"#).unwrap();
        let mut seen = Vec::new();
        let n = for_each_entry(&path, |k, v: Vec<u32>| {
            seen.push((k, v));
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            seen,
            [
                ("a/x".to_owned(), vec![1]),
                ("b".to_owned(), vec![]),
                ("c/y".to_owned(), vec![2, 3])
            ]
        );
        // An array is not an object; a bad value names the file; an error of `each` stops.
        std::fs::write(&path, "[1]").unwrap();
        let err = for_each_entry(&path, |_, _: u32| Ok(())).unwrap_err();
        assert!(err.to_string().contains("o.json"), "{err}");
        std::fs::write(&path, r#"{"a": 1, "b": 2}"#).unwrap();
        let mut taken = 0;
        let err = for_each_entry(&path, |_, _: u32| {
            taken += 1;
            Err(Error::io(&path, std::io::Error::other("full")))
        })
        .unwrap_err();
        assert!(err.to_string().contains("full"), "{err}");
        assert_eq!(taken, 1);
    }
}
