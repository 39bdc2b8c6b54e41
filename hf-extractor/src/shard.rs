//! Shards: the per-model stages of one run split over N processes.
//!
//! A model belongs to shard `K` of `N` when the first 8 bytes of the SHA-256 of its canonical
//! id (ASCII-lowercased, as the Hub compares ids), read as a big-endian integer, are `K` mod `N`:
//! the same in every process, on every machine, in every version (never a per-process hasher).
//!
//! The listing (`hf_run_folder`, `hf_raw_models_*`) is not sharded: it runs once and creates the
//! run folder. Each shard then computes the per-model stages (`hf_add_ancestor_models`,
//! `hf_identified_*`, `hf_enriched_*`) for its models into
//! `<run folder>/shards/<KK-of-NN>/`, and [`crate::HfExtractor::merge_shards`] combines the
//! shards into the run folder's own files, equal byte for byte to an unsharded run's.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::assets::{Asset, graph};
use crate::error::{Error, Result};
use crate::manifest::{AssetReport, MANIFEST_FILE, RunManifest};
use crate::store::run_folder::RunFolder;

/// The folder of the run folder holding one subfolder per shard.
pub const SHARDS_DIR: &str = "shards";

/// The environment variable naming a shard (`K/N`).
pub const SHARD_VARIABLE: &str = "HF_SHARD";

/// Shard `index` of `count`.
///
/// ```
/// use hf_extractor::shard::Shard;
///
/// let shard: Shard = "3/16".parse()?;
/// assert_eq!(shard, "03-of-16".parse()?); // a Dagster partition key
/// assert_eq!(shard.to_string(), "03-of-16");
/// let owners: Vec<u32> = (0..16)
///     .filter(|k| Shard::new(*k, 16).unwrap().contains("openai-community/gpt2"))
///     .collect();
/// assert_eq!(owners.len(), 1); // every model in exactly one shard
/// # Ok::<(), hf_extractor::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shard {
    index: u32,
    count: u32,
}

impl Shard {
    /// Shard `index` of `count`; an error unless `index < count`.
    pub fn new(index: u32, count: u32) -> Result<Self, Error> {
        if index >= count {
            return Err(shard_error(
                &format!("{index}/{count}"),
                "K must be below N (shards are numbered 0 to N-1)",
            ));
        }
        Ok(Self { index, count })
    }

    /// The shard's number, from 0.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// How many shards there are.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Whether the model `id` (its canonical id) belongs to this shard.
    pub fn contains(&self, id: &str) -> bool {
        shard_of(id, self.count) == self.index
    }

    /// Every shard of `count`.
    pub fn all(count: u32) -> impl Iterator<Item = Shard> {
        (0..count).map(move |index| Shard { index, count })
    }
}

/// The shard (of `count`) model `id` belongs to.
pub fn shard_of(id: &str, count: u32) -> u32 {
    let digest = Sha256::digest(id.to_ascii_lowercase().as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % u64::from(count.max(1))) as u32
}

/// The assets of the listing, computed once per run: everything else is per model, sharded.
pub const UNSHARDED: [Asset; 4] = [
    Asset::RunFolder,
    Asset::RawModelsLatest,
    Asset::RawModelsFromFile,
    Asset::RawModels,
];

/// Whether `asset` is computed per shard.
pub fn is_sharded(asset: Asset) -> bool {
    !UNSHARDED.contains(&asset)
}

/// One shard's part of an existing run folder, whose listing (`hf_raw_models`) is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardRun {
    /// The run folder the listing created.
    pub run_folder: PathBuf,
    /// The shard.
    pub shard: Shard,
}

/// A shard run checked and ready: its folders, the run's start and the selection.
#[derive(Debug, Clone)]
pub(crate) struct PreparedShard {
    pub(crate) shard: Shard,
    pub(crate) run_folder: RunFolder,
    /// `<run folder>/shards/<shard>/`, where its files go.
    pub(crate) folder: RunFolder,
    /// The run's start, from the run folder's `run.json`.
    pub(crate) started: jiff::Timestamp,
    /// The per-model assets selected (all of them when the selection is empty).
    pub(crate) selection: Vec<Asset>,
}

impl ShardRun {
    /// A shard run of `run_folder`.
    pub fn new(run_folder: impl Into<PathBuf>, shard: Shard) -> Self {
        Self {
            run_folder: run_folder.into(),
            shard,
        }
    }

    /// The folder the shard writes to: `<run folder>/shards/<KK-of-NN>/`.
    pub fn folder(&self) -> PathBuf {
        self.run_folder
            .join(SHARDS_DIR)
            .join(self.shard.to_string())
    }

    /// Check the run folder and the selection; create the shard's folder.
    pub(crate) fn prepare(&self, selection: &[Asset], with_from: bool) -> Result<PreparedShard> {
        if with_from {
            return Err(shard_error(
                &self.shard.to_string(),
                "a shard reads the listing of its run folder; --from does not apply",
            ));
        }
        let run_folder = RunFolder::open(&self.run_folder)?;
        let manifest_path = run_folder.path().join(MANIFEST_FILE);
        let text =
            std::fs::read_to_string(&manifest_path).map_err(|e| Error::io(&manifest_path, e))?;
        let manifest: RunManifest = serde_json::from_str(&text).map_err(|source| Error::Json {
            path: manifest_path.clone(),
            source,
        })?;
        let started = manifest.started_at.parse().map_err(|e| Error::Config {
            variable: manifest_path.display().to_string(),
            value: manifest.started_at.clone(),
            reason: format!("started_at is not a timestamp: {e}"),
        })?;
        if let Some(listing) = selection.iter().find(|a| !is_sharded(**a)) {
            return Err(shard_error(
                &self.shard.to_string(),
                &format!(
                    "{listing} is not sharded: run the listing ({}) once, without a shard",
                    UNSHARDED.map(Asset::name).join(", ")
                ),
            ));
        }
        let selection = if selection.is_empty() {
            graph().into_iter().filter(|a| is_sharded(*a)).collect()
        } else {
            selection.to_vec()
        };
        let folder = self.folder();
        std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
        Ok(PreparedShard {
            shard: self.shard,
            run_folder,
            folder: RunFolder::open(folder)?,
            started,
            selection,
        })
    }
}

impl PreparedShard {
    /// Where `asset` is loaded from when not computed: the listing from the run folder, the
    /// per-model stages from the shard's own folder (an earlier run of the same shard).
    pub(crate) fn source_of(&self, asset: Asset) -> Option<RunFolder> {
        let file = asset.file()?;
        let folder = if is_sharded(asset) {
            &self.folder
        } else {
            &self.run_folder
        };
        folder.records_file(file).map(|_| folder.clone())
    }
}

/// The asset graph as `hf-extract list-assets --json` prints it and `dagster/assets.json` holds
/// it: `[{"name", "deps", "file", "sharded", "group", "tags"}]`, in dependency order (the Dagster
/// group and tags of [`Asset::group`] and [`Asset::tags`]).
pub fn graph_json() -> serde_json::Value {
    graph()
        .into_iter()
        .map(|a| {
            serde_json::json!({
                "name": a.name(),
                "deps": a.deps().into_iter().map(Asset::name).collect::<Vec<_>>(),
                "file": a.file(),
                "sharded": is_sharded(a),
                "group": a.group(),
                "tags": a.tags().iter().copied().collect::<std::collections::BTreeMap<_, _>>(),
            })
        })
        .collect()
}

/// The data version of the sharded assets of a merged run (those of `assets`, a manifest's,
/// that [are sharded](is_sharded)): the SHA-256, as lowercase hex, of their files' SHA-256 one
/// per line, in the manifest's order — what an orchestrator is told the merged assets' version
/// is.
pub fn merged_data_version(assets: &[AssetReport]) -> String {
    let checksums: Vec<&str> = assets
        .iter()
        .filter(|a| a.name.parse().is_ok_and(is_sharded))
        .filter_map(|a| a.sha256.as_deref())
        .collect();
    sha256_hex(checksums.join("\n").as_bytes())
}

/// The SHA-256 of `bytes`, as lowercase hex.
fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn shard_error(value: &str, reason: &str) -> Error {
    Error::Config {
        variable: format!("--shard / {SHARD_VARIABLE} / partition key"),
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

impl FromStr for Shard {
    type Err = Error;

    /// `K/N` or a partition key `KK-of-NN`.
    fn from_str(s: &str) -> Result<Self, Error> {
        let text = s.trim();
        let (k, n) = text
            .split_once('/')
            .or_else(|| text.split_once("-of-"))
            .ok_or_else(|| {
                shard_error(s, "expected K/N (e.g. 3/16) or KK-of-NN (e.g. 03-of-16)")
            })?;
        let number = |part: &str| {
            part.parse::<u32>()
                .map_err(|_| shard_error(s, &format!("{part:?} is not a number")))
        };
        let (index, count) = (number(k)?, number(n)?);
        if count == 0 {
            return Err(shard_error(s, "N must be at least 1"));
        }
        Self::new(index, count).map_err(|_| shard_error(s, "K must be below N"))
    }
}

impl fmt::Display for Shard {
    /// The partition key and folder name: `KK-of-NN`, both zero-padded to at least two digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.count.to_string().len().max(2);
        write!(f, "{:0width$}-of-{:0width$}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_merged_data_version_hashes_the_sharded_files_checksums_in_order() {
        let report = |asset: Asset, sha: &str| AssetReport {
            name: asset.name().to_owned(),
            sha256: Some(sha.to_owned()),
            ..AssetReport::default()
        };
        let assets = [
            report(Asset::RawModels, "raw"),
            report(Asset::AncestorModels, "aa"),
            AssetReport {
                sha256: None,
                ..report(Asset::ReadmeLanguages, "")
            },
            report(Asset::Enriched(crate::assets::Kind::Datasets), "bb"),
        ];
        let version = merged_data_version(&assets);
        assert_eq!(version, sha256_hex(b"aa\nbb"));
        assert_eq!(version.len(), 64);
        assert_ne!(version, merged_data_version(&assets[..2]));
    }

    #[test]
    fn shards_parse_from_flags_variables_and_partition_keys() {
        let cases = [
            ("0/1", (0, 1), "00-of-01"),
            ("3/16", (3, 16), "03-of-16"),
            ("03-of-16", (3, 16), "03-of-16"),
            (" 1/2 ", (1, 2), "01-of-02"),
            ("7/128", (7, 128), "007-of-128"),
        ];
        for (text, (k, n), key) in cases {
            let shard: Shard = text.parse().unwrap();
            assert_eq!((shard.index(), shard.count()), (k, n), "{text}");
            assert_eq!(shard.to_string(), key);
            assert_eq!(key.parse::<Shard>().unwrap(), shard);
        }
        for bad in ["", "3", "16/16", "3/0", "a/2", "1/b", "-1/2", "1..2"] {
            let err = bad.parse::<Shard>().unwrap_err().to_string();
            assert!(
                err.contains(bad.trim()) && err.contains("HF_SHARD"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn membership_is_stable_and_case_blind() {
        // Pinned values: any change here would reshuffle every sharded run.
        assert_eq!(
            shard_of("openai-community/gpt2", 16),
            shard_of("OpenAI-Community/GPT2", 16)
        );
        let pinned: Vec<u32> = ["bert-base-uncased", "openai-community/gpt2", "a/b", "x"]
            .iter()
            .map(|id| shard_of(id, 1000))
            .collect();
        let again: Vec<u32> = ["bert-base-uncased", "openai-community/gpt2", "a/b", "x"]
            .iter()
            .map(|id| {
                let d = Sha256::digest(id.as_bytes());
                (u64::from_be_bytes(d[..8].try_into().unwrap()) % 1000) as u32
            })
            .collect();
        assert_eq!(pinned, again);
        assert_eq!(shard_of("anything", 1), 0);
    }

    #[test]
    fn every_id_is_in_exactly_one_shard_and_shards_are_balanced() {
        let ids: Vec<String> = (0..4000)
            .map(|i| format!("org{}/model-{i}", i % 37))
            .collect();
        let mut sizes = [0usize; 4];
        for id in &ids {
            let owners: Vec<Shard> = Shard::all(4).filter(|s| s.contains(id)).collect();
            assert_eq!(owners.len(), 1, "{id}");
            sizes[owners[0].index() as usize] += 1;
        }
        assert!(sizes.iter().all(|&n| n > 850 && n < 1150), "{sizes:?}");
    }
}
