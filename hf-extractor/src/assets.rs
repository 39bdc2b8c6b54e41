//! The run as a graph of named assets, and selections as orchestrator users write them.
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

use crate::error::{Error, Result};

/// The eight kinds of related entity (`sharedby`: the model's author or organisation).
pub const KINDS: [&str; 8] = [
    "datasets",
    "articles",
    "base_models",
    "keywords",
    "licenses",
    "languages",
    "tasks",
    "sharedby",
];

/// One asset: its name, what it depends on, and the file it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// The asset's name (the seed's Dagster asset name).
    pub name: String,
    /// The assets it needs.
    pub deps: Vec<String>,
    /// The file it writes in the run folder (none for `hf_run_folder`).
    pub file: Option<String>,
}

/// The Dagster group of the run folder, the catalog source and the raw model assets (the
/// Python extractor's, which its downstream selects by).
pub const LISTING_GROUP: &str = "hf";

/// The Dagster group of every asset from `hf_add_ancestor_models` on.
pub const ENRICHMENT_GROUP: &str = "hf_enrichment";

/// The Dagster tags of every asset, as the Python extractor's carry them (MLentory's Makefile
/// selects the extraction by `tag:"pipeline"="hf_etl",tag:"stage"="extract"`).
pub const TAGS: [(&str, &str); 2] = [("pipeline", "hf_etl"), ("stage", "extract")];

/// The Dagster group of an asset: [`LISTING_GROUP`] for `hf_run_folder` and the `hf_raw_*`
/// assets, else [`ENRICHMENT_GROUP`].
///
/// ```
/// use hf_extractor::assets::group;
///
/// assert_eq!(group("hf_raw_catalog_sources"), "hf");
/// assert_eq!(group("hf_identified_chunk_citation"), "hf_enrichment");
/// ```
pub fn group(asset: &str) -> &'static str {
    if asset == "hf_run_folder" || asset.starts_with("hf_raw_") {
        LISTING_GROUP
    } else {
        ENRICHMENT_GROUP
    }
}

/// The file of the enriched assets of each kind.
pub fn enriched_file(kind: &str) -> &'static str {
    match kind {
        "datasets" => "hf_datasets_specific.json",
        "articles" => "arxiv_articles.json",
        "base_models" => "hf_base_models.json",
        "keywords" => "keywords.json",
        "licenses" => "licenses.json",
        "languages" => "languages.json",
        "sharedby" => "sharedby.json",
        _ => "tasks.json",
    }
}

/// Every asset, in a dependency order (each after everything it depends on).
pub fn graph() -> Vec<Asset> {
    let asset = |name: &str, deps: &[&str], file: Option<&str>| Asset {
        name: name.to_owned(),
        deps: deps.iter().map(|d| (*d).to_owned()).collect(),
        file: file.map(str::to_owned),
    };
    let mut assets = vec![
        asset("hf_run_folder", &[], None),
        asset(
            "hf_raw_models_latest",
            &["hf_run_folder"],
            Some("hf_raw_models_latest.json"),
        ),
        asset(
            "hf_raw_models_from_file",
            &["hf_run_folder"],
            Some("hf_raw_models_from_file.json"),
        ),
        asset(
            "hf_raw_models",
            &["hf_raw_models_latest", "hf_raw_models_from_file"],
            Some("hf_models.json"),
        ),
        asset(
            "hf_add_ancestor_models",
            &["hf_raw_models"],
            Some("hf_models_with_ancestors.json"),
        ),
    ];
    for kind in KINDS {
        assets.push(asset(
            &format!("hf_identified_{kind}"),
            &["hf_add_ancestor_models"],
            Some(&format!("hf_identified_{kind}.json")),
        ));
    }
    for (name, file) in [
        ("hf_detected_readme_languages", "readme_languages.json"),
        ("hf_identified_chunk_citation", "chunks_citation.json"),
        ("hf_identified_modelcard_chunks", "hf_modelcard_chunks.json"),
    ] {
        assets.push(asset(name, &["hf_add_ancestor_models"], Some(file)));
    }
    for kind in KINDS {
        let identified = format!("hf_identified_{kind}");
        let deps: &[&str] = match kind {
            "languages" => &[&identified, "hf_detected_readme_languages"],
            _ => &[&identified],
        };
        assets.push(asset(
            &format!("hf_enriched_{kind}"),
            deps,
            Some(enriched_file(kind)),
        ));
    }
    assets.push(asset(
        "hf_raw_catalog_sources",
        &["hf_run_folder"],
        Some("sources.json"),
    ));
    assets
}

/// The names of the assets a selection picks, in dependency order.
///
/// ```
/// use hf_extractor::assets::select;
///
/// assert_eq!(select("hf_raw_models")?, ["hf_raw_models"]);
/// assert_eq!(
///     select("+hf_raw_models")?,
///     ["hf_raw_models_latest", "hf_raw_models_from_file", "hf_raw_models"]
/// );
/// assert_eq!(select("hf_enriched_*")?.len(), 8);
/// assert_eq!(select("hf_identified_tasks+, hf_run_folder")?, ["hf_run_folder", "hf_identified_tasks", "hf_enriched_tasks"]);
/// assert!(select("hf_nothing").is_err());
/// # Ok::<(), hf_extractor::Error>(())
/// ```
pub fn select(selection: &str) -> Result<Vec<String>> {
    let graph = graph();
    let mut picked = BTreeSet::new();
    for clause in selection
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let (up, core, down) = parse_clause(clause);
        let roots: Vec<&Asset> = graph.iter().filter(|a| glob_match(core, &a.name)).collect();
        if roots.is_empty() {
            return Err(Error::Config {
                variable: "--select".into(),
                value: selection.into(),
                reason: format!(
                    "{core:?} matches no asset (see list-assets; known: {})",
                    graph
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        for root in roots {
            picked.insert(root.name.clone());
            walk(&graph, &root.name, up, Direction::Up, &mut picked);
            walk(&graph, &root.name, down, Direction::Down, &mut picked);
        }
    }
    if picked.is_empty() {
        return Err(Error::Config {
            variable: "--select".into(),
            value: selection.into(),
            reason: "the selection is empty".into(),
        });
    }
    Ok(graph
        .into_iter()
        .filter(|a| picked.contains(&a.name))
        .map(|a| a.name)
        .collect())
}

/// The assets that must run to materialise `selected`: the selection plus every upstream asset
/// not `available` (e.g. loaded from an earlier run folder), in dependency order.
pub fn plan(selected: &[String], available: &BTreeSet<String>) -> Vec<String> {
    let graph = graph();
    let mut needed: BTreeSet<String> = selected.iter().cloned().collect();
    let mut queue: VecDeque<String> = selected.iter().cloned().collect();
    while let Some(name) = queue.pop_front() {
        let Some(asset) = graph.iter().find(|a| a.name == name) else {
            continue;
        };
        for dep in &asset.deps {
            if !available.contains(dep) && needed.insert(dep.clone()) {
                queue.push_back(dep.clone());
            }
        }
    }
    graph
        .into_iter()
        .filter(|a| needed.contains(&a.name))
        .map(|a| a.name)
        .collect()
}

#[derive(Clone, Copy)]
enum Direction {
    Up,
    Down,
}

/// Walk `depth` levels (`usize::MAX`: all) up or down from `start`.
fn walk(
    graph: &[Asset],
    start: &str,
    depth: usize,
    direction: Direction,
    out: &mut BTreeSet<String>,
) {
    let mut frontier = vec![start.to_owned()];
    for _ in 0..depth {
        let mut next = Vec::new();
        for name in &frontier {
            let neighbours: Vec<String> = match direction {
                Direction::Up => graph
                    .iter()
                    .find(|a| &a.name == name)
                    .map(|a| a.deps.clone())
                    .unwrap_or_default(),
                Direction::Down => graph
                    .iter()
                    .filter(|a| a.deps.iter().any(|d| d == name))
                    .map(|a| a.name.clone())
                    .collect(),
            };
            for n in neighbours {
                if out.insert(n.clone()) {
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
    let known = |name: &str| graph().iter().any(|a| a.name == name);
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

    fn names(selection: &str) -> Vec<String> {
        select(selection).unwrap()
    }

    #[test]
    fn the_graph_is_in_dependency_order_and_complete() {
        let graph = graph();
        assert_eq!(graph.len(), 5 + 16 + 4);
        for (i, asset) in graph.iter().enumerate() {
            for dep in &asset.deps {
                let at = graph.iter().position(|a| &a.name == dep).unwrap();
                assert!(at < i, "{} before its dependency {dep}", asset.name);
            }
        }
        let files: BTreeSet<_> = graph.iter().filter_map(|a| a.file.clone()).collect();
        assert_eq!(files.len(), 24, "one file per asset but the folder");
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
        let plan_all = plan(&["hf_enriched_tasks".into()], &none);
        assert_eq!(plan_all.first().map(String::as_str), Some("hf_run_folder"));
        assert_eq!(plan_all.len(), 7);
        let from_earlier: BTreeSet<String> = ["hf_identified_tasks".to_string()].into();
        assert_eq!(
            plan(&["hf_enriched_tasks".into()], &from_earlier),
            ["hf_enriched_tasks"]
        );
    }
}
