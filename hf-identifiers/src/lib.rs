//! Identification of the entities a Hugging Face model points to.
//!
//! A pure crate: model metadata in, references to related entities out. No IO, no async, no logging.
