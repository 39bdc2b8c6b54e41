//! Criterion benchmarks of hf-extractor live in `benches/benches/`; this library is empty on purpose.
