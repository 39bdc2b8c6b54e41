//! Dropping a run's future stops all of its work: no request reaches the Hub after it, no file
//! is written, and no thread of the run is left after a second — whatever the run was doing
//! (listing and fetching cards, fetching ahead, identifying and journaling on the CPU pool,
//! writing files behind) — and dropping a run's stream does the same, also while the files'
//! writers wait for the stream to take their records.
//!
//! A test binary of its own: it counts the threads of the process, which other tests running
//! beside it would add to.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hf_extractor::HfExtractor;
use hf_offline_hub::{FaultPlan, OfflineHub, Snapshot, SyntheticHub, snapshot_dir};

/// Names of this process's threads (Linux).
fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect()
}

/// Every file under `dir`, with its size.
fn files(dir: &Path) -> BTreeMap<PathBuf, u64> {
    let mut found = BTreeMap::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                todo.push(entry.path());
            } else {
                found.insert(entry.path(), meta.len());
            }
        }
    }
    found
}

/// The test runtime's threads: its two workers, and blocking threads while they are busy (an
/// idle one ends after 100 ms).
const RUNTIME: &str = "drop-test";

#[test]
fn a_dropped_run_makes_no_request_writes_nothing_and_leaves_no_thread() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(RUNTIME)
        .thread_keep_alive(Duration::from_millis(100))
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // The bundled Hub far away: its 201 models and their lineage, three generations deep,
        // fetched ahead while the cards come.
        let far = FaultPlan::every(0).with_latency(Duration::from_millis(150));
        let hub = OfflineHub::serve_with_faults(Snapshot::bundled().unwrap(), Some(far))
            .await
            .unwrap();
        let ids = snapshot_dir().join("model_ids.txt");
        for cut in [Duration::from_millis(700), Duration::from_millis(1500)] {
            let extractor = |out: &Path| {
                HfExtractor::builder()
                    .endpoint(hub.uri())
                    .arxiv_endpoint(hub.uri())
                    .arxiv_delay(Duration::ZERO)
                    .num_models(150)
                    .base_model_iterations(3)
                    .threads(8)
                    .models_file(&ids)
                    .output_dir(out)
            };
            dropped_after(cut, &hub, extractor).await;
        }
        let synthetic = SyntheticHub::new(6000)
            .card_bytes(2048)
            .latency(Duration::from_millis(5));
        let hub = OfflineHub::serve_synthetic(Snapshot::bundled().unwrap(), synthetic)
            .await
            .unwrap();
        // Early (the listing and the first cards), and later (the cards with the CPU pool busy
        // journaling, the parents fetched ahead, the first files written behind).
        for cut in [Duration::from_millis(150), Duration::from_millis(1200)] {
            dropped_after(cut, &hub, of_synthetic(&hub, 6000, 16)).await;
        }
        // A stream taken up to its first records, then left unpolled while the writers of
        // the files wait for it, then dropped.
        stream_dropped_while_writers_wait(&hub, of_synthetic(&hub, 2000, 32)).await;
    });
}

/// The extractor of a run of `models` of the synthetic Hub `hub` (two CPU threads, `threads`
/// requests in flight), for an output folder.
fn of_synthetic(
    hub: &OfflineHub,
    models: usize,
    threads: usize,
) -> impl Fn(&Path) -> hf_extractor::HfExtractorBuilder {
    let uri = hub.uri();
    move |out| {
        HfExtractor::builder()
            .endpoint(uri.clone())
            .arxiv_endpoint(uri.clone())
            .arxiv_delay(Duration::ZERO)
            .num_models(models)
            .threads(threads)
            .cpu_threads(2)
            .models_file(out.join("no-ids.txt"))
            .output_dir(out)
    }
}

/// Stream a run of the extractor `builder` makes until its first records come, leave it
/// unpolled while its writers wait for it, drop it, and check that nothing of it goes on.
async fn stream_dropped_while_writers_wait(
    hub: &OfflineHub,
    builder: impl Fn(&Path) -> hf_extractor::HfExtractorBuilder,
) {
    use futures::StreamExt;
    use hf_extractor::stream::RunEvent;

    let out = tempfile::tempdir().unwrap();
    let extractor = builder(out.path()).build().unwrap();
    let before = hub.request_count();
    let mut stream = extractor.stream(hf_extractor::MaterializeOptions::default());
    let mut records = 0;
    while records < 10 {
        match stream.next().await.unwrap().unwrap() {
            RunEvent::Record(_) => records += 1,
            RunEvent::Finished(_) => panic!("the run ended before it was dropped"),
            _ => {}
        }
    }
    // Not polled: the writers fill what the stream may hold, and wait.
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(stream);
    nothing_goes_on(hub, out.path(), before, "the stream").await;
}

/// Run the extractor `builder` makes for an output folder, drop the run after `cut`, and check
/// that nothing of it goes on.
async fn dropped_after(
    cut: Duration,
    hub: &OfflineHub,
    builder: impl Fn(&Path) -> hf_extractor::HfExtractorBuilder,
) {
    let out = tempfile::tempdir().unwrap();
    let extractor = builder(out.path()).build().unwrap();
    let before = hub.request_count();
    let run = tokio::time::timeout(cut, extractor.run()).await;
    assert!(
        run.is_err(),
        "the run ended within {cut:?}: nothing was dropped"
    );
    nothing_goes_on(hub, out.path(), before, &format!("{cut:?}")).await;
}

/// A run was just dropped (`what`, to name it): it had made requests since `before`, and
/// after a second no request, no file in `out` and no thread of it is new.
async fn nothing_goes_on(hub: &OfflineHub, out: &Path, before: usize, what: &str) {
    // What was on the wire when the future was dropped has arrived by now.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let requests = hub.request_count();
    let written = files(out);
    assert!(requests > before, "the run had started ({what})");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        hub.request_count(),
        requests,
        "requests after the drop ({what})"
    );
    assert_eq!(files(out), written, "files written after the drop ({what})");
    let names = thread_names();
    assert!(
        !names.iter().any(|n| n.starts_with("hf-")),
        "threads of the run alive 1 s after the drop ({what}): {names:?}"
    );
    let runtime_threads = names.iter().filter(|n| n.starts_with(RUNTIME)).count();
    assert!(
        runtime_threads <= 2,
        "blocking work of the run still busy 1 s after the drop ({what}): {names:?}"
    );
}
