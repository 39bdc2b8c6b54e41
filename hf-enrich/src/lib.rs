//! Orchestration for hf-extractor: identify related entities across models, fetch them, follow lineage.
