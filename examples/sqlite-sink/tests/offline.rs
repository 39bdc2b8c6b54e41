//! The SQLite sink against the bundled offline Hub: every table holds as many rows as the
//! manifest counts records of its asset, and the run folder is kept only when asked.
#![allow(clippy::unwrap_used, missing_docs)]

use hf_extractor::HfExtractor;
use hf_extractor::assets::graph;
use hf_extractor_sqlite_sink::{Folder, rows, table_of, write_run};
use hf_offline_hub::OfflineHub;

#[tokio::test]
async fn each_table_holds_the_records_the_manifest_counts() {
    let hub = OfflineHub::start().await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let extractor = HfExtractor::builder()
        .endpoint(hub.uri())
        .arxiv_endpoint(hub.uri())
        .arxiv_delay(std::time::Duration::ZERO)
        .num_models(60)
        .models_file(out.path().join("no-ids.txt"))
        .output_dir(out.path())
        .build()
        .unwrap();
    let db = rusqlite::Connection::open(out.path().join("run.db")).unwrap();
    let folders = || {
        std::fs::read_dir(out.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().is_dir())
            .count()
    };
    let outcome = write_run(&extractor, Default::default(), Folder::Remove, &db)
        .await
        .unwrap();
    assert_eq!(folders(), 0, "the run folder was scratch space");
    let mut checked = 0;
    for asset in graph() {
        let Some(table) = table_of(asset) else {
            continue;
        };
        let counted = outcome.manifest.asset(asset).unwrap().count;
        assert_eq!(rows(&db, table).unwrap(), counted, "{table}");
        checked += 1;
    }
    assert_eq!(checked, 9, "models and the eight entity kinds");
    assert_eq!(rows(&db, "models").unwrap(), 60);
    assert!(rows(&db, "datasets").unwrap() > 0);
    // A second run into the same database: the same ids again are refused, not doubled. The
    // run stops there; its scratch folder goes with it, a kept one stays (resumable).
    for (folder, left) in [(Folder::Remove, 0), (Folder::Keep, 1)] {
        let again = write_run(&extractor, Default::default(), folder, &db).await;
        assert!(again.unwrap_err().to_string().contains("UNIQUE"));
        assert_eq!(rows(&db, "models").unwrap(), 60);
        // A run dropped midway stops writing within moments; its scratch folder goes then.
        let mut waited = 0;
        while folders() != left && waited < 50 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            waited += 1;
        }
        assert_eq!(folders(), left, "{folder:?}");
    }
}
