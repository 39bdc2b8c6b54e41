//! Records of an entity file rendered as they are made and kept in a spool until their file is
//! written: [`SpooledRecords`].
//!
//! A dataset's record holds its whole Croissant document, and a paper's its abstract and authors
//! twice (the downstream's keys and arXiv's description): tens of thousands of them, kept as
//! values until `hf_datasets_specific.json` or `arxiv_articles.json` is written, are most of a
//! large run's memory, or its peak. Each
//! is rendered once, as its answer comes, and appended to a spool (a file without a name in
//! the run folder, see [`BlobSpool`]); memory keeps its key and place. The file is written in
//! key order by reading them back, the bytes those of the records written as values.

use std::path::PathBuf;

use serde::Serialize;

use crate::error::Result;
use crate::store::blob_spool::{BlobAt, BlobSpool};
use crate::store::files::Records;
use crate::store::json_stream::{JsonWriter, Rendered};

/// Records kept on disk by key (see the [module](self)).
pub(crate) struct SpooledRecords {
    spool: BlobSpool,
    /// The file the records are for: what errors name.
    file: PathBuf,
    records: Vec<(Box<str>, BlobAt)>,
}

impl SpooledRecords {
    /// No records yet, to be kept in `spool`, for the file `file`.
    pub(crate) fn new(spool: BlobSpool, file: PathBuf) -> Self {
        Self {
            spool,
            file,
            records: Vec::new(),
        }
    }

    /// Render `record` and keep it under `key`.
    pub(crate) fn push<T: Serialize + ?Sized>(&mut self, key: &str, record: &T) -> Result<()> {
        let rendered = Rendered::new(record, &self.file)?;
        let at = self.spool.append(rendered.as_bytes())?;
        self.records.push((key.into(), at));
        Ok(())
    }

    /// How many records are kept.
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    /// The records in the order of their keys (records of one key in the order they came).
    pub(crate) fn sorted(mut self) -> Self {
        self.records.sort_by(|a, b| a.0.cmp(&b.0));
        self
    }
}

impl Records for SpooledRecords {
    fn write_into(&self, array: &mut JsonWriter<'_>) -> Result<()> {
        let mut bytes = Vec::new();
        for (_, at) in &self.records {
            bytes.clear();
            self.spool.read_into(*at, &mut bytes)?;
            let rendered = Rendered::from_bytes(bytes);
            array.push_rendered(&rendered)?;
            bytes = rendered.into_bytes();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::path::Path;

    #[test]
    fn records_spooled_out_of_order_are_written_sorted_as_values_would_be() {
        let dir = tempfile::tempdir().unwrap();
        let records = [
            serde_json::json!({"id": "b/b", "croissant": {"name": "b", "z": [1, 2]}}),
            serde_json::json!({"id": "a/a", "croissant": null}),
            serde_json::json!({"id": "c/c", "info": {"card": "line\nline"}}),
        ];
        let mut spooled =
            SpooledRecords::new(BlobSpool::in_folder(dir.path()), dir.path().join("x.json"));
        for r in &records {
            spooled.push(r["id"].as_str().unwrap(), r).unwrap();
        }
        assert_eq!(spooled.len(), 3);
        let spooled = spooled.sorted();
        let mut sorted = records.to_vec();
        sorted.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));

        let (mut from_spool, mut from_values) = (Vec::new(), Vec::new());
        let mut array = JsonWriter::array(&mut from_spool, Path::new("x.json"));
        spooled.write_into(&mut array).unwrap();
        array.finish().unwrap();
        let mut array = JsonWriter::array(&mut from_values, Path::new("x.json"));
        sorted.write_into(&mut array).unwrap();
        array.finish().unwrap();
        assert_eq!(
            String::from_utf8(from_spool).unwrap(),
            String::from_utf8(from_values).unwrap()
        );
        // Nothing of the spool is a file of the run folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
