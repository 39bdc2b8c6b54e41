//! `sqlite-sink`: run the extraction and write its models and entities into an SQLite
//! database, one table each (see the library's docs).
//!
//! ```text
//! sqlite-sink models.db             # the Hub, configured by the HF_* variables
//! sqlite-sink models.db --offline   # the bundled offline Hub, no network
//! ```
//!
//! The database is the run's only output; `--keep-run-folder` keeps the run folder too.

use hf_extractor::{HfExtractor, HfExtractorBuilder};
use hf_extractor_sqlite_sink::{Folder, write_run};
use hf_offline_hub::OfflineHub;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let offline = args.iter().any(|a| a == "--offline");
    let folder = if args.iter().any(|a| a == "--keep-run-folder") {
        Folder::Keep
    } else {
        Folder::Remove
    };
    let Some(db) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: sqlite-sink <database file> [--offline] [--keep-run-folder]");
        std::process::exit(2);
    };
    let hub = if offline {
        Some(OfflineHub::start().await?)
    } else {
        None
    };
    let mut builder = HfExtractorBuilder::from_env()?;
    if let Some(hub) = &hub {
        builder = builder
            .endpoint(hub.uri())
            .arxiv_endpoint(hub.uri())
            .arxiv_delay(std::time::Duration::ZERO);
    }
    let extractor: HfExtractor = builder.build()?;
    let db_path = db.clone();
    let db = rusqlite::Connection::open(&db_path)?;
    let outcome = write_run(&extractor, Default::default(), folder, &db).await?;
    if folder == Folder::Keep {
        println!("run folder: {}", outcome.folder.path().display());
    }
    for table in hf_extractor_sqlite_sink::tables() {
        println!(
            "{db_path}: {table} {}",
            hf_extractor_sqlite_sink::rows(&db, table)?
        );
    }
    Ok(())
}
