//! The run as a graph of assets ([`Asset`], with the entity [`Kind`] as a parameter), and
//! selections as orchestrator users write them.
//!
//! Everything about an asset — its name, file, dependencies, Dagster group and tags — is derived
//! from the enum, each by an exhaustive `match`: a new asset does not compile until it has them
//! all. Names are strings only at the edges (the CLI's `--select`, Dagster Pipes, the journal,
//! `run.json`), parsed once ([`str::parse`], [`select`]); an unknown name is an error listing the
//! known ones.
//!
//! | asset | depends on | writes |
//! |---|---|---|
//! | `hf_run_folder` | — | the run folder |
//! | `hf_raw_models_latest` | `hf_run_folder` | `hf_raw_models_latest.json` |
//! | `hf_raw_models_from_file` | `hf_run_folder` | `hf_raw_models_from_file.json` |
//! | `hf_raw_models` | both sources | `hf_models.json` |
//! | `hf_add_ancestor_models` | `hf_raw_models` | `hf_models_with_ancestors.json` |
//! | `hf_identified_<kind>` | `hf_add_ancestor_models` | `hf_identified_<kind>.json` |
//! | `hf_detected_readme_languages` | `hf_add_ancestor_models` | `readme_languages.json` |
//! | `hf_identified_chunk_citation` | `hf_add_ancestor_models` | `chunks_citation.json` |
//! | `hf_identified_modelcard_chunks` | `hf_add_ancestor_models` | `hf_modelcard_chunks.json` |
//! | `hf_enriched_<kind>` | `hf_identified_<kind>` (languages: and `hf_detected_readme_languages`) | the kind's entity file |
//! | `hf_raw_catalog_sources` | `hf_run_folder` | `sources.json` |
//!
//! for the eight kinds `datasets, articles, base_models, keywords, licenses, languages, tasks,
//! sharedby`. The last five rows are what the Python extractor's downstream reads besides the
//! entity files (see [`crate::downstream`]); their names are the ones its assets bind by key.
//! `hf_identified_chunk_citation` and `hf_identified_modelcard_chunks` are not identified maps of
//! a kind: `hf_identified_*` selects them too, as in the Python extractor.
//!
//! Selections ([`select`]): `name`; `+name` (and its direct upstream; `++name` two levels),
//! `*name` (all upstream); `name+`, `name++`, `name*` downstream likewise; globs
//! (`hf_enriched_*`); comma-separated lists of any of these.

use std::collections::{BTreeSet, VecDeque};
use std::fmt;
use std::str::FromStr;

use hf_identifiers::EntityKind;

use crate::error::{Error, Result};

/// The eight kinds of related entity (`sharedby`: the model's author or organisation), each with
/// an identified map and an entity file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Datasets (with Croissant).
    Datasets,
    /// arXiv papers and DOIs.
    Articles,
    /// Base models (the lineage's parents).
    BaseModels,
    /// Keywords (tags).
    Keywords,
    /// Licenses.
    Licenses,
    /// Languages.
    Languages,
    /// Tasks (pipeline tags).
    Tasks,
    /// Who shares the model (its author or organisation).
    SharedBy,
}

impl Kind {
    /// Every kind, in the run's order.
    pub const ALL: [Kind; 8] = [
        Kind::Datasets,
        Kind::Articles,
        Kind::BaseModels,
        Kind::Keywords,
        Kind::Licenses,
        Kind::Languages,
        Kind::Tasks,
        Kind::SharedBy,
    ];

    /// The kind's name in asset and file names (`datasets`, `base_models`, `sharedby`, …).
    pub fn as_str(self) -> &'static str {
        match self.entity() {
            Some(kind) => kind.as_str(),
            None => "sharedby",
        }
    }

    /// The identifiers' kind, for all but [`Kind::SharedBy`] (derived from the model's id, not
    /// identified in its metadata).
    pub fn entity(self) -> Option<EntityKind> {
        match self {
            Kind::Datasets => Some(EntityKind::Datasets),
            Kind::Articles => Some(EntityKind::Articles),
            Kind::BaseModels => Some(EntityKind::BaseModels),
            Kind::Keywords => Some(EntityKind::Keywords),
            Kind::Licenses => Some(EntityKind::Licenses),
            Kind::Languages => Some(EntityKind::Languages),
            Kind::Tasks => Some(EntityKind::Tasks),
            Kind::SharedBy => None,
        }
    }

    /// The file of the kind's entity records (the Python extractor's names).
    pub fn enriched_file(self) -> &'static str {
        match self {
            Kind::Datasets => "hf_datasets_specific.json",
            Kind::Articles => "arxiv_articles.json",
            Kind::BaseModels => "hf_base_models.json",
            Kind::Keywords => "keywords.json",
            Kind::Licenses => "licenses.json",
            Kind::Languages => "languages.json",
            Kind::Tasks => "tasks.json",
            Kind::SharedBy => "sharedby.json",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One asset of a run. Its name, file, dependencies, Dagster group and tags are derived from
/// it; the name is how orchestrators, the journal and `run.json` call it ([`Asset::name`],
/// parsed back with [`str::parse`]).
///
/// ```
/// use hf_extractor::assets::{Asset, Kind};
///
/// let asset: Asset = "hf_enriched_datasets".parse()?;
/// assert_eq!(asset, Asset::Enriched(Kind::Datasets));
/// assert_eq!(asset.file(), Some("hf_datasets_specific.json"));
/// assert_eq!(asset.deps(), [Asset::Identified(Kind::Datasets)]);
/// let unknown = "hf_enriched_nothing".parse::<Asset>().unwrap_err().to_string();
/// assert!(unknown.contains("hf_enriched_nothing") && unknown.contains("hf_enriched_tasks"));
/// # Ok::<(), hf_extractor::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Asset {
    /// `hf_run_folder`: the run folder itself (no file).
    RunFolder,
    /// `hf_raw_models_latest`: the latest models with their cards.
    RawModelsLatest,
    /// `hf_raw_models_from_file`: the models of the model-id file.
    RawModelsFromFile,
    /// `hf_raw_models`: both sources merged (`hf_models.json`).
    RawModels,
    /// `hf_add_ancestor_models`: the run's models and the parents read
    /// (`hf_models_with_ancestors.json`).
    AncestorModels,
    /// `hf_identified_<kind>`: the kind's `{model_id: [reference]}` map.
    Identified(Kind),
    /// `hf_detected_readme_languages`: the languages the READMEs are written in.
    ReadmeLanguages,
    /// `hf_identified_chunk_citation`: each model's citation section.
    ChunkCitation,
    /// `hf_identified_modelcard_chunks`: each model's card in chunks.
    ModelcardChunks,
    /// `hf_enriched_<kind>`: the kind's entity records.
    Enriched(Kind),
    /// `hf_raw_catalog_sources`: the catalog the models come from (`sources.json`).
    CatalogSources,
}

impl Asset {
    /// Every asset, in a dependency order (each after everything it depends on).
    pub const ALL: [Asset; 25] = [
        Asset::RunFolder,
        Asset::RawModelsLatest,
        Asset::RawModelsFromFile,
        Asset::RawModels,
        Asset::AncestorModels,
        Asset::Identified(Kind::Datasets),
        Asset::Identified(Kind::Articles),
        Asset::Identified(Kind::BaseModels),
        Asset::Identified(Kind::Keywords),
        Asset::Identified(Kind::Licenses),
        Asset::Identified(Kind::Languages),
        Asset::Identified(Kind::Tasks),
        Asset::Identified(Kind::SharedBy),
        Asset::ReadmeLanguages,
        Asset::ChunkCitation,
        Asset::ModelcardChunks,
        Asset::Enriched(Kind::Datasets),
        Asset::Enriched(Kind::Articles),
        Asset::Enriched(Kind::BaseModels),
        Asset::Enriched(Kind::Keywords),
        Asset::Enriched(Kind::Licenses),
        Asset::Enriched(Kind::Languages),
        Asset::Enriched(Kind::Tasks),
        Asset::Enriched(Kind::SharedBy),
        Asset::CatalogSources,
    ];

    /// The asset's name (the Python extractor's Dagster asset name).
    pub fn name(self) -> &'static str {
        match self {
            Asset::RunFolder => "hf_run_folder",
            Asset::RawModelsLatest => "hf_raw_models_latest",
            Asset::RawModelsFromFile => "hf_raw_models_from_file",
            Asset::RawModels => "hf_raw_models",
            Asset::AncestorModels => "hf_add_ancestor_models",
            Asset::Identified(kind) => match kind {
                Kind::Datasets => "hf_identified_datasets",
                Kind::Articles => "hf_identified_articles",
                Kind::BaseModels => "hf_identified_base_models",
                Kind::Keywords => "hf_identified_keywords",
                Kind::Licenses => "hf_identified_licenses",
                Kind::Languages => "hf_identified_languages",
                Kind::Tasks => "hf_identified_tasks",
                Kind::SharedBy => "hf_identified_sharedby",
            },
            Asset::ReadmeLanguages => "hf_detected_readme_languages",
            Asset::ChunkCitation => "hf_identified_chunk_citation",
            Asset::ModelcardChunks => "hf_identified_modelcard_chunks",
            Asset::Enriched(kind) => match kind {
                Kind::Datasets => "hf_enriched_datasets",
                Kind::Articles => "hf_enriched_articles",
                Kind::BaseModels => "hf_enriched_base_models",
                Kind::Keywords => "hf_enriched_keywords",
                Kind::Licenses => "hf_enriched_licenses",
                Kind::Languages => "hf_enriched_languages",
                Kind::Tasks => "hf_enriched_tasks",
                Kind::SharedBy => "hf_enriched_sharedby",
            },
            Asset::CatalogSources => "hf_raw_catalog_sources",
        }
    }

    /// Whether its file is an object mapping model ids to values (the identified maps, the
    /// README languages, the citation and card chunks) rather than an array of records.
    ///
    /// ```
    /// use hf_extractor::assets::{Asset, Kind};
    ///
    /// assert!(Asset::Identified(Kind::Licenses).maps_models());
    /// assert!(!Asset::RawModels.maps_models());
    /// ```
    pub fn maps_models(self) -> bool {
        match self {
            Asset::Identified(_)
            | Asset::ReadmeLanguages
            | Asset::ChunkCitation
            | Asset::ModelcardChunks => true,
            Asset::RunFolder
            | Asset::RawModelsLatest
            | Asset::RawModelsFromFile
            | Asset::RawModels
            | Asset::AncestorModels
            | Asset::Enriched(_)
            | Asset::CatalogSources => false,
        }
    }

    /// Whether its file is an array of model records (the records of `hf_models.json`).
    ///
    /// ```
    /// use hf_extractor::assets::{Asset, Kind};
    ///
    /// assert!(Asset::AncestorModels.holds_model_records());
    /// assert!(!Asset::Enriched(Kind::BaseModels).holds_model_records());
    /// ```
    pub fn holds_model_records(self) -> bool {
        match self {
            Asset::RawModelsLatest
            | Asset::RawModelsFromFile
            | Asset::RawModels
            | Asset::AncestorModels => true,
            Asset::RunFolder
            | Asset::Identified(_)
            | Asset::ReadmeLanguages
            | Asset::ChunkCitation
            | Asset::ModelcardChunks
            | Asset::Enriched(_)
            | Asset::CatalogSources => false,
        }
    }

    /// The file it writes in the run folder (none for [`Asset::RunFolder`]).
    pub fn file(self) -> Option<&'static str> {
        Some(match self {
            Asset::RunFolder => return None,
            Asset::RawModelsLatest => "hf_raw_models_latest.json",
            Asset::RawModelsFromFile => "hf_raw_models_from_file.json",
            Asset::RawModels => "hf_models.json",
            Asset::AncestorModels => "hf_models_with_ancestors.json",
            Asset::Identified(kind) => match kind {
                Kind::Datasets => "hf_identified_datasets.json",
                Kind::Articles => "hf_identified_articles.json",
                Kind::BaseModels => "hf_identified_base_models.json",
                Kind::Keywords => "hf_identified_keywords.json",
                Kind::Licenses => "hf_identified_licenses.json",
                Kind::Languages => "hf_identified_languages.json",
                Kind::Tasks => "hf_identified_tasks.json",
                Kind::SharedBy => "hf_identified_sharedby.json",
            },
            Asset::ReadmeLanguages => "readme_languages.json",
            Asset::ChunkCitation => "chunks_citation.json",
            Asset::ModelcardChunks => "hf_modelcard_chunks.json",
            Asset::Enriched(kind) => kind.enriched_file(),
            Asset::CatalogSources => "sources.json",
        })
    }

    /// The assets it needs.
    pub fn deps(self) -> Vec<Asset> {
        match self {
            Asset::RunFolder => Vec::new(),
            Asset::RawModelsLatest | Asset::RawModelsFromFile | Asset::CatalogSources => {
                vec![Asset::RunFolder]
            }
            Asset::RawModels => vec![Asset::RawModelsLatest, Asset::RawModelsFromFile],
            Asset::AncestorModels => vec![Asset::RawModels],
            Asset::Identified(_)
            | Asset::ReadmeLanguages
            | Asset::ChunkCitation
            | Asset::ModelcardChunks => vec![Asset::AncestorModels],
            Asset::Enriched(Kind::Languages) => {
                vec![Asset::Identified(Kind::Languages), Asset::ReadmeLanguages]
            }
            Asset::Enriched(kind) => vec![Asset::Identified(kind)],
        }
    }

    /// The Dagster group: [`LISTING_GROUP`] for the run folder, the raw model assets and the
    /// catalog source, else [`ENRICHMENT_GROUP`].
    ///
    /// ```
    /// use hf_extractor::assets::Asset;
    ///
    /// assert_eq!(Asset::CatalogSources.group(), "hf");
    /// assert_eq!(Asset::ChunkCitation.group(), "hf_enrichment");
    /// ```
    pub fn group(self) -> &'static str {
        match self {
            Asset::RunFolder
            | Asset::RawModelsLatest
            | Asset::RawModelsFromFile
            | Asset::RawModels
            | Asset::CatalogSources => LISTING_GROUP,
            Asset::AncestorModels
            | Asset::Identified(_)
            | Asset::ReadmeLanguages
            | Asset::ChunkCitation
            | Asset::ModelcardChunks
            | Asset::Enriched(_) => ENRICHMENT_GROUP,
        }
    }

    /// The Dagster tags ([`TAGS`], the same for every asset).
    pub fn tags(self) -> &'static [(&'static str, &'static str)] {
        &TAGS
    }
}

impl fmt::Display for Asset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Asset {
    type Err = Error;

    /// The asset of this name; an unknown name is an error naming it and the known ones.
    fn from_str(name: &str) -> Result<Self> {
        Asset::ALL
            .into_iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| Error::UnknownAsset {
                name: name.to_owned(),
                known: known_names(),
            })
    }
}

/// Written as its name (in the journal, `run.json`).
impl serde::Serialize for Asset {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Read from its name; an unknown name is an error naming it.
impl<'de> serde::Deserialize<'de> for Asset {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let name = std::borrow::Cow::<str>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// Every asset's name, comma-separated, for errors.
fn known_names() -> String {
    Asset::ALL.map(Asset::name).join(", ")
}

/// The Dagster group of the run folder, the catalog source and the raw model assets (the
/// Python extractor's, which its downstream selects by).
pub const LISTING_GROUP: &str = "hf";

/// The Dagster group of every asset from `hf_add_ancestor_models` on.
pub const ENRICHMENT_GROUP: &str = "hf_enrichment";

/// The Dagster tags of every asset, as the Python extractor's carry them (MLentory's Makefile
/// selects the extraction by `tag:"pipeline"="hf_etl",tag:"stage"="extract"`).
pub const TAGS: [(&str, &str); 2] = [("pipeline", "hf_etl"), ("stage", "extract")];

/// Every asset, in a dependency order (each after everything it depends on): [`Asset::ALL`].
pub fn graph() -> Vec<Asset> {
    Asset::ALL.to_vec()
}

/// The assets a selection picks, in dependency order.
///
/// ```
/// use hf_extractor::assets::{Asset, Kind, select};
///
/// assert_eq!(select("hf_raw_models")?, [Asset::RawModels]);
/// assert_eq!(
///     select("+hf_raw_models")?,
///     [Asset::RawModelsLatest, Asset::RawModelsFromFile, Asset::RawModels]
/// );
/// assert_eq!(select("hf_enriched_*")?.len(), 8);
/// assert_eq!(
///     select("hf_identified_tasks+, hf_run_folder")?,
///     [Asset::RunFolder, Asset::Identified(Kind::Tasks), Asset::Enriched(Kind::Tasks)]
/// );
/// assert!(select("hf_nothing").is_err());
/// # Ok::<(), hf_extractor::Error>(())
/// ```
pub fn select(selection: &str) -> Result<Vec<Asset>> {
    let mut picked = BTreeSet::new();
    for clause in selection
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let (up, core, down) = parse_clause(clause);
        let roots: Vec<Asset> = Asset::ALL
            .into_iter()
            .filter(|a| glob_match(core, a.name()))
            .collect();
        if roots.is_empty() {
            return Err(Error::Config {
                variable: "--select".into(),
                value: selection.into(),
                reason: format!(
                    "{core:?} matches no asset (see list-assets; known: {})",
                    known_names()
                ),
            });
        }
        for root in roots {
            picked.insert(root);
            walk(root, up, Direction::Up, &mut picked);
            walk(root, down, Direction::Down, &mut picked);
        }
    }
    if picked.is_empty() {
        return Err(Error::Config {
            variable: "--select".into(),
            value: selection.into(),
            reason: "the selection is empty".into(),
        });
    }
    Ok(in_graph_order(&picked))
}

/// The assets of `set`, in the graph's order.
fn in_graph_order(set: &BTreeSet<Asset>) -> Vec<Asset> {
    Asset::ALL.into_iter().filter(|a| set.contains(a)).collect()
}

/// The assets that must run to materialise `selected`: the selection plus every upstream asset
/// not `available` (e.g. loaded from an earlier run folder), in dependency order.
pub fn plan(selected: &[Asset], available: &BTreeSet<Asset>) -> Vec<Asset> {
    let mut needed: BTreeSet<Asset> = selected.iter().copied().collect();
    let mut queue: VecDeque<Asset> = selected.iter().copied().collect();
    while let Some(asset) = queue.pop_front() {
        for dep in asset.deps() {
            if !available.contains(&dep) && needed.insert(dep) {
                queue.push_back(dep);
            }
        }
    }
    in_graph_order(&needed)
}

#[derive(Clone, Copy)]
enum Direction {
    Up,
    Down,
}

/// Walk `depth` levels (`usize::MAX`: all) up or down from `start`.
fn walk(start: Asset, depth: usize, direction: Direction, out: &mut BTreeSet<Asset>) {
    let mut frontier = vec![start];
    for _ in 0..depth {
        let mut next = Vec::new();
        for asset in &frontier {
            let neighbours: Vec<Asset> = match direction {
                Direction::Up => asset.deps(),
                Direction::Down => Asset::ALL
                    .into_iter()
                    .filter(|a| a.deps().contains(asset))
                    .collect(),
            };
            for n in neighbours {
                if out.insert(n) {
                    next.push(n);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
}

/// A clause's upstream depth, name pattern and downstream depth. `+` counts one level per sign;
/// a `*` next to an exact asset name means all levels; any other `*` is part of a glob.
fn parse_clause(clause: &str) -> (usize, &str, usize) {
    let known = |name: &str| name.parse::<Asset>().is_ok();
    let mut core = clause;
    let mut up = 0;
    let mut down = 0;
    let stripped = core.trim_start_matches('+');
    if stripped.len() != core.len() {
        up = core.len() - stripped.len();
        core = stripped;
    }
    let stripped = core.trim_end_matches('+');
    if stripped.len() != core.len() {
        down = core.len() - stripped.len();
        core = stripped;
    }
    if let Some(name) = core
        .strip_prefix('*')
        .filter(|n| known(n.trim_end_matches('*')))
    {
        up = usize::MAX;
        core = name;
    }
    if let Some(name) = core.strip_suffix('*').filter(|n| known(n)) {
        down = usize::MAX;
        core = name;
    }
    (up, core, down)
}

/// `*` matches any run of characters; everything else literally.
fn glob_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == name;
    };
    if parts.len() == 1 {
        return pattern == name;
    }
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(selection: &str) -> Vec<&'static str> {
        select(selection)
            .unwrap()
            .into_iter()
            .map(Asset::name)
            .collect()
    }

    #[test]
    fn the_graph_is_in_dependency_order_and_complete() {
        let graph = graph();
        assert_eq!(graph.len(), 5 + 16 + 4);
        for (i, asset) in graph.iter().enumerate() {
            for dep in asset.deps() {
                let at = graph.iter().position(|a| *a == dep).unwrap();
                assert!(at < i, "{asset} before its dependency {dep}");
            }
        }
        let files: BTreeSet<_> = graph.iter().filter_map(|a| a.file()).collect();
        assert_eq!(files.len(), 24, "one file per asset but the folder");
        let names: BTreeSet<_> = graph.iter().map(|a| a.name()).collect();
        assert_eq!(names.len(), 25, "one name per asset");
    }

    #[test]
    fn names_parse_back_and_unknown_names_are_errors_listing_the_known() {
        for asset in Asset::ALL {
            assert_eq!(asset.name().parse::<Asset>().unwrap(), asset);
            assert_eq!(asset.to_string(), asset.name());
        }
        for kind in Kind::ALL {
            let identified = Asset::Identified(kind);
            assert_eq!(identified.name(), format!("hf_identified_{kind}"));
            assert_eq!(Asset::Enriched(kind).name(), format!("hf_enriched_{kind}"));
        }
        let err = "hf_identified_task"
            .parse::<Asset>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"hf_identified_task\""), "{err}");
        assert!(
            err.contains("hf_identified_tasks, hf_identified_sharedby"),
            "{err}"
        );
    }

    #[test]
    fn groups_split_the_listing_from_the_enrichment() {
        let listing: Vec<&str> = Asset::ALL
            .into_iter()
            .filter(|a| a.group() == LISTING_GROUP)
            .map(Asset::name)
            .collect();
        assert_eq!(
            listing,
            [
                "hf_run_folder",
                "hf_raw_models_latest",
                "hf_raw_models_from_file",
                "hf_raw_models",
                "hf_raw_catalog_sources"
            ]
        );
    }

    #[test]
    fn selections_as_orchestrator_users_write_them() {
        assert_eq!(names("hf_enriched_licenses"), ["hf_enriched_licenses"]);
        assert_eq!(
            names("+hf_enriched_licenses"),
            ["hf_identified_licenses", "hf_enriched_licenses"]
        );
        assert_eq!(
            names("++hf_enriched_licenses"),
            [
                "hf_add_ancestor_models",
                "hf_identified_licenses",
                "hf_enriched_licenses"
            ]
        );
        assert_eq!(names("*hf_enriched_licenses").len(), 7);
        assert_eq!(names("*hf_enriched_licenses")[0], "hf_run_folder");
        assert_eq!(names("hf_add_ancestor_models+").len(), 1 + 8 + 3);
        assert_eq!(names("hf_add_ancestor_models*").len(), 1 + 16 + 3);
        assert_eq!(names("hf_raw_models*").len(), 2 + 16 + 3);
        assert_eq!(
            names("hf_identified_*").len(),
            8 + 2,
            "the kinds, the citation chunks and the card chunks"
        );
        assert_eq!(
            names("+hf_enriched_languages"),
            [
                "hf_identified_languages",
                "hf_detected_readme_languages",
                "hf_enriched_languages"
            ]
        );
        assert_eq!(
            names("hf_*_tasks"),
            ["hf_identified_tasks", "hf_enriched_tasks"]
        );
        assert_eq!(names("*").len(), 25);
        assert_eq!(
            names(" hf_enriched_tasks , hf_raw_models "),
            ["hf_raw_models", "hf_enriched_tasks"]
        );
    }

    #[test]
    fn unknown_or_empty_selections_are_errors() {
        let err = select("hf_enriched_nothing").unwrap_err().to_string();
        assert!(
            err.contains("--select") && err.contains("hf_enriched_nothing"),
            "{err}"
        );
        assert!(select("").is_err());
        assert!(select(" , ").is_err());
    }

    #[test]
    fn plans_add_what_is_missing_upstream() {
        let none = BTreeSet::new();
        let tasks = Asset::Enriched(Kind::Tasks);
        let plan_all = plan(&[tasks], &none);
        assert_eq!(plan_all.first(), Some(&Asset::RunFolder));
        assert_eq!(plan_all.len(), 7);
        let from_earlier = BTreeSet::from([Asset::Identified(Kind::Tasks)]);
        assert_eq!(plan(&[tasks], &from_earlier), [tasks]);
    }
}
