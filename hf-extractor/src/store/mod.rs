//! What a run writes, and how it is read back: the store of a run.
//!
//! | module | what it owns |
//! |---|---|
//! | [`checkpoint`] | the journal (`checkpoint.jsonl.zst`): every event of the run appended as it happens, models read back by place |
//! | `journal_file` | the journal's bytes: each line one zstd frame (with the dictionary at the file's head), or plain lines in journals of earlier versions |
//! | `files` | the one interface the run's files are written through (`AssetFiles`, a backend; `RunFiles`, the JSON shapes written through it, some behind on a blocking thread), and where each record goes as it is written: the backend's file and the caller's record sink |
//! | [`run_folder`] | the run folder: the backend of every run, each file written atomically (whole, or not at all) |
//! | `json_stream` | JSON written one element at a time: arrays and objects as a one-shot `serde_json` would write them, hashed on the fly |
//! | `json_read` | JSON files read back one element (entry) at a time, in either layout |
//! | `record_spool` | model records rendered once per run, beside the journal |
//! | `append_file` | a file appended to from any thread and read at any place |
//! | `spooled_records` | the records of an entity file (the datasets', each with its Croissant document) rendered as they come and kept in a spool until their file is written |
//! | `by_place` | a table of one value per model by its place in the journal, in a vector sorted by place |
//! | `blob_spool` | per-model bytes (what was identified in each model) kept on disk for the length of a run, by place |
//!
//! The stages write through these and call nothing else of the run; these call nothing of the
//! stages.

pub(crate) mod append_file;
pub(crate) mod blob_spool;
pub(crate) mod by_place;
pub mod checkpoint;
pub(crate) mod files;
pub(crate) mod journal_file;
pub(crate) mod json_read;
pub(crate) mod json_stream;
pub(crate) mod record_spool;
pub mod run_folder;
pub(crate) mod spooled_records;
