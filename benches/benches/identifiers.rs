//! All seven identifiers over the sample cards of `testdata/hub-samples/cards/`, measured in
//! bytes of card text per second, plus a synthetic 10 MB card to show linear time.
//!
//! `cargo bench -p hf-extractor-benches --bench identifiers`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hf_identifiers::{ModelView, identify_all};
use serde_json::Value;

struct Card {
    id: String,
    card_data: Option<Value>,
    raw_front_matter: Option<String>,
    body: String,
}

fn load_cards() -> Vec<Card> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/hub-samples/cards");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let readme = std::fs::read_to_string(&path).unwrap();
            let (front, body) = hf_identifiers::lenient::split_front_matter(&readme);
            let options = serde_saphyr::options! { strict_booleans: true };
            let card_data = front
                .and_then(|f| serde_saphyr::from_str_with_options::<Value>(f, options).ok())
                .filter(Value::is_object);
            let raw_front_matter = if card_data.is_none() {
                front.map(str::to_string)
            } else {
                None
            };
            let name = path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .replace(".README.md", "")
                .replace(".md", "");
            Card {
                id: name.replacen("__", "/", 1),
                card_data,
                raw_front_matter,
                body: body.to_string(),
            }
        })
        .collect()
}

fn view(card: &Card) -> ModelView<'_> {
    ModelView {
        id: &card.id,
        card_data: card.card_data.as_ref(),
        raw_front_matter: card.raw_front_matter.as_deref(),
        card_text: Some(&card.body),
        ..ModelView::new(&card.id)
    }
}

fn bench(c: &mut Criterion) {
    let cards = load_cards();
    let bytes: usize = cards.iter().map(|c| c.body.len()).sum();

    let mut group = c.benchmark_group("identify_all");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("sample_cards", |b| {
        b.iter(|| {
            for card in &cards {
                black_box(identify_all(black_box(&view(card))));
            }
        })
    });

    // The sample cards concatenated and repeated to 10 MB: a realistic mix of links, citations
    // and Trainer sentences at scale. Linear time means the same MB/s as above.
    let all: String = cards
        .iter()
        .map(|c| c.body.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let big = all.repeat(10_000_000 / all.len() + 1);
    let big_card = Card {
        id: "synthetic/10mb".into(),
        card_data: None,
        raw_front_matter: None,
        body: big,
    };
    group.throughput(Throughput::Bytes(big_card.body.len() as u64));
    group.sample_size(10);
    group.bench_function("synthetic_10mb_card", |b| {
        b.iter(|| black_box(identify_all(black_box(&view(&big_card)))))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
