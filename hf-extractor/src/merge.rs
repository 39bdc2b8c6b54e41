//! Combining the shards of a run folder into the run folder's own files.
//!
//! [`HfExtractor::merge_shards`] reads `<run folder>/shards/<KK-of-NN>/` for every shard of one
//! count N and writes each per-model asset's file into the run folder, with the rules of a
//! single run:
//!
//! - lists of records (`hf_models_with_ancestors.json`, the entity files) are the union of the
//!   shards' records by id, sorted by id; a record two shards both wrote (a parent two shards
//!   read, a dataset two shards' models cite) is kept once, the one that was read
//!   (`enriched: true`) when one was; a dataset record lists the legacy ids any shard saw it
//!   named by (`aliases`);
//! - the `hf_identified_<kind>` maps, `readme_languages.json` and `chunks_citation.json` are the
//!   union of the shards' maps (each model is in one shard; a parent read by two shards has the
//!   same values in both);
//! - `licenses.json`, `hf_base_models.json` and `sharedby.json` are computed again from the
//!   merged files, as a single run computes them (the first `license_name` of an id in model
//!   order; whether a base model was read by any shard; how many models each sharer shares);
//! - records are copied verbatim, so the merged files equal an unsharded run's byte for byte
//!   (the shards stamp the run's start from its `run.json`, not their own clock).
//!
//! `run.json` is rewritten: the listing's assets, the merged assets (counts of the merged files,
//! requests summed over the shards), every failure once, HTTP figures summed over the listing
//! and the shards.
//!
//! A shard's `run.json` describes its latest run. After a shard recomputed only some assets
//! (a subset from its earlier files), the merge still merges every file, but the failures and
//! lineage stubs of the stages that shard did not run again are not in its manifest: then
//! `hf_base_models.json` is the union of the shards' files rather than computed again, and the
//! merged `run.json` lists only the failures the shards' latest runs saw.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use hf_enrich::identify::IdentifiedRun;
use hf_enrich::lineage::{BaseModelStub, Lineage, ModelKey};
use hf_enrich::records::ModelRecord;
use hf_enrich::sharedby::{SharedByRef, sharedby_entities};
use hf_enrich::source::{SourceError, SourceErrorKind};
use hf_identifiers::RunIdentified;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::assets::{Asset, Kind, graph};
use crate::error::{Error, Result};
use crate::manifest::{AssetReport, FailureReport, MANIFEST_FILE, RunManifest};
use crate::pipeline::{BaseModelRecords, HfExtractor, RunOutcome, elapsed_ms, load_identified_map};
use crate::shard::{SHARDS_DIR, Shard, is_sharded};
use crate::store::json_read::read_json;
use crate::store::json_stream::file_sha256;
use crate::store::json_stream::to_json;
use crate::store::run_folder::RunFolder;

/// The shards of a run folder: every `shards/<KK-of-NN>/` folder, all of one count N, none
/// missing.
pub fn shards_of(run_folder: &Path) -> Result<Vec<(Shard, PathBuf)>> {
    let dir = run_folder.join(SHARDS_DIR);
    let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut shards = BTreeMap::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(&dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.path().is_dir() {
            continue;
        }
        let shard: Shard = name.parse().map_err(|_| Error::Config {
            variable: dir.display().to_string(),
            value: name.clone(),
            reason: "not a shard folder (KK-of-NN)".into(),
        })?;
        shards.insert(shard, entry.path());
    }
    let counts: BTreeSet<u32> = shards.keys().map(Shard::count).collect();
    let [count] = counts.into_iter().collect::<Vec<_>>()[..] else {
        return Err(Error::Config {
            variable: dir.display().to_string(),
            value: shards
                .keys()
                .map(Shard::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            reason: "expected the shards of exactly one count N".into(),
        });
    };
    if let Some(missing) = Shard::all(count).find(|s| !shards.contains_key(s)) {
        return Err(Error::io(
            dir.join(missing.to_string()),
            std::io::Error::new(std::io::ErrorKind::NotFound, "shard missing: run it first"),
        ));
    }
    Ok(shards.into_iter().collect())
}

/// Whether an asset named in a manifest is computed per shard (a name the graph does not know
/// is taken as one: it is not the listing's).
fn sharded_name(name: &str) -> bool {
    name.parse::<Asset>().map_or(true, is_sharded)
}

/// What the merge reads of each record: its id (`id`, else `modelId`, else — the catalog
/// source's only one — `mlentory_id`) and whether it was read.
#[derive(Deserialize)]
struct RecordKey {
    #[serde(default)]
    id: Option<String>,
    #[serde(default, rename = "modelId")]
    model_id: Option<String>,
    #[serde(default)]
    mlentory_id: Option<String>,
    #[serde(default)]
    enriched: Option<bool>,
}

/// The union of the shards' lists by id, sorted by id; of two records with one id, the one read.
fn merge_lists(paths: &[PathBuf]) -> Result<Vec<Box<RawValue>>> {
    let mut merged: BTreeMap<String, (bool, Box<RawValue>)> = BTreeMap::new();
    for path in paths {
        let records: Vec<Box<RawValue>> = read_json(path)?;
        for record in records {
            let key: RecordKey =
                serde_json::from_str(record.get()).map_err(|source| Error::Json {
                    path: path.clone(),
                    source,
                })?;
            let Some(id) = key.id.or(key.model_id).or(key.mlentory_id) else {
                return Err(Error::Config {
                    variable: path.display().to_string(),
                    value: record.get().chars().take(80).collect(),
                    reason: "a record without an id".into(),
                });
            };
            let enriched = key.enriched.unwrap_or(true);
            match merged.get(&id) {
                Some((true, _)) => {}
                Some((false, _)) if !enriched => {}
                _ => {
                    merged.insert(id, (enriched, record));
                }
            }
        }
    }
    Ok(merged.into_values().map(|(_, r)| r).collect())
}

/// What the merge reads of a dataset record beyond [`RecordKey`]: the legacy ids it was named by.
#[derive(Deserialize)]
struct DatasetAliases {
    id: String,
    #[serde(default)]
    aliases: BTreeSet<String>,
}

/// The shards' dataset records merged as [`merge_lists`] merges lists, each with the legacy ids
/// any shard saw it named by (a shard lists only those of its own models), as a single run
/// lists them.
fn merge_dataset_lists(paths: &[PathBuf]) -> Result<Vec<serde_json::Value>> {
    let mut aliases: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in paths {
        let records: Vec<DatasetAliases> = read_json(path)?;
        for r in records {
            aliases.entry(r.id).or_default().extend(r.aliases);
        }
    }
    merge_lists(paths)?
        .iter()
        .map(|raw| {
            let mut record: serde_json::Value =
                serde_json::from_str(raw.get()).map_err(|source| Error::Json {
                    path: paths.first().cloned().unwrap_or_default(),
                    source,
                })?;
            let id = record["id"].as_str().unwrap_or_default();
            if let Some(names) = aliases.get(id).filter(|names| !names.is_empty())
                && let Some(fields) = record.as_object_mut()
            {
                fields.insert("aliases".into(), names.iter().map(String::as_str).collect());
            }
            Ok(record)
        })
        .collect()
}

/// The union of the shards' `{model id: references}` maps.
fn merge_maps(paths: &[PathBuf]) -> Result<BTreeMap<String, Box<RawValue>>> {
    let mut merged = BTreeMap::new();
    for path in paths {
        let map: BTreeMap<String, Box<RawValue>> = read_json(path)?;
        for (id, refs) in map {
            merged.entry(id).or_insert(refs);
        }
    }
    Ok(merged)
}

impl HfExtractor {
    /// Merge the shards of `run_folder` (see the [module](crate::merge)) into its own files and
    /// rewrite its `run.json`.
    pub async fn merge_shards(&self, run_folder: &Path) -> Result<RunOutcome> {
        let folder = RunFolder::open(run_folder)?;
        let manifest_path = folder.path().join(MANIFEST_FILE);
        let listing: RunManifest = read_json(&manifest_path)?;
        let shards = shards_of(folder.path())?;
        let manifests: Vec<RunManifest> = shards
            .iter()
            .map(|(_, dir)| read_json(&dir.join(MANIFEST_FILE)))
            .collect::<Result<_>>()?;
        tracing::info!(folder = %folder.path().display(), shards = shards.len(), "merging shards");

        let mut failures: BTreeSet<FailureReport> = listing
            .failures
            .iter()
            .filter(|f| !sharded_name(&f.asset))
            .cloned()
            .collect();
        failures.extend(
            manifests
                .iter()
                .flat_map(|m| &m.failures)
                .filter(|f| sharded_name(&f.asset))
                .cloned(),
        );
        let mut reports: Vec<AssetReport> = listing
            .assets
            .iter()
            .filter(|a| !sharded_name(&a.name))
            .cloned()
            .collect();
        let mut identified = RunIdentified::default();
        let mut merged_kinds: BTreeSet<Kind> = BTreeSet::new();
        let mut models: Option<Vec<ModelRecord>> = None;
        let mut sharedby: BTreeMap<String, Vec<SharedByRef>> = BTreeMap::new();
        for asset in graph().into_iter().filter(|a| is_sharded(*a)) {
            let Some(file) = asset.file() else {
                continue;
            };
            let paths: Vec<PathBuf> = shards.iter().map(|(_, dir)| dir.join(file)).collect();
            let present = paths.iter().filter(|p| p.is_file()).count();
            if present == 0 {
                continue;
            }
            if let Some(missing) = paths.iter().find(|p| !p.is_file()) {
                return Err(Error::io(
                    missing,
                    std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!("{asset} is in some shards but not this one"),
                    ),
                ));
            }
            let t = Instant::now();
            let name = asset.name();
            // Computed again from the merged files, as a single run computes them, when the
            // shards computed their inputs (their manifests list the lineage's stubs).
            let recompute = match asset {
                Asset::Enriched(Kind::Licenses) => merged_kinds.contains(&Kind::Licenses),
                Asset::Enriched(Kind::SharedBy) => merged_kinds.contains(&Kind::SharedBy),
                Asset::Enriched(Kind::BaseModels) => {
                    merged_kinds.contains(&Kind::BaseModels)
                        && models.is_some()
                        && manifests.iter().all(|m| {
                            m.assets.iter().any(|a| {
                                a.name == Asset::AncestorModels.name() && a.loaded_from.is_none()
                            })
                        })
                }
                _ => false,
            };
            let (path, count, unread) = if recompute && asset == Asset::Enriched(Kind::Licenses) {
                let run = IdentifiedRun::from_refs(identified.clone());
                let entities = self.enrichment(&listing.started_at).licenses(&run).await;
                let path = folder.write_json(file, &to_json(&entities)?)?;
                (path, entities.len(), 0)
            } else if recompute && asset == Asset::Enriched(Kind::BaseModels) {
                let run = IdentifiedRun::from_refs(identified.clone());
                let fetched: Vec<_> = models
                    .iter()
                    .flatten()
                    .map(|record| ModelKey::of(&record.to_fetched_model()))
                    .collect();
                let lineage = Lineage {
                    stubs: stubs(&failures),
                    ..Lineage::default()
                };
                let records = BaseModelRecords::new(
                    run.ids.base_models,
                    &fetched,
                    Some(&lineage),
                    &listing.started_at,
                );
                let unread = records.unread();
                let entities: Vec<_> = records.entities().collect();
                let path = folder.write_json(file, &to_json(&entities)?)?;
                (path, entities.len(), unread)
            } else if recompute {
                // hf_enriched_sharedby: how many models each sharer shares, over all shards.
                let entities = sharedby_entities(&sharedby, &listing.started_at);
                let path = folder.write_json(file, &to_json(&entities)?)?;
                (path, entities.len(), 0)
            } else if asset.maps_models() {
                let map = merge_maps(&paths)?;
                let path = folder.write_json(file, &map)?;
                match asset {
                    Asset::Identified(Kind::SharedBy) => {
                        sharedby = read_json(&path)?;
                        merged_kinds.insert(Kind::SharedBy);
                    }
                    Asset::Identified(kind) => {
                        if let Some(entity) = kind.entity() {
                            load_identified_map(&mut identified, entity, &path)?;
                        }
                        merged_kinds.insert(kind);
                    }
                    _ => {}
                }
                (path, map.len(), 0)
            } else if asset == Asset::Enriched(Kind::Datasets) {
                let list = merge_dataset_lists(&paths)?;
                let path = folder.write_json(file, &list)?;
                (path, list.len(), 0)
            } else {
                let list = merge_lists(&paths)?;
                let path = folder.write_json(file, &list)?;
                if asset == Asset::AncestorModels {
                    models = Some(read_json(&path)?);
                }
                let unread = if asset == Asset::Enriched(Kind::BaseModels) {
                    list.iter()
                        .filter(|r| {
                            serde_json::from_str::<RecordKey>(r.get())
                                .is_ok_and(|k| k.enriched == Some(false))
                        })
                        .count()
                } else {
                    0
                };
                (path, list.len(), unread)
            };
            let failed = if asset == Asset::Enriched(Kind::BaseModels) {
                unread
            } else {
                failures.iter().filter(|f| f.asset == name).count()
            };
            let shard_reports = manifests.iter().filter_map(|m| {
                m.assets
                    .iter()
                    .find(|a| a.name == name && a.loaded_from.is_none())
            });
            let report = AssetReport {
                name: name.to_owned(),
                file: asset.file().map(str::to_owned),
                count: count as u64,
                failures: failed as u64,
                requests: shard_reports.clone().map(|a| a.requests).sum(),
                sha256: Some(file_sha256(&path)?),
                loaded_from: None,
                duration_ms: shard_reports.map(|a| a.duration_ms).max().unwrap_or(0)
                    + elapsed_ms(t),
            };
            tracing::info!(asset = %name, count, "shards merged");
            reports.push(report);
        }

        let mut http = listing.http.clone();
        for m in &manifests {
            http.requests += m.http.requests;
            http.retries += m.http.retries;
            http.rate_limited += m.http.rate_limited;
            http.rate_limit_pauses += m.http.rate_limit_pauses;
            http.redirects += m.http.redirects;
            for (host, n) in &m.http.requests_per_host {
                *http.requests_per_host.entry(host.clone()).or_default() += n;
            }
            for (bucket, n) in &m.http.requests_per_bucket {
                *http.requests_per_bucket.entry(bucket.clone()).or_default() += n;
            }
        }
        if listing.models.merged > 0 {
            http.requests_per_model = http.requests as f64 / listing.models.merged as f64;
        }
        let mut selection = listing.selection.clone();
        for r in &reports {
            if !selection.contains(&r.name) {
                selection.push(r.name.clone());
            }
        }
        let manifest = RunManifest {
            finished_at: jiff::Timestamp::now().to_string(),
            selection,
            assets: reports,
            http,
            failures: failures.into_iter().collect(),
            ..listing
        };
        folder.write_json(MANIFEST_FILE, &manifest)?;
        Ok(RunOutcome { folder, manifest })
    }
}

/// The lineage's stubs, as the shards' manifests list them (a parent that could not be read).
fn stubs(failures: &BTreeSet<FailureReport>) -> Vec<BaseModelStub> {
    let mut seen = BTreeSet::new();
    failures
        .iter()
        .filter(|f| f.asset == Asset::AncestorModels.name() && seen.insert(f.id.clone()))
        .map(|f| BaseModelStub {
            id: f.id.clone(),
            enriched: false,
            reason: f.error.clone(),
            status: f.status,
            error: SourceError::new(SourceErrorKind::Invalid, f.error.clone()),
            referenced_by: Vec::new(),
        })
        .collect()
}
