//! The bundled offline Hub answers like the Hub: listing, pagination, model info, cards,
//! datasets and Croissant, arXiv, paper pages, tasks, tags, lineage cases, rate limits, faults.
#![allow(clippy::unwrap_used, missing_docs)]

use futures::TryStreamExt;
use hf_client::HfClientBuilder;
use hf_client::models::{ModelProperty, Sort};
use hf_offline_hub::{FaultPlan, OfflineHub, Snapshot, generate, snapshot_dir};
use std::time::Duration;

#[tokio::test]
async fn the_offline_hub_serves_the_bundled_snapshot() {
    let snapshot = Snapshot::bundled().unwrap();
    assert_eq!(snapshot.models.len(), 201);
    assert!(snapshot.cards.contains_key("google-bert/bert-base-uncased"));

    let hub = OfflineHub::start().await.unwrap();
    let client = HfClientBuilder::new()
        .with_endpoint(hub.uri())
        .build()
        .unwrap();

    // The whole listing, newest first, over several pages of 10.
    let models: Vec<_> = client
        .models()
        .list()
        .sort(Sort::LastModified)
        .page_size(10)
        .expand([ModelProperty::Sha, ModelProperty::LastModified])
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(models.len(), 201);
    assert_eq!(hub.request_count(), 21, "201 models in pages of 10");
    let dates: Vec<_> = models
        .iter()
        .map(|m| m.last_modified.as_ref().unwrap().as_str().to_owned())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "newest first");
    assert!(
        models.iter().all(|m| m.sha.is_some() && m.tags.is_empty()),
        "only the expanded fields"
    );

    // Model info and cards, through the Hub's redirect or in one request with the sha.
    let bert = client
        .models()
        .info("google-bert/bert-base-uncased")
        .send()
        .await
        .unwrap();
    let card = client
        .models()
        .card(&bert.id)
        .send()
        .await
        .unwrap()
        .unwrap();
    assert!(
        card.url
            .path()
            .starts_with("/api/resolve-cache/models/google-bert/bert-base-uncased/")
    );
    let sha = bert.info.sha.unwrap();
    let again = client
        .models()
        .card(&bert.id)
        .sha(sha)
        .send()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.text, card.text);
    assert!(client.models().card("gpt2").send().await.unwrap().is_none());
    assert!(
        client
            .models()
            .info("nobody/nothing")
            .send()
            .await
            .unwrap_err()
            .is_not_found()
    );
}

fn client(hub: &OfflineHub) -> hf_client::HfClient {
    HfClientBuilder::new()
        .with_endpoint(hub.uri())
        .with_arxiv_endpoint(hub.uri())
        .with_arxiv_delay(Duration::ZERO)
        .build()
        .unwrap()
}

#[test]
fn the_generated_files_are_what_the_generator_writes() {
    let dir = snapshot_dir();
    let files = generate::generate(&dir).unwrap();
    assert!(files.len() > 100);
    for (relative, text) in &files {
        let on_disk = std::fs::read_to_string(dir.join(relative)).unwrap_or_default();
        assert!(
            on_disk == *text,
            "{} is stale: run `cargo run -p hf-extractor-examples --bin gen-offline-hub`",
            relative.display()
        );
    }
    for folder in generate::GENERATED_FOLDERS {
        for entry in std::fs::read_dir(dir.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(&dir).unwrap().to_path_buf();
            assert!(
                !generate::is_generated(&relative) || files.iter().any(|(p, _)| *p == relative),
                "{} is not generated any more",
                relative.display()
            );
        }
    }
}

#[test]
fn the_snapshot_stays_small() {
    fn size(path: &std::path::Path) -> u64 {
        if path.is_dir() {
            std::fs::read_dir(path)
                .unwrap()
                .map(|e| size(&e.unwrap().path()))
                .sum()
        } else {
            path.metadata().unwrap().len()
        }
    }
    // The snapshot folder is also the package serving it: its code is not snapshot.
    let code = ["src", "build.rs", "Cargo.toml"];
    let snapshot: u64 = std::fs::read_dir(snapshot_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !code.iter().any(|c| p.file_name().unwrap() == *c))
        .map(|p| size(&p))
        .sum();
    assert!(snapshot < 2_000_000);
}

#[test]
fn the_compiled_in_snapshot_is_the_folders() {
    // What an installed binary serves is what the folder (and the recorded answers) hold.
    assert_eq!(
        format!("{:?}", Snapshot::bundled().unwrap()),
        format!("{:?}", Snapshot::load(&snapshot_dir()).unwrap())
    );
    assert_eq!(
        hf_offline_hub::bundled_model_ids(),
        std::fs::read_to_string(snapshot_dir().join("model_ids.txt")).unwrap()
    );
}

#[tokio::test]
async fn datasets_croissant_legacy_redirects_and_missing_croissant() {
    let snapshot = Snapshot::bundled().unwrap();
    // Every dataset has its Croissant (8 recorded, the others stand-ins) but gen/no-parquet.
    assert!(snapshot.croissant.len() > 50);
    let without: Vec<&str> = snapshot
        .datasets
        .keys()
        .filter(|id| !snapshot.croissant.contains_key(*id))
        .map(String::as_str)
        .collect();
    assert_eq!(without, ["gen/no-parquet"]);
    let hub = OfflineHub::start().await.unwrap();
    let client = client(&hub);

    let squad = client.datasets().fetch("squad").await.unwrap();
    assert_eq!(squad.info.requested_id, "squad");
    assert_eq!(squad.info.id, "rajpurkar/squad");
    assert_eq!(squad.info.info.id, "rajpurkar/squad");
    let croissant = squad.croissant.unwrap();
    assert!(!croissant.record_sets().is_empty());
    assert!(squad.info.info.sha.is_some());

    let mnist = client.datasets().fetch("mnist").await.unwrap();
    assert_eq!(mnist.info.id, "ylecun/mnist");
    assert_eq!(mnist.croissant.unwrap().name(), Some("mnist"));

    let duorc = client.datasets().info("ibm/duorc").send().await.unwrap();
    assert!(duorc.info.tags.iter().any(|t| t == "arxiv:1804.07927"));
    assert!(duorc.info.tags.iter().any(|t| t == "license:mit"));
    assert!(duorc.info.description.as_deref().unwrap().contains("DuoRC"));

    let c4 = client.datasets().fetch("allenai/c4").await.unwrap();
    assert!(c4.info.info.citation.as_deref().unwrap().contains("Raffel"));

    let bare = client.datasets().fetch("gen/no-parquet").await.unwrap();
    assert!(bare.croissant.is_none());
    assert!(bare.croissant_error.unwrap().contains("404"));
    assert!(
        client
            .datasets()
            .fetch("gen/missing-dataset")
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn arxiv_batches_with_unknown_and_rejected_ids() {
    let hub = OfflineHub::start().await.unwrap();
    let client = client(&hub);
    let found = client
        .arxiv()
        .fetch([
            "1707.08567",
            "1605.08386",
            "2104.12255v1",
            "astro-ph/0601001",
            "quant-ph/0201082v1",
            "0808.05394",
            "0612.01234",
            "abc",
        ])
        .await;
    assert_eq!(found.len(), 8);
    assert_eq!(found.papers().count(), 5);
    let title = |id: &str| found.get(id).unwrap().as_ref().unwrap().title.clone();
    assert_eq!(
        title("1605.08386"),
        "Heat-bath random walks with Markov bases"
    );
    assert_eq!(
        found.get("astro-ph/0601001").unwrap().as_ref().unwrap().id,
        "astro-ph/0601001"
    );
    assert_eq!(found.not_found().collect::<Vec<_>>(), ["0808.05394"]);
    // Malformed for the client: never asked.
    assert!(matches!(
        found.get("abc").unwrap(),
        Err(hf_client::arxiv::ArxivError::InvalidId(_))
    ));
    // Well-formed for the client, rejected by arXiv with HTTP 400 naming it; the rest of the
    // batch is asked again.
    match found.get("0612.01234").unwrap() {
        Err(hf_client::arxiv::ArxivError::Rejected { message, .. }) => {
            assert_eq!(message, "incorrect id format for 0612.01234");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        found.requests, 2,
        "the batch, then the batch without the rejected id"
    );

    // Raw answers: 400 with the recorded error feed, absent unknown ids.
    let c = &client;
    let raw = |query: &'static str| {
        let url = format!("{}/api/query?{query}", hub.uri());
        async move {
            let resp = c.get(url::Url::parse(&url).unwrap()).await.unwrap();
            (resp.status.as_u16(), resp.text().unwrap().to_owned())
        }
    };
    let (status, body) = raw("id_list=1707.08567,abc&max_results=2").await;
    assert_eq!(status, 400);
    assert!(body.contains("incorrect id format for abc"));
    let (status, body) = raw("id_list=0808.05394,1707.08567&max_results=2").await;
    assert_eq!(status, 200);
    assert_eq!(body.matches("<entry>").count(), 1);
    assert!(body.contains("<opensearch:totalResults>1</opensearch:totalResults>"));
}

#[tokio::test]
async fn papers_tasks_and_tags() {
    let hub = OfflineHub::start().await.unwrap();
    let client = client(&hub);

    let page = client
        .papers()
        .info("2602.23229")
        .send()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        page.title.as_deref(),
        Some("Large Multimodal Models as General In-Context Classifiers")
    );
    assert_eq!(page.authors.len(), 5);
    assert!(
        client
            .papers()
            .info("1707.08567")
            .send()
            .await
            .unwrap()
            .is_none()
    );

    let tasks = client.tasks().list().send().await.unwrap();
    assert_eq!(tasks.len(), 47);
    assert_eq!(tasks["text-classification"].label, "Text Classification");

    let tags = client.tags().models_by_type().send().await.unwrap();
    let tc = tags.get("text-classification").unwrap();
    assert_eq!(tc.tag_type, "pipeline_tag");
    assert_eq!(tc.sub_type.as_deref(), Some("nlp"));
    assert_eq!(tags.get("license:llama3.1").unwrap().tag_type, "license");
    assert_eq!(tags.label("de"), Some("German"));
    assert_eq!(tags.get("zh-Hans").unwrap().tag_type, "language");
    assert_eq!(tags.get("gguf").unwrap().tag_type, "library");
    assert_eq!(tags.get("dataset:allenai/c4").unwrap().tag_type, "dataset");
    assert!(tags.get("arxiv:1707.08567").is_none());
    let dataset_tags = client.tags().datasets_by_type().send().await.unwrap();
    assert_eq!(
        dataset_tags
            .get("task_categories:question-answering")
            .unwrap()
            .tag_type,
        "task_categories"
    );
    assert_eq!(dataset_tags.label("language:en"), Some("English"));
}

#[tokio::test]
async fn lineage_cases_gated_missing_renamed_and_expand() {
    let hub = OfflineHub::start().await.unwrap();
    let client = client(&hub);
    let info = |id: &'static str| client.models().info(id).send();

    // Depth 3: d <- c <- b <- a.
    let mut id = "gen/d".to_owned();
    let mut chain = vec![id.clone()];
    loop {
        let model = client.models().info(id.clone()).send().await.unwrap();
        let Some(base) = model
            .info
            .card_data
            .as_ref()
            .and_then(|c| c.base_models().first().cloned())
        else {
            break;
        };
        chain.push(base.clone());
        id = base;
    }
    assert_eq!(chain, ["gen/d", "gen/c", "gen/b", "gen/a"]);

    let x = info("gen/x").await.unwrap();
    assert_eq!(x.info.card_data.unwrap().base_models(), ["gen/y"]);
    let y = info("gen/y").await.unwrap();
    assert_eq!(y.info.card_data.unwrap().base_models(), ["gen/x"]);
    let me = info("gen/self").await.unwrap();
    assert_eq!(me.info.card_data.unwrap().base_models(), ["gen/self"]);
    let local = info("gen/local-path").await.unwrap();
    assert_eq!(local.info.card_data.unwrap().base_models(), ["./output"]);

    assert!(info("gen/does-not-exist").await.unwrap_err().is_not_found());
    let gated = info("gen/gated-base").await.unwrap_err();
    assert_eq!(gated.status().unwrap().as_u16(), 403);
    assert_eq!(
        gated.hub_info().unwrap().error_code.as_deref(),
        Some("GatedRepo")
    );
    assert!(client.models().card("gen/gated-base").send().await.is_err());

    let renamed = info("gen/old-name").await.unwrap();
    assert_eq!(renamed.requested_id, "gen/old-name");
    assert_eq!(renamed.id, "gen/new-name");
    let legacy = info("bert-base-uncased").await.unwrap();
    assert_eq!(legacy.id, "google-bert/bert-base-uncased");
    let card = client
        .models()
        .card("gen/old-name")
        .send()
        .await
        .unwrap()
        .unwrap();
    assert!(card.text.contains("gen/new-name"));

    // baseModels only when expanded.
    assert!(info("gen/b").await.unwrap().info.base_models.is_none());
    let expanded = client
        .models()
        .info("gen/b")
        .expand([ModelProperty::BaseModels])
        .send()
        .await
        .unwrap();
    assert_eq!(
        expanded.info.base_models.unwrap(),
        serde_json::json!({"relation": "finetune", "models": [{"id": "gen/a"}]})
    );

    // The listing with expand: newest first, distinct dates, baseModels where there is a base.
    let models: Vec<_> = client
        .models()
        .list()
        .sort(Sort::LastModified)
        .page_size(100)
        .expand([
            ModelProperty::LastModified,
            ModelProperty::BaseModels,
            ModelProperty::PipelineTag,
        ])
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(models.len(), 201);
    assert_eq!(models[0].id, "gen/a");
    let mut dates: Vec<_> = models
        .iter()
        .filter(|m| m.id.starts_with("gen/"))
        .map(|m| m.last_modified.as_ref().unwrap().as_str().to_owned())
        .collect();
    dates.dedup();
    assert_eq!(
        dates.len(),
        166,
        "distinct lastModified for the generated models"
    );
    let with_base = models.iter().filter(|m| m.base_models.is_some()).count();
    assert!(with_base > 40, "{with_base}");
    let no_pipeline = models
        .iter()
        .filter(|m| m.id.starts_with("gen/") && m.pipeline_tag.is_none())
        .count();
    assert!(no_pipeline >= 5, "{no_pipeline}");
    let gen_card = client
        .models()
        .card("gen/bert-squad")
        .send()
        .await
        .unwrap()
        .unwrap();
    assert!(
        gen_card
            .text
            .contains("https://huggingface.co/datasets/rajpurkar/squad")
    );
    assert!(gen_card.text.contains("https://arxiv.org/abs/1605.08386"));
    assert!(
        client
            .models()
            .card("gen/no-card")
            .send()
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn rate_limit_headers_and_opt_in_faults() {
    let hub =
        OfflineHub::serve_with_faults(Snapshot::bundled().unwrap(), Some(FaultPlan::every(3)))
            .await
            .unwrap();
    let raw = hf_client::HfClientBuilder::new()
        .with_endpoint(hub.uri())
        .with_retry(hf_client::RetryConfig {
            max_retries: 0,
            ..hf_client::RetryConfig::default()
        })
        .build()
        .unwrap();
    let url = |p: &str| url::Url::parse(&format!("{}{p}", hub.uri())).unwrap();
    let first = raw.get(url("/api/models/gpt2")).await.unwrap();
    assert_eq!(first.status.as_u16(), 200);
    assert_eq!(
        first.headers.get("ratelimit").unwrap(),
        "\"api\";r=499;t=300"
    );
    let second = raw.get(url("/api/tasks")).await.unwrap();
    assert_eq!(second.status.as_u16(), 200);
    let third = raw.get(url("/api/tasks")).await;
    assert_eq!(
        third.map(|r| r.status.as_u16()).unwrap_or(503),
        503,
        "every third request fails"
    );
    let fourth = raw
        .get(url("/api/resolve-cache/models/gpt2/0/README.md"))
        .await
        .unwrap();
    assert_eq!(
        fourth.headers.get("ratelimit").unwrap(),
        "\"resolvers\";r=2999;t=300"
    );
    assert_eq!(
        fourth.headers.get("ratelimit-policy").unwrap(),
        "\"fixed window\";\"resolvers\";q=3000;w=300"
    );

    // With retries, faults are absorbed.
    let client = hf_client::HfClientBuilder::new()
        .with_endpoint(hub.uri())
        .with_retry(hf_client::RetryConfig {
            max_retries: 3,
            initial_backoff: Duration::from_millis(1),
            ..hf_client::RetryConfig::default()
        })
        .build()
        .unwrap();
    for id in ["gen/a", "gen/b", "gen/c", "gen/d", "gpt2"] {
        client.models().info(id).send().await.unwrap();
    }
}

#[test]
fn the_demo_model_id_file_covers_the_appendix_cases() {
    let text = std::fs::read_to_string(snapshot_dir().join("model_ids.txt")).unwrap();
    let list = hf_enrich::model_ids::ModelIdList::parse(&text);
    let ids: Vec<&str> = list.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "google-bert/bert-base-uncased",
            "openai-community/gpt2",
            "gen/d",
            "gen/bert-squad",
            "gen/zh-chat",
            "gen/old-name",
            "bert-base-uncased",
            "gen/does-not-exist",
            "gen/gated-base",
        ]
    );
    assert_eq!(list.errors.len(), 1, "{:?}", list.errors);
    assert_eq!(list.duplicates.len(), 1);
}
