//! Prints the precision and recall of each identifier on the labelled evaluation set
//! (`hf-identifiers/tests/eval/cases.json`, built on `testdata/hub-samples/`).
//!
//! `cargo run -p hf-identifiers --example eval_report` (add `-- --misses` to list every difference,
//! `-- --dump` to print what is found per case).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/eval/harness.rs"]
mod harness;

use hf_identifiers::{EntityKind, identify_all};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--dump") {
        for case in harness::load_cases() {
            let input = harness::build_input(&case);
            let found = identify_all(&input.view());
            println!("== {} ({})", case.name, input.id);
            for kind in EntityKind::ALL {
                println!("  {:<12} {:?}", kind.as_str(), found.ids(kind));
            }
        }
        return;
    }
    let report = harness::evaluate();
    println!("evaluation set: {} models\n", report.cases);
    println!(
        "{:<12} {:>5} {:>5} {:>5} {:>10} {:>8}",
        "kind", "TP", "FP", "FN", "precision", "recall"
    );
    let mut total = harness::Counts::default();
    for kind in EntityKind::ALL {
        let c = report.counts.get(&kind).copied().unwrap_or_default();
        total.tp += c.tp;
        total.fp += c.fp;
        total.fn_ += c.fn_;
        println!(
            "{:<12} {:>5} {:>5} {:>5} {:>10.3} {:>8.3}",
            kind.as_str(),
            c.tp,
            c.fp,
            c.fn_,
            c.precision(),
            c.recall()
        );
    }
    println!(
        "{:<12} {:>5} {:>5} {:>5} {:>10.3} {:>8.3}",
        "all",
        total.tp,
        total.fp,
        total.fn_,
        total.precision(),
        total.recall()
    );
    println!(
        "\n{:<18} {:>5} {:>5} {:>10} {:>8}",
        "provenance", "TP", "FP", "precision", "recall"
    );
    for (p, c) in &report.by_provenance {
        let name = serde_json::to_value(p).unwrap();
        println!(
            "{:<18} {:>5} {:>5} {:>10.3} {:>8.3}",
            name.as_str().unwrap_or_default(),
            c.tp,
            c.fp,
            c.precision(),
            report.provenance_recall(*p)
        );
    }
    println!(
        "(a reference counts under each place it was found; recall is the share of all {} expected \
         references found there)",
        report.expected
    );
    if !report.detail_misses.is_empty() {
        println!("\ndetail differences:");
        for m in &report.detail_misses {
            println!("  {m}");
        }
    }
    if !report.misses.is_empty() {
        println!("\ndifferences:");
        for m in &report.misses {
            let what = if m.false_positive { "FP" } else { "FN" };
            println!("  {what} {:<11} {:<40} {}", m.kind.as_str(), m.case, m.id);
        }
    }
}
