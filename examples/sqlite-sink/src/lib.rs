//! hf-extractor embedded in a custom pipeline: a run's stream of typed results
//! ([`HfExtractor::stream`]) written into an SQLite database as the run writes them — one table
//! for the run's models (`models`) and one per entity kind (`datasets`, `articles`,
//! `base_models`, `keywords`, `licenses`, `languages`, `tasks`, `sharers`), each row a record's
//! id and its JSON.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let extractor = hf_extractor::HfExtractor::builder().num_models(100).build()?;
//! let db = rusqlite::Connection::open("models.db")?;
//! let outcome = hf_extractor_sqlite_sink::write_run(
//!     &extractor,
//!     Default::default(),
//!     hf_extractor_sqlite_sink::Folder::Remove,
//!     &db,
//! )
//! .await?;
//! println!("{} models", hf_extractor_sqlite_sink::rows(&db, "models")?);
//! # Ok(()) }
//! ```

use futures::StreamExt;
use hf_extractor::assets::{Asset, Kind};
use hf_extractor::stream::{AssetRecord, Record, RunEvent};
use hf_extractor::{HfExtractor, MaterializeOptions, RunOutcome};
use rusqlite::Connection;

/// What can go wrong: the run, or the database.
#[derive(Debug)]
pub enum SinkError {
    /// The run failed.
    Run(hf_extractor::Error),
    /// The database refused a statement.
    Db(rusqlite::Error),
}

impl std::fmt::Display for SinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Run(e) => write!(f, "the run failed: {e}"),
            Self::Db(e) => write!(f, "the database: {e}"),
        }
    }
}

impl std::error::Error for SinkError {}

impl From<hf_extractor::Error> for SinkError {
    fn from(e: hf_extractor::Error) -> Self {
        Self::Run(e)
    }
}

impl From<rusqlite::Error> for SinkError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Db(e)
    }
}

/// The table each asset's records go to: the run's models, and each enriched kind's.
pub fn table_of(asset: Asset) -> Option<&'static str> {
    Some(match asset {
        Asset::RawModels => "models",
        Asset::Enriched(kind) => match kind {
            Kind::Datasets => "datasets",
            Kind::Articles => "articles",
            Kind::BaseModels => "base_models",
            Kind::Keywords => "keywords",
            Kind::Licenses => "licenses",
            Kind::Languages => "languages",
            Kind::Tasks => "tasks",
            Kind::SharedBy => "sharers",
        },
        _ => return None,
    })
}

/// Every table [`write_run`] fills.
pub fn tables() -> Vec<&'static str> {
    hf_extractor::assets::graph()
        .into_iter()
        .filter_map(table_of)
        .collect()
}

/// What becomes of the run folder once the records are in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folder {
    /// Kept, as `hf-extract` keeps it (resumable when cut short).
    Keep,
    /// Removed: the database is the run's only output.
    Remove,
}

/// Create the tables (if missing) and run `options`, inserting each record of a table's asset
/// as the run writes it, all in one transaction: a run that fails leaves the database as it
/// was. Returns the run's outcome (its manifest, and its folder unless `folder` is
/// [`Folder::Remove`]).
pub async fn write_run(
    extractor: &HfExtractor,
    options: MaterializeOptions,
    folder: Folder,
    db: &Connection,
) -> Result<RunOutcome, SinkError> {
    for table in tables() {
        db.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, record TEXT NOT NULL);"
        ))?;
    }
    let tx = db.unchecked_transaction()?;
    let mut run = extractor.stream(options);
    if folder == Folder::Remove {
        run = run.without_run_folder();
    }
    while let Some(event) = run.next().await {
        match event? {
            RunEvent::Record(record) => {
                if let Some(table) = table_of(record.asset()) {
                    insert(&tx, table, &record)?;
                }
            }
            RunEvent::Finished(outcome) => {
                tx.commit()?;
                return Ok(*outcome);
            }
            _ => {}
        }
    }
    // A stream ends with the outcome or an error, so this is not reached.
    Err(SinkError::Run(hf_extractor::Error::Cancelled))
}

/// Insert `record` into `table`: its id, read from the typed record, and its JSON.
fn insert(db: &Connection, table: &str, record: &AssetRecord) -> Result<(), SinkError> {
    let id = match record.decode()? {
        Record::Model(m) => m.model_id,
        Record::Dataset(e) => e.id,
        Record::Article(e) => e.id,
        Record::BaseModel(e) => e.id,
        Record::Keyword(e) => e.id,
        Record::License(e) => e.id,
        Record::Language(e) => e.id,
        Record::Task(e) => e.id,
        Record::Sharer(e) => e.id,
        // Not in a table of this example.
        _ => return Ok(()),
    };
    db.prepare_cached(&format!("INSERT INTO {table} (id, record) VALUES (?1, ?2)"))?
        .execute((id, record.json()))?;
    Ok(())
}

/// How many rows `table` holds.
pub fn rows(db: &Connection, table: &str) -> Result<u64, SinkError> {
    let n: i64 = db.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or_default())
}
