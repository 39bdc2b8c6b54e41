//! The varied synthetic Hub: models that differ as the Hub's own do.
//!
//! In the repetitive mode every synthetic model is one of five fillers, so a million models
//! cite the same eight datasets and share six keyword lists. Here model number `n` draws its
//! own lists from large vocabularies, seeded by its id so two runs see the same Hub:
//!
//! | what | how many per model | drawn from |
//! |---|---|---|
//! | keywords (card `tags`) | 1–6 | [`KEYWORDS`] = 50,000 (`topic-<k>`) |
//! | datasets | 0–3 | [`DATASETS`] = 30,000 (`syn-data-<owner>/set-<k>`), each served with its Croissant |
//! | arXiv papers | 0–2 | [`PAPERS`] = 40,000 new-style ids of 2023–2025, each served by the arXiv API |
//! | parents (`base_model`) | 0–2 | an older synthetic model (most), or the family's base in the snapshot |
//! | licenses | 1 | 40 license ids of the Hub |
//! | languages | 1–3 | 80 ISO 639-1 codes |
//!
//! Popular entries are drawn more often than rare ones (the square of a uniform draw picks the
//! index), as on the Hub, where a few datasets are cited by thousands of models and most by one.
//! Every seventh model is low-information (a template card, no pipeline tag), like the fillers.

use serde_json::{Map, Value};

use super::generate::{CardKind, FAMILIES, Spec, fnv, license_of, model_body, model_card, spec};

/// Distinct keywords.
pub const KEYWORDS: usize = 50_000;
/// Distinct datasets.
pub const DATASETS: usize = 30_000;
/// Distinct arXiv papers.
pub const PAPERS: usize = 40_000;

/// Dataset owners: datasets are spread over this many namespaces.
const DATASET_OWNERS: usize = 3_000;

const LICENSES: [&str; 40] = [
    "apache-2.0",
    "mit",
    "cc-by-4.0",
    "cc-by-sa-4.0",
    "cc-by-nc-4.0",
    "cc-by-nc-sa-4.0",
    "cc-by-nd-4.0",
    "cc0-1.0",
    "cc-by-3.0",
    "cc-by-2.0",
    "gpl-3.0",
    "gpl-2.0",
    "lgpl-3.0",
    "lgpl-2.1",
    "agpl-3.0",
    "bsd-3-clause",
    "bsd-2-clause",
    "bsl-1.0",
    "mpl-2.0",
    "epl-2.0",
    "afl-3.0",
    "artistic-2.0",
    "ecl-2.0",
    "isc",
    "ofl-1.1",
    "osl-3.0",
    "postgresql",
    "zlib",
    "unlicense",
    "wtfpl",
    "eupl-1.1",
    "openrail",
    "openrail++",
    "creativeml-openrail-m",
    "bigscience-openrail-m",
    "llama2",
    "llama3",
    "llama3.1",
    "gemma",
    "other",
];

const LANGUAGES: [&str; 80] = [
    "en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "no", "fi", "pl", "cs", "sk", "sl", "hr",
    "sr", "bg", "ro", "hu", "el", "tr", "ru", "uk", "be", "lt", "lv", "et", "ga", "cy", "eu", "ca",
    "gl", "is", "mt", "sq", "mk", "hy", "ka", "az", "kk", "uz", "ky", "tg", "mn", "zh", "ja", "ko",
    "vi", "th", "lo", "km", "my", "id", "ms", "tl", "jv", "su", "hi", "bn", "pa", "gu", "mr", "ta",
    "te", "kn", "ml", "si", "ne", "ur", "fa", "ps", "ar", "he", "am", "sw", "yo", "ig", "ha", "zu",
];

const RELATIONS: [&str; 4] = ["finetune", "quantized", "adapter", "merge"];

/// Draws of model `id`: each call a new number, the same sequence for the same id.
struct Draws<'a> {
    id: &'a str,
    salt: u64,
}

impl Draws<'_> {
    fn next(&mut self) -> u64 {
        self.salt += 1;
        fnv(self.id, 0x5eed_0000 + self.salt)
    }

    /// A number in `low..=high`, evenly.
    fn between(&mut self, low: usize, high: usize) -> usize {
        low + (self.next() % (high - low + 1) as u64) as usize
    }

    /// An index below `size`, low indices (popular entries) more often.
    fn popular(&mut self, size: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((u * u * size as f64) as usize).min(size - 1)
    }

    /// `low..=high` distinct entries of a vocabulary of `size`, by [`Draws::popular`].
    fn some(&mut self, low: usize, high: usize, size: usize) -> std::vec::IntoIter<usize> {
        let count = self.between(low, high);
        self.distinct(count, size).into_iter()
    }

    /// `count` distinct entries of a vocabulary of `size`, by [`Draws::popular`].
    fn distinct(&mut self, count: usize, size: usize) -> Vec<usize> {
        let mut picked: Vec<usize> = Vec::with_capacity(count);
        let mut tries = 0;
        while picked.len() < count && tries < count * 8 {
            let k = self.popular(size);
            if !picked.contains(&k) {
                picked.push(k);
            }
            tries += 1;
        }
        picked
    }
}

/// Keyword number `k`.
pub fn keyword(k: usize) -> String {
    format!("topic-{k}")
}

/// Dataset number `k`: `syn-data-<owner>/set-<k>`.
pub fn dataset(k: usize) -> String {
    format!("syn-data-{}/set-{k}", k % DATASET_OWNERS)
}

/// The number of dataset `id`, if it is one of [`DATASETS`].
pub fn dataset_number(id: &str) -> Option<usize> {
    let (owner, name) = id.split_once('/')?;
    let k: usize = name.strip_prefix("set-")?.parse().ok()?;
    (k < DATASETS && owner.strip_prefix("syn-data-")? == (k % DATASET_OWNERS).to_string())
        .then_some(k)
}

/// Paper number `k`: a new-style arXiv id of 2023–2025 (`2305.00042`).
pub fn paper(k: usize) -> String {
    let year = 23 + k % 3;
    let month = 1 + (k / 3) % 12;
    format!("{year}{month:02}.{:05}", k / 36)
}

/// The number of paper `id` (canonical, no version), if it is one of [`PAPERS`].
pub fn paper_number(id: &str) -> Option<usize> {
    let (yymm, number) = id.split_once('.')?;
    if yymm.len() != 4 || number.len() != 5 {
        return None;
    }
    let year: usize = yymm[..2].parse().ok()?;
    let month: usize = yymm[2..].parse().ok()?;
    let n: usize = number.parse().ok()?;
    if !(23..=25).contains(&year) || !(1..=12).contains(&month) {
        return None;
    }
    let k = n * 36 + (month - 1) * 3 + (year - 23);
    (k < PAPERS && paper(k) == id).then_some(k)
}

/// The spec of varied model `n` of a Hub of `models` models, whose id is `id`.
fn varied_spec(n: usize, models: usize, id: &str) -> Spec {
    let family = &FAMILIES[n % FAMILIES.len()];
    let (_, pipeline, family_base, _, library) = *family;
    let mut draw = Draws { id, salt: 0 };
    let low_info = n % 7 == 6;
    let keywords: Vec<String> = draw.some(1, 6, KEYWORDS).map(keyword).collect();
    let datasets: Vec<String> = draw.some(0, 3, DATASETS).map(dataset).collect();
    let papers: Vec<String> = draw.some(0, 2, PAPERS).map(paper).collect();
    let languages: Vec<&str> = draw
        .some(1, 3, LANGUAGES.len())
        .map(|k| LANGUAGES[k])
        .collect();
    let license = LICENSES[draw.popular(LICENSES.len())];
    // Parents: none for 3 in 10; otherwise an older synthetic model (listed later), or the
    // family's base when there is none older; a merge has two.
    let parents = match draw.between(0, 9) {
        0..=2 => 0,
        9 => 2,
        _ => 1,
    };
    let relation = if parents == 2 {
        "merge"
    } else {
        RELATIONS[draw.between(0, 2)]
    };
    let mut base: Vec<String> = Vec::new();
    for _ in 0..parents {
        let older = n + 1 + draw.between(0, 999);
        let parent = if older < models && draw.between(0, 4) > 0 {
            super::generate::synthetic_id(older)
        } else {
            family_base.to_owned()
        };
        if !base.contains(&parent) {
            base.push(parent);
        }
    }
    let mut s = spec(id, (!low_info).then_some(pipeline))
        .library(library)
        .license(license)
        .languages(&languages)
        .datasets(&datasets)
        .arxiv(&papers)
        .keywords(&keywords);
    if !base.is_empty() {
        s = s.base(&base, relation);
    }
    if low_info {
        s.card(CardKind::Template)
    } else {
        s
    }
}

/// The model info body of varied model `n` of a Hub of `models` models.
pub(crate) fn varied_model(n: usize, models: usize) -> Map<String, Value> {
    let id = super::generate::synthetic_id(n);
    model_body(&varied_spec(n, models, &id), n).0
}

/// The card of varied model `n` of a Hub of `models` models, if it has one.
pub(crate) fn varied_card(n: usize, models: usize) -> Option<String> {
    let id = super::generate::synthetic_id(n);
    let s = varied_spec(n, models, &id);
    let (license_name, license_link) = license_of(&s);
    model_card(&s, license_name, license_link.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn ids_of_the_vocabularies_round_trip() {
        for k in [0, 1, 35, 36, 2_999, 3_000, DATASETS - 1] {
            assert_eq!(dataset_number(&dataset(k)), Some(k), "{}", dataset(k));
        }
        assert_eq!(dataset_number(&dataset(DATASETS)), None);
        assert_eq!(dataset_number("syn-data-1/set-2"), None, "wrong owner");
        for k in [0, 1, 2, 3, 35, 36, 12_345, PAPERS - 1] {
            let id = paper(k);
            assert!(crate::arxiv::well_formed(&id), "{id}");
            assert_eq!(paper_number(&id), Some(k), "{id}");
        }
        assert_eq!(paper_number(&paper(PAPERS)), None);
        assert_eq!(paper_number("2213.00001"), None);
    }

    #[test]
    fn models_draw_their_own_lists_and_the_same_ones_again() {
        let models = 20_000;
        let mut keyword_lists = BTreeSet::new();
        let mut datasets = BTreeSet::new();
        let mut keywords = BTreeSet::new();
        for n in 0..models {
            let body = varied_model(n, models);
            let tags: Vec<String> = body["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_owned())
                .collect();
            let mine: Vec<&String> = tags.iter().filter(|t| t.starts_with("topic-")).collect();
            assert!((1..=6).contains(&mine.len()), "model {n}: {tags:?}");
            keywords.extend(mine.iter().map(|t| (*t).clone()));
            keyword_lists.insert(mine.iter().map(|t| (*t).clone()).collect::<Vec<_>>());
            datasets.extend(tags.iter().filter(|t| t.starts_with("dataset:")).cloned());
        }
        // Nearly every model its own keyword list; thousands of distinct entities.
        assert!(
            keyword_lists.len() > models * 9 / 10,
            "{}",
            keyword_lists.len()
        );
        assert!(keywords.len() > 10_000, "{}", keywords.len());
        assert!(datasets.len() > 5_000, "{}", datasets.len());
        // The same Hub twice.
        assert_eq!(varied_model(7, models), varied_model(7, models));
        assert_eq!(varied_card(8, models), varied_card(8, models));
    }

    #[test]
    fn parents_are_older_synthetic_models_or_the_family_base() {
        let models = 10_000;
        let mut older = 0;
        for n in 0..models {
            let body = varied_model(n, models);
            let Some(base) = body.get("baseModels") else {
                continue;
            };
            for parent in base["models"].as_array().unwrap() {
                let parent = parent["id"].as_str().unwrap();
                if let Some(m) = parent
                    .strip_prefix("syn/")
                    .and_then(|p| p.rsplit_once('-'))
                    .and_then(|(_, m)| m.parse::<usize>().ok())
                {
                    assert!(m > n && m < models, "{n} <- {parent}");
                    older += 1;
                } else {
                    assert!(FAMILIES.iter().any(|f| f.2 == parent), "{parent}");
                }
            }
        }
        assert!(older > models / 3, "{older}");
    }
}
