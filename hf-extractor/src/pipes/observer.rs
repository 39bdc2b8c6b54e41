//! The run observer that reports assets to Dagster, and the selection Dagster asks for.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{MetadataValue, Pipes, PipesContext, PipesError};
use crate::assets::{Asset, graph};
use crate::manifest::AssetReport;
use crate::observer::RunObserver;
use crate::shard::SHARDS_DIR;

/// The assets the context selects: each of our asset names with the key Dagster knows it by.
///
/// Keys are matched by their last component, so users' key prefixes work (`raw/hf_raw_models`
/// is `hf_raw_models`); a literal `/` in a component is written `\/`.
///
/// ```
/// use hf_extractor::pipes::{PipesContext, PipesSelection};
///
/// let context = PipesContext {
///     asset_keys: Some(vec!["hf/hf_raw_models".into(), "hf/hf_enriched_tasks".into()]),
///     ..PipesContext::default()
/// };
/// let selection = PipesSelection::from_context(&context)?.unwrap();
/// assert_eq!(selection.names(), ["hf_raw_models", "hf_enriched_tasks"]); // dependency order
/// let tasks = "hf_enriched_tasks".parse()?;
/// assert_eq!(selection.key(tasks), Some("hf/hf_enriched_tasks"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PipesSelection {
    keys: BTreeMap<Asset, String>,
}

impl PipesSelection {
    /// The selection of `context` (`None` when it names no asset keys: an op, not assets). An
    /// error names a key that is none of our assets.
    pub fn from_context(context: &PipesContext) -> Result<Option<Self>, PipesError> {
        let Some(keys) = &context.asset_keys else {
            return Ok(None);
        };
        let mut selection = Self::default();
        for key in keys {
            let name = last_component(key);
            let asset = name.parse::<Asset>().map_err(|_| PipesError::Params {
                variable: super::CONTEXT_VARIABLE.into(),
                reason: format!(
                    "asset key {key:?} (last component {name:?}) is not an asset of hf-extract (see `hf-extract list-assets`)"
                ),
            })?;
            selection.keys.insert(asset, key.clone());
        }
        Ok(Some(selection))
    }

    /// The selected assets, in dependency order.
    pub fn assets(&self) -> Vec<Asset> {
        graph()
            .into_iter()
            .filter(|a| self.keys.contains_key(a))
            .collect()
    }

    /// The selected assets' names, in dependency order.
    pub fn names(&self) -> Vec<&'static str> {
        self.assets().into_iter().map(Asset::name).collect()
    }

    /// The key Dagster knows `asset` by, if it is selected.
    pub fn key(&self, asset: Asset) -> Option<&str> {
        self.keys.get(&asset).map(String::as_str)
    }
}

/// The last component of a user key string: split at each `/` not escaped as `\/`.
fn last_component(key: &str) -> String {
    let mut last = String::new();
    let mut chars = key.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'/') => {
                chars.next();
                last.push('/');
            }
            '/' => last.clear(),
            c => last.push(c),
        }
    }
    last
}

/// Reports each selected asset to Dagster right after its file is written, exactly once, with
/// `count`, `failures`, `requests`, `path`, `run_folder` and the file's SHA-256 as data version.
/// Assets loaded from an earlier run are not reported; neither are assets outside the selection.
#[derive(Debug)]
pub struct PipesObserver {
    pipes: Arc<Pipes>,
    selection: PipesSelection,
    reported: Mutex<BTreeSet<String>>,
}

impl PipesObserver {
    /// An observer reporting `selection` through `pipes`.
    pub fn new(pipes: Arc<Pipes>, selection: PipesSelection) -> Self {
        Self {
            pipes,
            selection,
            reported: Mutex::new(BTreeSet::new()),
        }
    }

    /// The assets reported so far.
    pub fn reported(&self) -> BTreeSet<String> {
        self.reported.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// The run folder a written file (or the run folder itself) belongs to: a shard's files are in
/// `<run folder>/shards/<shard>/`.
fn run_folder_of(asset: Asset, path: &Path) -> PathBuf {
    if asset == Asset::RunFolder {
        return path.to_owned();
    }
    let parent = path.parent().unwrap_or(path);
    match parent.parent() {
        Some(shards) if shards.file_name().is_some_and(|n| n == SHARDS_DIR) => {
            shards.parent().unwrap_or(shards).to_owned()
        }
        _ => parent.to_owned(),
    }
}

impl RunObserver for PipesObserver {
    fn asset_done(&self, asset: Asset, report: &AssetReport, path: Option<&Path>) {
        if report.loaded_from.is_some() {
            return;
        }
        let (Some(key), Some(path)) = (self.selection.key(asset), path) else {
            return;
        };
        let Ok(mut reported) = self.reported.lock() else {
            return;
        };
        if !reported.insert(report.name.clone()) {
            return;
        }
        let int = |n: u64| MetadataValue::Int(i64::try_from(n).unwrap_or(i64::MAX));
        let metadata = [
            ("count", int(report.count)),
            ("failures", int(report.failures)),
            ("requests", int(report.requests)),
            ("path", MetadataValue::Path(path.display().to_string())),
            (
                "run_folder",
                MetadataValue::Path(run_folder_of(asset, path).display().to_string()),
            ),
        ];
        if let Err(e) =
            self.pipes
                .report_asset_materialization(key, &metadata, report.sha256.as_deref())
        {
            tracing::error!(asset = %report.name, "cannot report to Dagster: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_by_their_last_component() {
        let cases = [
            ("hf_raw_models", "hf_raw_models"),
            ("prefix/hf_raw_models", "hf_raw_models"),
            ("a/b/hf_raw_models", "hf_raw_models"),
            ("odd\\/name", "odd/name"),
            ("pre\\/fix/hf_enriched_tasks", "hf_enriched_tasks"),
            ("", ""),
        ];
        for (key, last) in cases {
            assert_eq!(last_component(key), last, "{key}");
        }
    }

    #[test]
    fn the_selection_is_in_dependency_order_and_rejects_unknown_keys() {
        // Dagster sorts the keys alphabetically.
        let context = PipesContext {
            asset_keys: Some(vec![
                "hf_enriched_datasets".into(),
                "hf_identified_datasets".into(),
                "x/hf_add_ancestor_models".into(),
            ]),
            ..PipesContext::default()
        };
        let selection = PipesSelection::from_context(&context).unwrap().unwrap();
        assert_eq!(
            selection.names(),
            [
                "hf_add_ancestor_models",
                "hf_identified_datasets",
                "hf_enriched_datasets"
            ]
        );
        let unknown = PipesContext {
            asset_keys: Some(vec!["prefix/hf_nothing".into()]),
            ..PipesContext::default()
        };
        let err = PipesSelection::from_context(&unknown).unwrap_err();
        assert!(err.to_string().contains("prefix/hf_nothing"), "{err}");
        assert_eq!(
            PipesSelection::from_context(&PipesContext::default()).unwrap(),
            None
        );
    }

    #[test]
    fn the_run_folder_of_a_shard_file_is_the_run_folder() {
        assert_eq!(
            run_folder_of(
                Asset::Identified(crate::assets::Kind::Tasks),
                Path::new("/o/run/shards/01-of-02/x.json")
            ),
            Path::new("/o/run")
        );
        assert_eq!(
            run_folder_of(Asset::RawModels, Path::new("/o/run/hf_models.json")),
            Path::new("/o/run")
        );
        assert_eq!(
            run_folder_of(Asset::RunFolder, Path::new("/o/run")),
            Path::new("/o/run")
        );
    }
}
