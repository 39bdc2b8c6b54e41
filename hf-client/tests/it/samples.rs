//! Every recorded Hub answer and card in `testdata/hub-samples/` parses, with real values.

use std::path::{Path, PathBuf};

use hf_client::card::ModelCard;
use hf_client::wire::{Gated, ModelIndex, ModelInfo, OneOrMany};

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/hub-samples/");

fn samples(dir: &str, extension: &str) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(Path::new(SAMPLES).join(dir))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .collect();
    paths.sort();
    paths
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn parse_info(text: &str) -> ModelInfo {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).unwrap_or_else(|e| panic!("{}: {e}", e.path()))
}

fn model(file: &str) -> ModelInfo {
    parse_info(&read(&Path::new(SAMPLES).join("model-info").join(file)))
}

fn card(file: &str) -> ModelCard {
    ModelCard::parse(&read(&Path::new(SAMPLES).join("cards").join(file)))
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn every_model_info_body_parses_and_round_trips() {
    let mut count = 0;
    for path in samples("model-info", "json") {
        if path.file_name().is_some_and(|n| n == "_exchanges.json") {
            continue;
        }
        let text = read(&path);
        let info = parse_info(&text);
        let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            Some(info.id.as_str()),
            raw["id"].as_str(),
            "{}",
            path.display()
        );
        assert_eq!(info.object_id.as_deref(), raw["_id"].as_str());
        if let Some(sha) = &info.sha {
            assert_eq!(sha.len(), 40, "{}", path.display());
        }
        if let Some(t) = &info.last_modified {
            assert!(t.timestamp().is_some(), "{}: {t}", path.display());
        }
        assert!(
            info.extra.is_empty(),
            "{}: unknown keys {:?}",
            path.display(),
            info.extra.keys()
        );

        let stored = serde_json::to_string(&info).unwrap();
        assert_eq!(parse_info(&stored), info, "{}", path.display());
        count += 1;
    }
    assert_eq!(count, 47);
}

#[test]
fn bert_base_uncased() {
    let info = model("google-bert__bert-base-uncased.json");
    assert_eq!(info.id, "google-bert/bert-base-uncased");
    assert_eq!(
        info.sha.as_deref(),
        Some("86b5e0934494bd15c9632b12f734a8a67f723594")
    );
    assert!(info.tags.iter().any(|t| t == "arxiv:1810.04805"));
    assert_eq!(info.tag_values("arxiv").collect::<Vec<_>>(), ["1810.04805"]);
    assert_eq!(info.gated, Some(Gated::No));
    assert_eq!(info.pipeline_tag.as_deref(), Some("fill-mask"));
    assert_eq!(info.mask_token.as_deref(), Some("[MASK]"));
    let last = info.last_modified.as_ref().unwrap();
    assert_eq!(last.as_str(), "2024-02-19T11:06:12.000Z");
    assert_eq!(
        last.timestamp().unwrap().to_string(),
        "2024-02-19T11:06:12Z"
    );
    let safetensors = info.safetensors.as_ref().unwrap();
    assert_eq!(safetensors.total, Some(110_106_428));
    assert_eq!(safetensors.parameters.get("F32"), Some(&110_106_428));
    assert_eq!(info.siblings.as_ref().unwrap().len(), 16);
    let card = info.card_data.as_ref().unwrap();
    assert_eq!(card.license, Some(OneOrMany::One("apache-2.0".into())));
    assert_eq!(card.language, Some(OneOrMany::One("en".into())));
    assert_eq!(
        card.datasets.as_ref().unwrap().as_slice(),
        strings(&["bookcorpus", "wikipedia"])
    );
}

#[test]
fn base_model_string_or_list() {
    let deepset = model("deepset__roberta-base-squad2.json");
    let card = deepset.card_data.unwrap();
    assert_eq!(
        card.base_model,
        Some(OneOrMany::Many(strings(&["FacebookAI/roberta-base"])))
    );
    assert_eq!(card.license_ids(), ["cc-by-4.0"]);
    assert!(matches!(deepset.model_index, Some(ModelIndex::Entries(ref e)) if !e.is_empty()));

    let zephyr = model("HuggingFaceH4__zephyr-7b-beta.json");
    assert_eq!(
        zephyr.sha.as_deref(),
        Some("892b3d7a7b1cf10c7a701c60881cd93df615734c")
    );
    let card = zephyr.card_data.unwrap();
    assert_eq!(
        card.base_model,
        Some(OneOrMany::One("mistralai/Mistral-7B-v0.1".into()))
    );
    assert_eq!(card.language, Some(OneOrMany::Many(strings(&["en"]))));
    assert_eq!(card.license_ids(), ["mit"]);

    let t5 = model("google-t5__t5-small.json").card_data.unwrap();
    assert_eq!(
        t5.language_codes(),
        strings(&["en", "fr", "ro", "de", "multilingual"])
    );
}

#[test]
fn meta_llama_is_gated_manually() {
    for file in [
        "meta-llama__Llama-3.1-8B-Instruct.json",
        "meta-llama__Meta-Llama-3-70B-Instruct.json",
        "meta-llama__Meta-Llama-3-8B-Instruct.json",
    ] {
        let info = model(file);
        assert_eq!(info.gated, Some(Gated::Manual), "{file}");
        assert!(info.gated.as_ref().unwrap().is_gated());
        let gated = serde_json::to_value(&info).unwrap();
        assert_eq!(gated["gated"], "manual");
    }
    let llama = model("meta-llama__Llama-3.1-8B-Instruct.json");
    let card = llama.card_data.unwrap();
    assert_eq!(card.base_models(), ["meta-llama/Meta-Llama-3.1-8B"]);
    assert_eq!(card.license_ids(), ["llama3.1"]);
    assert_eq!(card.language_codes().len(), 8);
    assert!(card.extra_gated_fields.as_ref().unwrap().len() > 3);
}

#[test]
fn corrupted_model_index_list_item() {
    let path = Path::new(SAMPLES).join(
        "models/list-item__Waynehillsdev__Waynehills-STT-doogie-server.corrupted-model-index.json",
    );
    let info = parse_info(&read(&path));
    assert_eq!(info.id, "Waynehillsdev/Waynehills-STT-doogie-server");
    assert_eq!(info.siblings, None);
    assert_eq!(info.gitaly_uid.as_deref().map(str::len), Some(64));
    assert_eq!(info.author, None);
    let card = info.card_data.as_ref().unwrap();
    let index = card.model_index.as_ref().unwrap();
    assert!(index.is_invalid());
    assert_eq!(
        serde_json::to_value(index).unwrap(),
        serde_json::json!({"name": "Waynehills-STT-doogie-server"})
    );
    assert_eq!(card.license_ids(), ["apache-2.0"]);
    assert_eq!(parse_info(&serde_json::to_string(&info).unwrap()), info);
}

#[test]
fn inference_provider_mapping_is_normalised() {
    let info = model("black-forest-labs__FLUX.1-dev.expand-inferenceProviderMapping.json");
    assert_eq!(info.id, "black-forest-labs/FLUX.1-dev");
    assert_eq!(info.sha, None);
    let mappings = info.inference_provider_mapping.as_ref().unwrap();
    assert_eq!(mappings.len(), 6);
    let fal = mappings.iter().find(|m| m.provider == "fal-ai").unwrap();
    assert_eq!(fal.provider_id.as_deref(), Some("fal-ai/flux/dev"));
    assert_eq!(fal.status.as_deref(), Some("live"));
    assert_eq!(fal.task.as_deref(), Some("text-to-image"));
    let nebius = mappings.iter().find(|m| m.provider == "nebius").unwrap();
    assert_eq!(nebius.status.as_deref(), Some("staging"));

    // Stored as the list form, read back the same.
    let stored = serde_json::to_value(&info).unwrap();
    assert!(stored["inferenceProviderMapping"].is_array());
    assert_eq!(
        stored["inferenceProviderMapping"][0]["provider"],
        "black-forest-labs"
    );
    assert_eq!(parse_info(&stored.to_string()), info);
}

#[test]
fn expand_bodies_hold_only_expanded_keys() {
    let clip = model("openai__clip-vit-large-patch14.expand-downloads_downloadsAllTime.json");
    assert_eq!(clip.downloads, Some(52_240_270));
    assert_eq!(clip.downloads_all_time, Some(426_036_045));
    assert!(clip.tags.is_empty());

    let spatial = model("manycore-research__SpatialLM-Llama-1B.expand-inference.json");
    assert_eq!(spatial.inference, None);
    assert_eq!(
        spatial.object_id.as_deref(),
        Some("67d3b141d8b6e20c6d009c8b")
    );
}

#[test]
fn legacy_id_gpt2_shares_the_object_id() {
    let legacy = model("gpt2.json");
    let canonical = model("openai-community__gpt2.json");
    assert_eq!(legacy.id, "gpt2");
    assert_eq!(canonical.id, "openai-community/gpt2");
    assert_eq!(legacy.object_id, canonical.object_id);
    assert_eq!(legacy.sha, canonical.sha);
}

#[test]
fn no_card_data_when_readme_has_no_metadata() {
    let dbmdz = model("dbmdz__bert-large-cased-finetuned-conll03-english.json");
    assert!(dbmdz.card_data.as_ref().is_none_or(|c| c.license.is_none()));
    let espnet = model("espnet__kan-bayashi_ljspeech_vits.json");
    assert_eq!(espnet.safetensors, None);
}

#[test]
fn unknown_keys_survive_a_round_trip() {
    let mut body: serde_json::Value =
        serde_json::from_str(&read(&Path::new(SAMPLES).join("model-info/gpt2.json"))).unwrap();
    body["someFutureField"] = serde_json::json!({"nested": [1, 2, null]});
    body["cardData"]["brand_new_card_key"] = serde_json::json!("kept");
    body["siblings"][0]["someSiblingKey"] = serde_json::json!(true);
    let info: ModelInfo = serde_json::from_value(body).unwrap();
    assert_eq!(info.extra["someFutureField"]["nested"][1], 2);
    let stored = serde_json::to_value(&info).unwrap();
    assert_eq!(
        stored["someFutureField"],
        serde_json::json!({"nested": [1, 2, null]})
    );
    assert_eq!(stored["cardData"]["brand_new_card_key"], "kept");
    assert_eq!(stored["siblings"][0]["someSiblingKey"], true);
    let again: ModelInfo = serde_json::from_value(stored).unwrap();
    assert_eq!(again, info);
}

#[test]
fn every_card_parses() {
    let mut count = 0;
    for path in samples("cards", "md") {
        let text = read(&path);
        let card = ModelCard::parse(&text);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let broken = name == "hfhub-fixture__sample_invalid_card_data.md";
        let bare = name == "hfhub-fixture__sample_no_metadata.md";
        assert_eq!(
            card.yaml_error.is_some(),
            broken,
            "{name}: {:?}",
            card.yaml_error
        );
        assert_eq!(card.front_matter.is_none(), bare, "{name}");
        assert_eq!(card.card_data.is_some(), !broken && !bare, "{name}");
        assert_eq!(card.metadata.is_some(), card.card_data.is_some());
        assert!(!card.body.is_empty(), "{name}");
        assert!(text.ends_with(&card.body), "{name}");
        count += 1;
    }
    assert_eq!(count, 19);
}

#[test]
fn card_values() {
    let bert = card("google-bert__bert-base-uncased.README.md");
    let data = bert.card_data.unwrap();
    assert_eq!(data.language, Some(OneOrMany::One("en".into())));
    assert_eq!(data.license_ids(), ["apache-2.0"]);
    assert!(bert.body.contains("arxiv.org/abs/1810.04805"));

    let samantha = card("sethuiyer__Dr_Samantha-7b.README.md")
        .card_data
        .unwrap();
    assert_eq!(
        samantha.base_model,
        Some(OneOrMany::Many(strings(&[
            "Severus27/BeingWell_llama2_7b",
            "ParthasarathyShanmugam/llama-2-7b-samantha"
        ])))
    );
    assert_eq!(samantha.language_codes(), ["en", "zh"]);
    assert_eq!(samantha.license_ids(), ["llama2"]);
    assert!(
        samantha
            .model_index
            .unwrap()
            .entries()
            .is_some_and(|e| !e.is_empty())
    );

    let trl = card("trl-lora-adapter__qwen_lora_adapter_0116_l.README.md");
    let data = trl.card_data.unwrap();
    assert_eq!(
        data.base_models(),
        ["/home/yushaolong/.cache/modelscope/hub/models/Qwen/Qwen3-14B"]
    );
    assert_eq!(data.library_name.as_deref(), Some("peft"));
    assert_eq!(data.license, None);
    assert_eq!(
        data.extra.get("licence"),
        Some(&serde_json::json!("license"))
    );
    assert!(
        trl.body
            .starts_with("\n# Model Card for qwen_lora_adapter_0116_l")
    );

    let kimiko = card("nRuaif__Kimiko-Mistral-7B.README.md")
        .card_data
        .unwrap();
    assert_eq!(
        kimiko.base_model,
        Some(OneOrMany::One("mistralai/Mistral-7B-v0.1".into()))
    );

    let r1 = card("deepseek-ai__DeepSeek-R1.README.md");
    assert_eq!(
        r1.front_matter.as_deref(),
        Some("license: mit\nlibrary_name: transformers\n")
    );
    assert!(r1.body.starts_with("# DeepSeek-R1"));

    let gemma = card("google__gemma-2-9b-it.README.md").card_data.unwrap();
    assert_eq!(gemma.license_ids(), ["gemma"]);
    assert!(gemma.extra.contains_key("extra_gated_prompt"));
}

#[test]
fn fixture_cards() {
    let broken = card("hfhub-fixture__sample_invalid_card_data.md");
    assert_eq!(broken.front_matter.as_deref(), Some("[]\n"));
    assert!(broken.yaml_error.unwrap().contains("mapping"));
    assert!(broken.body.contains("# invalid-card-data"));

    let bare = card("hfhub-fixture__sample_no_metadata.md");
    assert!(bare.body.starts_with("# MyCoolModel"));
    assert_eq!(bare.yaml_error, None);

    let windows = card("hfhub-fixture__sample_windows_line_breaks.md");
    let data = windows.card_data.unwrap();
    assert_eq!(data.license_ids(), ["mit"]);
    assert_eq!(data.language_codes(), ["eo"]);
    assert_eq!(data.widget.as_ref().map(Vec::len), Some(3));
    assert_eq!(data.widget.unwrap()[2]["text"], "Jen finiĝas bela <mask>.");
    assert!(
        data.thumbnail
            .unwrap()
            .ends_with("EsperBERTo-thumbnail-v2.png")
    );
    assert!(
        windows
            .body
            .starts_with("\r\n# Hello old Windows line breaks")
    );

    let index = card("hfhub-fixture__sample_invalid_model_index.md")
        .card_data
        .unwrap();
    assert!(index.model_index.unwrap().entries().is_some());

    let dataset = card("hfhub-fixture__sample_datasetcard_simple.md")
        .card_data
        .unwrap();
    assert!(dataset.annotations_creators.is_some());
}

#[test]
fn legacy_dataset_card_keys() {
    let text = read(&Path::new(SAMPLES).join("datasets/squad.README.legacy-keys.md"));
    let card = ModelCard::parse(&text);
    let data = card.card_data.unwrap();
    assert_eq!(data.language, None);
    assert_eq!(data.language_codes(), ["en"]);
    assert_eq!(data.license_ids(), ["cc-by-4.0"]);
    assert_eq!(
        data.task_ids.as_ref().unwrap().as_slice(),
        ["extractive-qa"]
    );
    assert_eq!(
        data.size_categories.as_ref().unwrap().as_slice(),
        ["10K<n<100K"]
    );
    assert_eq!(
        card.metadata.unwrap()["source_datasets"][0],
        "extended|wikipedia"
    );
}

#[test]
fn cards_agree_with_the_api_card_data() {
    // The README and the API's cardData of the same model give the same metadata.
    for (card_file, info_file) in [
        (
            "google-bert__bert-base-uncased.README.md",
            "google-bert__bert-base-uncased.json",
        ),
        (
            "google__tapas-base-finetuned-wtq.README.md",
            "google__tapas-base-finetuned-wtq.json",
        ),
    ] {
        let from_card = card(card_file).card_data.unwrap();
        let from_api = model(info_file).card_data.unwrap();
        assert_eq!(from_card.language, from_api.language, "{card_file}");
        assert_eq!(from_card.license, from_api.license, "{card_file}");
        // Tags differ: the stored README (2020) is older than the recorded API body (2025).
    }
}
