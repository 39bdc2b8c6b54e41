//! Integration tests of hf-identifiers: the labelled evaluation set, the real samples, property
//! tests (no panic, determinism) and the JSON shape of the results.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "eval/harness.rs"]
mod harness;

#[path = "it/properties.rs"]
mod properties;
#[path = "it/samples.rs"]
mod samples;

use harness::{Miss, evaluate};
use hf_identifiers::EntityKind;

/// The labelled set, asserted exactly: every expected reference is found and nothing else, except
/// the misses listed here (each one is explained in the case's `notes`).
#[test]
fn evaluation_set_is_matched_exactly() {
    let report = evaluate();
    let known_misses = vec![Miss {
        case: "card/deepseek-ai__DeepSeek-R1".into(),
        kind: EntityKind::BaseModels,
        id: "deepseek-ai/DeepSeek-V3-Base".into(),
        false_positive: false,
    }];
    assert_eq!(
        report.misses, known_misses,
        "differences from the labelled set"
    );
    assert_eq!(
        report.detail_misses,
        Vec::<String>::new(),
        "differences from the labelled details"
    );
    assert_eq!(report.cases, 114);
    let counts = |k| report.counts.get(&k).copied().unwrap();
    assert_eq!(counts(EntityKind::BaseModels).fn_, 1);
    for kind in EntityKind::ALL {
        assert_eq!(counts(kind).fp, 0, "{kind:?}");
    }
}

/// The set covers every sample: all 47 model-info bodies and all 19 cards.
#[test]
fn evaluation_set_covers_all_samples() {
    let cases = harness::load_cases();
    let dir = harness::samples_dir();
    for (folder, count) in [("model-info", 47), ("cards", 19)] {
        let mut files: Vec<String> = std::fs::read_dir(dir.join(folder))
            .unwrap()
            .map(|e| format!("{folder}/{}", e.unwrap().file_name().to_string_lossy()))
            .filter(|f| !f.ends_with("_exchanges.json"))
            .collect();
        files.sort();
        assert_eq!(files.len(), count, "{folder}");
        for f in files {
            assert!(
                cases
                    .iter()
                    .any(|c| c.model_info.as_deref() == Some(&f) || c.card.as_deref() == Some(&f)),
                "{f} has no case"
            );
        }
    }
    let mut names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "case names are unique");
    assert!(cases.iter().filter(|c| c.name.starts_with("hard/")).count() >= 20);
}
