//! Schema stand-ins for the fields whose types come from other crates (feature `schema`), so
//! the JSON Schemas of the records (see `hf_extractor::schemas`) describe what is written.

use schemars::JsonSchema;

/// An arXiv author as written: `{"name": …}`, with the affiliations when arXiv gives them.
#[derive(JsonSchema)]
pub struct AuthorSchema {
    /// The author's name.
    pub name: String,
    /// `<arxiv:affiliation>` elements, when present.
    pub affiliations: Option<Vec<String>>,
}
