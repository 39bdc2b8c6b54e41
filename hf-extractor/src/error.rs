//! Errors of the extractor: each names what it is about (a variable, a path).

use std::path::PathBuf;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors of the extractor.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An environment variable or option holds a value that cannot be used.
    #[error("{variable}={value:?}: {reason}")]
    Config {
        /// The variable (`HF_NUM_MODELS`) or option.
        variable: String,
        /// The value found.
        value: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A name that is no asset of the graph (a selection, a journal, a Pipes message).
    #[error("{name:?} is no asset (known: {known})")]
    UnknownAsset {
        /// The name given.
        name: String,
        /// Every asset's name, comma-separated.
        known: String,
    },

    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A value could not be written as JSON.
    #[error("{path}: cannot write JSON: {source}")]
    Json {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },

    /// A record handed over by a run is not a record of its asset.
    #[error("{asset}{}: not a record of the asset: {source}", model_id.as_deref().map(|m| format!(" (model {m})")).unwrap_or_default())]
    Record {
        /// The asset.
        asset: crate::assets::Asset,
        /// The model whose entry it is, in a map by model id.
        model_id: Option<String>,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },

    /// The Hub refused every connection from the run's first request on: the run stopped
    /// (within seconds) and its folder can be resumed once the Hub answers. What the client
    /// saw (the URL asked, the attempts) is the error's source.
    #[error(
        "nothing answers at HF_ENDPOINT={endpoint} (connection refused from the first request on): the run stopped"
    )]
    Unreachable {
        /// The Hub's endpoint.
        endpoint: String,
        /// The run folder, which can be resumed.
        folder: PathBuf,
        /// The client's error ([`hf_client::Error::Unreachable`]).
        #[source]
        source: Box<hf_client::Error>,
    },

    /// The run's future was dropped (or its runtime shut down) while this work was under way:
    /// the work stopped there. The run folder keeps what was journaled and can be resumed.
    #[error("the run was stopped before this work was done")]
    Cancelled,

    /// The Hub client failed (boxed: client errors are large).
    #[error(transparent)]
    Client(Box<hf_client::Error>),
}

impl From<hf_client::Error> for Error {
    fn from(e: hf_client::Error) -> Self {
        Self::Client(Box::new(e))
    }
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
