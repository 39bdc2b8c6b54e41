//! Datasets: every recorded Croissant file, dataset info with a legacy-id redirect, and a
//! dataset without Croissant.

use hf_client::Error;
use hf_client::card::ModelCard;
use hf_client::datasets::Croissant;
use hf_client::wire::Gated;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{client, sample, samples_dir};

fn croissant(file: &str) -> Croissant {
    let value: Value = serde_json::from_str(&sample(&format!("croissant/{file}"))).unwrap();
    Croissant::from_value(value)
}

struct Expected {
    file: &'static str,
    name: Option<&'static str>,
    license: Option<&'static str>,
    creator: Option<(&'static str, &'static str)>,
    record_sets: &'static [(&'static str, usize)],
    splits: &'static [&'static str],
    file_sets: &'static [&'static str],
}

const CHOOSE: &str = "https://choosealicense.com/licenses/";

#[test]
fn every_recorded_croissant_file_parses_and_yields_its_record_sets() {
    let expected = [
        Expected {
            file: "dtrizna__quovadis-ember.croissant.json",
            name: Some("quovadis-ember"),
            license: Some("apache-2.0/"),
            creator: Some(("Person", "Dmitrijs Trizna")),
            record_sets: &[("default_splits", 1), ("default", 2)],
            splits: &["train", "test"],
            file_sets: &["default/*/*.parquet"],
        },
        Expected {
            file: "ibm__duorc.croissant.json",
            name: Some("duorc"),
            license: Some("mit/"),
            creator: Some(("Organization", "IBM")),
            record_sets: &[("ParaphraseRC", 6), ("SelfRC", 6)],
            splits: &[],
            file_sets: &["ParaphraseRC/*/*.parquet", "SelfRC/*/*.parquet"],
        },
        Expected {
            file: "mlcommons-v1.0__huggingface-c4.metadata.json",
            name: Some("c4"),
            license: Some("odc-by"),
            creator: None,
            record_sets: &[("data", 4)],
            splits: &[],
            file_sets: &["*/*/*.parquet"],
        },
        Expected {
            file: "mlcommons-v1.0__huggingface-mnist.metadata.json",
            name: Some("mnist"),
            license: Some("mit"),
            creator: None,
            record_sets: &[("mnist_splits", 1), ("default", 3)],
            splits: &["train", "test"],
            file_sets: &["*/*/*.parquet"],
        },
        Expected {
            file: "mlcommons-v1.0__huggingface-open-hermes.metadata.json",
            name: Some("OpenHermes-2.5"),
            license: None,
            creator: None,
            record_sets: &[("default", 15)],
            splits: &[],
            file_sets: &["default/*/*.parquet"],
        },
        Expected {
            file: "mlcommons-v1.0__huggingface-squad.metadata.json",
            name: None,
            license: None,
            creator: None,
            record_sets: &[
                ("record_set_plain_text_splits", 1),
                ("record_set_plain_text", 6),
            ],
            splits: &["train", "validation"],
            file_sets: &["plain_text/*/*.parquet"],
        },
        Expected {
            file: "mlcommons-v1.1__huggingface-mnist-from-main-branch.metadata.json",
            name: Some("mnist"),
            license: Some("mit"),
            creator: None,
            record_sets: &[("mnist_splits", 1), ("default", 3)],
            splits: &["train", "test"],
            file_sets: &["mnist/train-*.parquet", "mnist/test-*.parquet"],
        },
        Expected {
            file: "mlcommons-v1.1__huggingface-squad_v2.metadata.json",
            name: Some("squad_v2"),
            license: Some("cc-by-sa-4.0/"),
            creator: Some(("sc:Person", "Pranav R")),
            record_sets: &[("squad_v2_splits", 1), ("squad_v2", 6)],
            splits: &["train", "validation"],
            file_sets: &["squad_v2/*/*.parquet"],
        },
        Expected {
            file: "mlcommons-v1.1__huggingface-wildchat.metadata.json",
            name: Some("WildChat-1M"),
            license: Some("odc-by/"),
            creator: None,
            record_sets: &[("default_splits", 1), ("default", 14)],
            splits: &["train"],
            file_sets: &["default/*/0000.parquet"],
        },
    ];
    let mut files: Vec<String> = std::fs::read_dir(samples_dir().join("croissant"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        expected.iter().map(|e| e.file).collect::<Vec<_>>(),
        "a Croissant sample without expectations"
    );

    for e in &expected {
        let c = croissant(e.file);
        let file = e.file;
        assert_eq!(c.name(), e.name, "{file}");
        match e.license {
            Some(l) if l.ends_with('/') => {
                assert_eq!(c.license(), Some(format!("{CHOOSE}{l}")), "{file}")
            }
            Some(l) => assert_eq!(c.license().as_deref(), Some(l), "{file}"),
            None => assert!(c.licenses().is_empty(), "{file}"),
        }
        let creators = c.creators();
        match e.creator {
            Some((kind, name)) => {
                assert_eq!(creators.len(), 1, "{file}");
                assert_eq!(creators[0].kind.as_deref(), Some(kind), "{file}");
                assert_eq!(creators[0].name.as_deref(), Some(name), "{file}");
                assert!(
                    creators[0]
                        .url
                        .as_deref()
                        .unwrap()
                        .starts_with("https://huggingface.co/")
                );
            }
            None => assert!(creators.is_empty(), "{file}"),
        }
        let record_sets = c.record_sets();
        let got: Vec<(&str, usize)> = record_sets
            .iter()
            .map(|rs| (rs.label().unwrap(), rs.fields.len()))
            .collect();
        assert_eq!(got, e.record_sets, "{file}");
        for rs in &record_sets {
            assert_eq!(
                rs.is_split_list(),
                rs.label().unwrap().ends_with("splits"),
                "{file}"
            );
            for field in &rs.fields {
                assert!(field.label().is_some(), "{file}");
                assert!(
                    !field.data_types.is_empty() || !field.sub_fields.is_empty(),
                    "{file}"
                );
            }
        }
        assert_eq!(c.splits(), e.splits, "{file}");
        let includes: Vec<String> = c.file_sets().into_iter().flat_map(|f| f.includes).collect();
        assert_eq!(includes, e.file_sets, "{file}");
        for fs in c.file_sets() {
            assert_eq!(
                fs.encoding_format.as_deref(),
                Some("application/x-parquet"),
                "{file}"
            );
            assert_eq!(fs.contained_in, ["repo"], "{file}");
        }
        let objects = c.file_objects();
        assert_eq!(objects.len(), 1, "{file}");
        assert_eq!(objects[0].id.as_deref(), Some("repo"));
        assert_eq!(objects[0].encoding_format.as_deref(), Some("git+https"));
        assert!(
            objects[0]
                .content_url
                .as_deref()
                .unwrap()
                .starts_with("https://huggingface.co/datasets/")
        );
        // Kept whole: serialises back to the document it came from.
        let original: Value = serde_json::from_str(&sample(&format!("croissant/{file}"))).unwrap();
        assert_eq!(serde_json::to_value(&c).unwrap(), original, "{file}");
    }
}

#[test]
fn croissant_fields_name_their_columns_and_types() {
    let c = croissant("mlcommons-v1.0__huggingface-mnist.metadata.json");
    let default = &c.record_sets()[1];
    let fields: Vec<_> = default
        .fields
        .iter()
        .map(|f| {
            (
                f.label().unwrap().to_owned(),
                f.data_types.clone(),
                f.column.clone(),
            )
        })
        .collect();
    assert_eq!(fields[0].0, "default/split");
    assert_eq!(fields[0].2, None); // from the file path, not a column
    assert_eq!(
        default.fields[0].references.as_deref(),
        Some("mnist_splits/split_name")
    );
    assert_eq!(
        fields[1],
        (
            "default/image".into(),
            vec!["sc:ImageObject".into()],
            Some("image".into())
        )
    );
    assert_eq!(
        fields[2],
        (
            "default/label".into(),
            vec!["sc:Integer".into()],
            Some("label".into())
        )
    );
    assert_eq!(default.fields[2].file_set.as_deref(), Some("parquet-files"));
    assert_eq!(c.version().as_deref(), Some("1.0.0"));
    assert_eq!(
        c.conforms_to().as_deref(),
        Some("http://mlcommons.org/croissant/1.0")
    );
    assert!(c.cite_as().unwrap().contains("lecun2010mnist"));

    let squad = croissant("mlcommons-v1.0__huggingface-squad.metadata.json");
    let answers = squad.record_sets()[1].fields[5].clone();
    assert_eq!(answers.label(), Some("record_set_plain_text/answers"));
    assert!(answers.data_types.is_empty());
    let subs: Vec<_> = answers
        .sub_fields
        .iter()
        .map(|f| (f.label().unwrap(), f.data_types[0].as_str(), f.repeated))
        .collect();
    assert_eq!(
        subs,
        [
            ("record_set_plain_text/answers/text", "sc:Text", true),
            (
                "record_set_plain_text/answers/answer_start",
                "sc:Integer",
                true
            ),
        ]
    );

    let duorc = croissant("ibm__duorc.croissant.json");
    assert_eq!(duorc.alternate_names(), ["ibm/duorc", "DuoRC"]);
    assert_eq!(duorc.same_as(), ["https://duorc.github.io/"]);
    assert_eq!(
        duorc.url(),
        Some("https://huggingface.co/datasets/ibm/duorc")
    );
    assert!(duorc.keywords().contains(&"question-answering".to_owned()));
    assert!(
        duorc
            .description()
            .unwrap()
            .contains("Dataset Card for duorc")
    );
}

/// A dataset_info body in the documented shape (no recorded one exists), with the real squad
/// card's legacy metadata as `cardData`.
fn squad_info() -> Value {
    let card = ModelCard::parse(&sample("datasets/squad.README.legacy-keys.md"));
    json!({
        "_id": "621ffdd236468d709f181d58",
        "id": "rajpurkar/squad",
        "author": "rajpurkar",
        "sha": "7b6d24c440a36b6815f21b70d25016731768db1f",
        "lastModified": "2024-03-04T13:54:37.000Z",
        "createdAt": "2022-03-02T23:29:22.000Z",
        "private": false,
        "gated": false,
        "disabled": false,
        "downloads": 98231,
        "likes": 304,
        "tags": ["task_categories:question-answering", "language:en", "license:cc-by-4.0",
                 "arxiv:1606.05250", "region:us"],
        "cardData": card.metadata.unwrap(),
        "citation": "@article{2016arXiv160605250R, title={SQuAD}}",
        "description": "Stanford Question Answering Dataset (SQuAD) is a reading comprehension dataset.",
        "paperswithcode_id": "squad",
        "siblings": [{"rfilename": "README.md"}],
        "mainSize": 16278203,
    })
}

async fn mount_squad(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/api/datasets/squad"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", "/api/datasets/rajpurkar/squad")
                .set_body_string(
                    "Temporary Redirect. Redirecting to /api/datasets/rajpurkar/squad",
                ),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/datasets/rajpurkar/squad"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "W/\"1d2-squad\"")
                .set_body_json(squad_info()),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_legacy_dataset_id_keeps_both_ids_and_gets_its_croissant() {
    let server = MockServer::start().await;
    mount_squad(&server).await;
    Mock::given(method("GET"))
        .and(path("/api/datasets/rajpurkar/squad/croissant"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            sample("croissant/mlcommons-v1.0__huggingface-squad.metadata.json"),
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let record = client.datasets().fetch("squad").await.unwrap();
    let info = &record.info;
    assert_eq!(info.requested_id, "squad");
    assert_eq!(info.id, "rajpurkar/squad");
    assert_eq!(info.etag.as_deref(), Some("W/\"1d2-squad\""));
    let d = &info.info;
    assert_eq!(d.author.as_deref(), Some("rajpurkar"));
    assert_eq!(d.gated, Some(Gated::No));
    assert_eq!(d.disabled, Some(false));
    assert_eq!((d.downloads, d.likes), (Some(98231), Some(304)));
    assert_eq!(
        d.created_at
            .as_ref()
            .unwrap()
            .timestamp()
            .unwrap()
            .as_second(),
        1_646_263_762
    );
    assert_eq!(d.tag_values("arxiv").collect::<Vec<_>>(), ["1606.05250"]);
    assert_eq!(d.paperswithcode_id.as_deref(), Some("squad"));
    assert!(d.citation.as_deref().unwrap().starts_with("@article"));
    assert!(d.description.as_deref().unwrap().starts_with("Stanford"));
    assert_eq!(d.extra["mainSize"], 16278203);
    let card = d.card_data.as_ref().unwrap();
    let legacy = serde_json::to_value(card).unwrap();
    assert_eq!(legacy["languages"], json!(["en"]));
    assert_eq!(legacy["licenses"], json!(["cc-by-4.0"]));
    assert_eq!(legacy["task_ids"], json!(["extractive-qa"]));

    let croissant = record.croissant.as_ref().unwrap();
    assert_eq!(record.croissant_error, None);
    assert_eq!(croissant.splits(), ["train", "validation"]);
    // 307 + info + croissant (asked with the canonical id: no second redirect).
    assert_eq!(client.stats().total_requests(), 3);
    // The record goes into a run folder.
    let stored = serde_json::to_value(&record).unwrap();
    assert_eq!(stored["info"]["id"], "rajpurkar/squad");
    assert_eq!(stored["croissant"]["@type"], "sc:Dataset");
}

#[tokio::test]
async fn a_dataset_without_croissant_is_still_a_dataset() {
    let server = MockServer::start().await;
    mount_squad(&server).await;
    Mock::given(method("GET"))
        .and(path("/api/datasets/rajpurkar/squad/croissant"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"error": "The dataset viewer is not available"})),
        )
        .mount(&server)
        .await;
    let record = client(&server).datasets().fetch("squad").await.unwrap();
    assert_eq!(record.info.id, "rajpurkar/squad");
    assert!(record.croissant.is_none());
    let reason = record.croissant_error.unwrap();
    assert!(reason.starts_with("HTTP 404"), "{reason}");
    assert!(reason.contains("rajpurkar/squad"), "{reason}");

    // Asked alone, the missing Croissant is an error.
    let err = client(&server)
        .datasets()
        .croissant("rajpurkar/squad")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_not_found());
}

#[tokio::test]
async fn a_croissant_that_is_not_an_object_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/datasets/org/x/croissant"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(["not", "croissant"])))
        .mount(&server)
        .await;
    let err = client(&server)
        .datasets()
        .croissant("org/x")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");
}

#[tokio::test]
async fn a_missing_dataset_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/datasets/nobody/nothing"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-error-code", "RepoNotFound")
                .set_body_json(json!({"error": "Repository not found"})),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .datasets()
        .fetch("nobody/nothing")
        .await
        .unwrap_err();
    match err {
        Error::NotFound { kind, id, .. } => {
            assert_eq!(kind, hf_client::ResourceKind::Dataset);
            assert_eq!(id, "nobody/nothing");
        }
        other => panic!("expected NotFound, got {other}"),
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
