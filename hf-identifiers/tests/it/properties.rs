//! Property tests: no input panics, and identification is deterministic.

use hf_identifiers::{ModelView, identify_all, lenient};
use proptest::prelude::*;
use serde_json::Value;

/// Text built from the anchors the scanner looks for, glued with arbitrary bytes, so the parsers
/// after each anchor see adversarial input.
fn card_text() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just("huggingface.co/".to_string()),
        Just("hf.co/datasets/".to_string()),
        Just("https://huggingface.co/datasets/a/b/tree/".to_string()),
        Just("arxiv".to_string()),
        Just("arXiv:".to_string()),
        Just("arxiv.org/abs/".to_string()),
        Just("arxiv.org/pdf/2106.09685v".to_string()),
        Just("doi.org/10.48550/arXiv.".to_string()),
        Just("doi.org/10.".to_string()),
        Just("eprint={".to_string()),
        Just("doi:10.48550/ARXIV.".to_string()),
        Just("10.48550/".to_string()),
        Just("```yaml\n".to_string()),
        Just("```".to_string()),
        Just("merge_method: slerp\n".to_string()),
        Just("slices:\n  - sources:\n      - model: ".to_string()),
        Just("models:\n  - model: ".to_string()),
        Just("base_model: ".to_string()),
        Just("- **Language(s) (NLP):** ".to_string()),
        Just("- **License:** ".to_string()),
        Just("archivePrefix={arXiv}".to_string()),
        Just("fine-tuned version of [".to_string()),
        Just("](https://huggingface.co/".to_string()),
        Just("converted to GGUF format from ".to_string()),
        Just("included in the merge:\n* ".to_string()),
        Just("merging `".to_string()),
        Just("`".to_string()),
        Just("2106.09685".to_string()),
        Just("hep-th/9901001".to_string()),
        Just("\n".to_string()),
        Just("é€😀".to_string()),
        "[a-zA-Z0-9/._:\\-\\[\\]()` \n]{0,12}",
        any::<String>(),
    ];
    prop::collection::vec(fragment, 0..40).prop_map(|v| v.concat())
}

fn tag() -> impl Strategy<Value = String> {
    prop_oneof![
        "(dataset|arxiv|doi|base_model|license|language|region):[a-zA-Z0-9/._:\\-]{0,20}",
        "base_model:(finetune|adapter|quantized|merge|x):[a-zA-Z0-9/._\\-]{0,20}",
        "[a-z]{2,3}(-[A-Za-z]{2,4})?",
        any::<String>(),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        "[a-z]{2}(/[a-z0-9\\-]{1,8})?".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("license".to_string()),
                    Just("language".to_string()),
                    Just("datasets".to_string()),
                    Just("base_model".to_string()),
                    Just("base_model_relation".to_string()),
                    Just("pipeline_tag".to_string()),
                    Just("tags".to_string()),
                    Just("license_name".to_string()),
                    Just("models".to_string()),
                    Just("relation".to_string()),
                    Just("id".to_string()),
                    ".{0,6}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_and_is_deterministic(
        id in "[a-zA-Z0-9/._\\-]{0,20}",
        tags in prop::collection::vec(tag(), 0..12),
        pipeline in proptest::option::of(".{0,20}"),
        card_data in proptest::option::of(json_value()),
        text in proptest::option::of(card_text()),
        base in proptest::option::of(json_value()),
        raw in proptest::option::of(".{0,200}"),
    ) {
        let view = ModelView {
            id: &id,
            tags: &tags,
            pipeline_tag: pipeline.as_deref(),
            library_name: None,
            card_data: card_data.as_ref(),
            card_text: text.as_deref(),
            base_models: base.as_ref(),
            raw_front_matter: raw.as_deref(),
        };
        let first = identify_all(&view);
        let second = identify_all(&view);
        prop_assert_eq!(&first, &second);
        // Output is sorted by id, with sorted provenances, and round-trips through JSON.
        for ds in &first.datasets {
            prop_assert!(ds.provenance.windows(2).all(|w| w[0] < w[1]));
        }
        let ids = first.ids(hf_identifiers::EntityKind::Keywords);
        let mut sorted = ids.clone();
        sorted.sort_by(|a, b| a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase()).then_with(|| a.cmp(b)));
        prop_assert_eq!(ids, sorted);
        let json = serde_json::to_string(&first).unwrap();
        let back: hf_identifiers::Identified = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, first);
    }

    #[test]
    fn lenient_reader_never_panics(raw in ".{0,400}") {
        let v = lenient::read_front_matter(&raw);
        prop_assert!(v.is_object());
    }

    #[test]
    fn arxiv_parser_never_panics(s in ".{0,30}") {
        if let Some((_, len)) = hf_identifiers::arxiv::parse_arxiv_id(&s) {
            prop_assert!(len <= s.len());
        }
    }
}

/// A 10 MB card full of anchors is processed in linear time (a quadratic scan would take minutes).
#[test]
fn ten_megabyte_card_is_linear() {
    let unit = "See https://arxiv.org/abs/2106.09685 and [d](https://huggingface.co/datasets/a/b). \
                This model is a fine-tuned version of [a/b](https://huggingface.co/a/b). eprint={2106.09685}, \
                merging `a/b` and `c/d`. archivePrefix={arXiv} hf.co/datasets/x doi.org/10.1234/abc arxiv arxiv \n";
    let text = unit.repeat(10_000_000 / unit.len() + 1);
    let view = ModelView {
        card_text: Some(&text),
        ..ModelView::new("x/y")
    };
    let start = std::time::Instant::now();
    let found = identify_all(&view);
    let elapsed = start.elapsed();
    assert_eq!(found.articles.len(), 2);
    assert_eq!(found.datasets.len(), 2);
    assert_eq!(found.base_models.len(), 2);
    // Generous for an unoptimised test build on a shared 2-core machine.
    assert!(elapsed.as_secs() < 60, "10 MB took {elapsed:?}");
}
