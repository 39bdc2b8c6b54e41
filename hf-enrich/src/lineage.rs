//! Base-model lineage: the parents of the run's models, their parents, and so on, for a number
//! of iterations (`HF_BASE_MODEL_ITERATIONS`, default [`DEFAULT_BASE_MODEL_ITERATIONS`]).
//!
//! Iteration k fetches the base models referenced by the models of iteration k−1 that are not
//! known yet (known: the run's models, the parents already fetched and the stubs, by id and by
//! alias, compared without regard to ASCII case as the Hub does).
//!
//! - **Which references are followed.** Only those declared in a structured place (the API's
//!   `baseModels`, a `base_model:` tag, the card's `base_model`: [`Confidence::High`]). Parents
//!   read only from a sentence of the card text ([`Confidence::Low`]) stay in the identified map
//!   but are not fetched and have no edge: too many are wrong (a model the author compared to,
//!   a tokenizer) to spend requests and grow the graph on.
//! - **Self references** are skipped; **cycles** end because a known id is never fetched twice;
//!   **local paths** are not parents (the identifiers already drop them; a guard here makes them
//!   stubs without asking).
//! - **A missing parent** (404, gated, disabled, …) becomes a [`BaseModelStub`] with
//!   `enriched: false`, the reason and the status, and the models that reference it.
//! - **A renamed parent** (a redirect) is known by both ids afterwards.
//! - **Legacy ids.** Every namespace-less base-model id (`bert-base-uncased`, from the card text,
//!   a tag or the card data) that names no model read is asked once
//!   ([`resolve_legacy_parents`], the [`crate::legacy_ids`] mechanism datasets use too), and the
//!   references are named by the canonical id it answers with
//!   ([`Lineage::renamed`], [`canonicalise_base_models`]): the Trainer's "fine-tuned version of
//!   bert-base-uncased" and the API's `google-bert/bert-base-uncased` are one parent.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use futures::StreamExt;
use hf_identifiers::base_models::{merge_base_model_refs, normalize_model_id};
use hf_identifiers::{
    BaseModelRef, Confidence, EntityKind, Identified, Provenance, Relation, RunIdentified,
};
use serde::{Deserialize, Serialize};

pub use crate::caseless::caseless_cmp;
use crate::caseless::{CanonicalIds, CaselessSet};
use crate::enrich::{ProgressEvent, ProgressFn};
use crate::identify::identify_model;
use crate::legacy_ids::{Answer, LegacyIds, may_be_legacy};
use crate::models::{FetchedModel, ModelSource};
use crate::source::{MetadataSource, SourceError, SourceErrorKind};

/// How many lineage iterations a run makes by default (`HF_BASE_MODEL_ITERATIONS`).
pub const DEFAULT_BASE_MODEL_ITERATIONS: usize = 1;

/// One parent link: `child` derives from `parent`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BaseModelEdge {
    /// The derived model.
    pub child: String,
    /// The base model: its canonical id when it was read (or is a model of the run), else the
    /// id as referenced.
    pub parent: String,
    /// How the child derives from the parent.
    pub relation: Relation,
    /// Where the reference was found.
    pub provenance: Vec<Provenance>,
    /// How much to trust it (always `high` for followed references).
    pub confidence: Confidence,
}

/// A model that references a stub.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ReferencedBy {
    /// The referencing (child) model.
    pub child: String,
    /// The relation it declares.
    pub relation: Relation,
}

/// A base model that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseModelStub {
    /// The id as referenced.
    pub id: String,
    /// Always `false`: the model was not read.
    pub enriched: bool,
    /// Why, in words.
    pub reason: String,
    /// The HTTP status, when the Hub answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The error.
    pub error: SourceError,
    /// The models that reference it, sorted.
    pub referenced_by: Vec<ReferencedBy>,
}

/// The base-model references identified in each model of a run, by model id, where the lineage
/// reads them and names them by their canonical ids ([`canonicalise_base_models`]): a map of
/// them, or a caller's own store (a run of a million models keeps them where it keeps the
/// models' other references, without a second map of every id).
pub trait BaseModelsById {
    /// The references of the model `id`; none when it is not listed under base models.
    fn base_models_of(&self, id: &str) -> Option<&[BaseModelRef]>;

    /// Every reference, model by model.
    fn all_base_models(&self) -> Box<dyn Iterator<Item = &BaseModelRef> + Send + '_>;

    /// `f` handed each model's list, to rewrite.
    fn rewrite_base_models(&mut self, f: &mut dyn FnMut(&mut Vec<BaseModelRef>));
}

impl BaseModelsById for BTreeMap<String, Vec<BaseModelRef>> {
    fn base_models_of(&self, id: &str) -> Option<&[BaseModelRef]> {
        self.get(id).map(Vec::as_slice)
    }

    fn all_base_models(&self) -> Box<dyn Iterator<Item = &BaseModelRef> + Send + '_> {
        Box::new(self.values().flatten())
    }

    fn rewrite_base_models(&mut self, f: &mut dyn FnMut(&mut Vec<BaseModelRef>)) {
        self.values_mut().for_each(f);
    }
}

/// What was identified in a run's models, where the lineage
/// ([`ancestors_of_identified`](crate::enrich::HfEnrichment::ancestors_of_identified)) reads
/// their base models and adds what it identifies in each parent it reads: a [`RunIdentified`],
/// or a caller's own store.
pub trait RunReferences: BaseModelsById {
    /// Why a parent's references could not be added.
    type Error;

    /// Add what was identified in the parent `id`, read by the lineage.
    fn add_parent(&mut self, id: &str, found: Identified) -> Result<(), Self::Error>;
}

impl BaseModelsById for RunIdentified {
    fn base_models_of(&self, id: &str) -> Option<&[BaseModelRef]> {
        self.base_models.base_models_of(id)
    }

    fn all_base_models(&self) -> Box<dyn Iterator<Item = &BaseModelRef> + Send + '_> {
        self.base_models.all_base_models()
    }

    fn rewrite_base_models(&mut self, f: &mut dyn FnMut(&mut Vec<BaseModelRef>)) {
        self.base_models.rewrite_base_models(f);
    }
}

impl RunReferences for RunIdentified {
    type Error = std::convert::Infallible;

    fn add_parent(&mut self, id: &str, found: Identified) -> Result<(), Self::Error> {
        self.insert(id, found);
        Ok(())
    }
}

/// What the lineage needs of a model it starts from: its id and the other ids it was asked by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelKey {
    /// The canonical id.
    pub id: String,
    /// Other ids of the model (renamed repos).
    pub aliases: BTreeSet<String>,
}

/// A key is its own key; a caller's models may hold theirs (the lineage reads the keys of
/// `&[impl AsRef<ModelKey>]`).
impl AsRef<ModelKey> for ModelKey {
    fn as_ref(&self) -> &ModelKey {
        self
    }
}

impl ModelKey {
    /// The key of a fetched model.
    pub fn of(model: &FetchedModel) -> Self {
        Self {
            id: model.id.clone(),
            aliases: model.aliases.clone(),
        }
    }
}

/// Which links a lineage keeps in [`Lineage::edges`] as it is followed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LineageEdges {
    /// Every followed link.
    #[default]
    All,
    /// Only the links to the parents that could not be read (the stubs, whose `referenced_by`
    /// they make): for a caller that reads the links from the models' references instead. A
    /// model of the run has a link or two, and at a million models keeping them all costs some
    /// 200 MB.
    ToStubs,
}

/// How a lineage is followed: for how many iterations, how many fetches in flight, which links
/// it keeps and whom it tells of its progress.
#[derive(Clone, Copy)]
pub(crate) struct Following<'p> {
    pub(crate) iterations: usize,
    pub(crate) threads: usize,
    pub(crate) edges: LineageEdges,
    pub(crate) progress: Option<&'p ProgressFn>,
}

/// What following the lineage found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lineage {
    /// The parents that exist and were read (sources `{lineage}`), sorted by id.
    pub models: Vec<FetchedModel>,
    /// The parents that could not be read, sorted by id.
    pub stubs: Vec<BaseModelStub>,
    /// Every followed link, sorted (child, parent); only those to a stub when the lineage was
    /// followed keeping [`LineageEdges::ToStubs`].
    pub edges: Vec<BaseModelEdge>,
    /// How many iterations fetched something.
    pub iterations: usize,
    /// The namespace-less base-model ids that the Hub answers under another id, and that id
    /// (`bert-base-uncased` → `google-bert/bert-base-uncased`), for ids no model read is known
    /// by ([`resolve_legacy_parents`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub renamed: BTreeMap<String, String>,
}

impl Lineage {
    /// The keys the base-model references are made canonical with besides the models read:
    /// each [`renamed`](Self::renamed) id as an alias of its canonical id.
    pub fn renamed_keys(&self) -> Vec<ModelKey> {
        self.renamed
            .iter()
            .map(|(legacy, id)| ModelKey {
                id: id.clone(),
                aliases: BTreeSet::from([legacy.clone()]),
            })
            .collect()
    }
}

impl Answer for ModelKey {
    fn answered_id(&self) -> &str {
        &self.id
    }
}

/// Asks `source` for every namespace-less base-model id in `refs` (any confidence) that none of
/// `read` (the models read, by id or alias) nor a stub is known by, once each, `threads` in
/// flight; returns the ids answered under another id, with that id. An id that cannot be read
/// keeps its spelling (its reference stays as written; it is not a failure of the run: a
/// reference the lineage does not follow is not fetched for its record).
pub async fn resolve_legacy_parents<'r, S: MetadataSource + ?Sized>(
    source: &S,
    refs: impl IntoIterator<Item = &'r BaseModelRef>,
    read: &[&ModelKey],
    stubs: &[BaseModelStub],
    threads: usize,
) -> BTreeMap<String, String> {
    // One spelling per id (the first met): the Hub compares ids without regard to case.
    let mut asked: BTreeMap<String, &str> = BTreeMap::new();
    for r in refs {
        if may_be_legacy(&r.id) && is_hub_model_id(&r.id) {
            asked.entry(key(&r.id)).or_insert(r.id.as_str());
        }
    }
    // Those known are not asked. Only a namespace-less id or alias can be one of them: the
    // others are passed over without a copy (a run knows millions of ids, and asks a few).
    let known = read
        .iter()
        .flat_map(|m| std::iter::once(&m.id).chain(&m.aliases))
        .chain(stubs.iter().map(|s| &s.id));
    for id in known {
        if !asked.is_empty() && may_be_legacy(id) {
            asked.remove(&key(id));
        }
    }
    if asked.is_empty() {
        return BTreeMap::new();
    }
    tracing::info!(ids = asked.len(), "resolving namespace-less base-model ids");
    let answers = LegacyIds::default()
        .ask(asked.into_values(), threads, |asked| async move {
            source.model_id(&asked).await.map(|id| ModelKey {
                id,
                aliases: BTreeSet::new(),
            })
        })
        .await;
    answers
        .renamed()
        .map(|(legacy, id)| (legacy.to_owned(), id.to_owned()))
        .collect()
}

/// Follows the base models of `models` for `iterations` iterations (0: nothing), `threads`
/// fetches in flight.
pub async fn follow_lineage<S: MetadataSource + ?Sized>(
    source: &S,
    models: &[FetchedModel],
    iterations: usize,
    threads: usize,
) -> Lineage {
    let first: BTreeMap<String, Vec<BaseModelRef>> = models
        .iter()
        .map(|m| (m.id.clone(), identify_model(m).base_models))
        .collect();
    let keys: Vec<ModelKey> = models.iter().map(ModelKey::of).collect();
    let how = Following {
        iterations,
        threads,
        edges: LineageEdges::All,
        progress: None,
    };
    follow(source, &keys, &[], &first, how).await.0
}

/// [`follow_lineage`] with the base models of the run's models already identified; also
/// returns what was identified in each parent read. `beside` are models of the run whose lineage
/// another process follows (the other shards): known, so never fetched as parents, but not followed.
pub(crate) async fn follow<S: MetadataSource + ?Sized, K: AsRef<ModelKey>>(
    source: &S,
    models: &[K],
    beside: &[K],
    first: &(impl BaseModelsById + ?Sized),
    how: Following<'_>,
) -> (Lineage, Vec<(String, Identified)>) {
    let Following {
        iterations,
        threads,
        edges,
        progress,
    } = how;
    let mut lineage = Lineage::default();
    let mut identified: Vec<(String, Identified)> = Vec::new();
    if iterations == 0 {
        return (lineage, identified);
    }
    // The run's ids are borrowed, not copied: at a million models, copies of every id (and of
    // every model's references for the first iteration) were most of a run's peak memory.
    let mut known = KnownIds::of_run(
        models
            .iter()
            .chain(beside)
            .map(K::as_ref)
            .flat_map(|m| std::iter::once(&m.id).chain(&m.aliases))
            .map(String::as_str),
    );
    // The parents read in the last iteration, as the next one's children: (id, aliases,
    // base-model references).
    let mut read: Vec<(String, BTreeSet<String>, Vec<BaseModelRef>)> = Vec::new();
    let mut stubs: BTreeMap<String, BaseModelStub> = BTreeMap::new();
    let threads = threads.max(1);
    for iteration in 1..=iterations {
        let mut to_fetch: BTreeSet<String> = BTreeSet::new();
        // The frontier: the run's models with references first, then the parents read.
        let frontier: Box<dyn Iterator<Item = Child<'_>>> = if iteration == 1 {
            Box::new(models.iter().map(K::as_ref).filter_map(|m| {
                let refs = first.base_models_of(&m.id)?;
                Some((m.id.as_str(), &m.aliases, refs))
            }))
        } else {
            Box::new(read.iter().map(|(id, a, r)| (id.as_str(), a, r.as_slice())))
        };
        for (child, aliases, refs) in frontier {
            for r in followed(child, aliases, refs) {
                // A model of the run is never a stub (nor asked for): its links are not kept
                // when only those to stubs are.
                if edges == LineageEdges::All || !known.in_run(&r.id) {
                    lineage.edges.push(BaseModelEdge {
                        child: child.to_owned(),
                        parent: r.id.clone(),
                        relation: r.relation,
                        provenance: r.provenance.clone(),
                        confidence: r.confidence,
                    });
                }
                if !known.insert(&r.id) {
                    continue;
                }
                if !is_hub_model_id(&r.id) {
                    let error = SourceError::new(
                        SourceErrorKind::Invalid,
                        format!("not a Hub model id (a local path?): {}", r.id),
                    );
                    stubs.insert(r.id.clone(), stub(&r.id, error));
                    continue;
                }
                to_fetch.insert(r.id.clone());
            }
        }
        if to_fetch.is_empty() {
            break;
        }
        lineage.iterations = iteration;
        let total = to_fetch.len();
        tracing::info!(iteration, parents = total, "fetching base models");
        let report = |done: usize| {
            if let Some(f) = progress {
                f(ProgressEvent {
                    kind: EntityKind::BaseModels,
                    done,
                    total,
                    iteration: Some(iteration),
                });
            }
        };
        report(0);
        let mut done = 0usize;
        let mut fetched: Vec<(String, Result<FetchedModel, SourceError>)> =
            futures::stream::iter(to_fetch)
                .map(|id| async move {
                    let result = source.model(&id).await;
                    (id, result)
                })
                .buffer_unordered(threads)
                .inspect(|_| {
                    done += 1;
                    report(done);
                })
                .collect()
                .await;
        fetched.sort_by(|a, b| a.0.cmp(&b.0));
        let mut next = Vec::new();
        for (asked, result) in fetched {
            match result {
                Ok(mut model) => {
                    model.sources = BTreeSet::from([ModelSource::Lineage]);
                    if model.id != asked {
                        model.aliases.insert(asked.clone());
                    }
                    if key(&asked) != key(&model.id) && known.contains(&model.id) {
                        // A redirect to a model already known: nothing new to read.
                        tracing::debug!(asked = %asked, id = %model.id, "parent already known by its canonical id");
                        continue;
                    }
                    known.insert(&model.id);
                    model.aliases.iter().for_each(|a| {
                        known.insert(a);
                    });
                    let found = identify_model(&model);
                    next.push((
                        model.id.clone(),
                        model.aliases.clone(),
                        found.base_models.clone(),
                    ));
                    identified.push((model.id.clone(), found));
                    lineage.models.push(model);
                }
                Err(error) => {
                    tracing::warn!(parent = %asked, %error, "base model not read");
                    stubs.insert(asked.clone(), stub(&asked, error));
                }
            }
        }
        read = next;
        if edges == LineageEdges::ToStubs {
            // Every parent linked so far was asked or is known: only the stubs' links stay.
            lineage
                .edges
                .retain(|edge| stubs.contains_key(&edge.parent));
        }
    }
    drop(known);
    // The links of an iteration that found nothing to ask.
    if edges == LineageEdges::ToStubs {
        lineage
            .edges
            .retain(|edge| stubs.contains_key(&edge.parent));
    }
    // Edges name parents by their canonical id when one is known (a renamed parent's legacy id,
    // another casing); stubs keep the id as referenced. A later model of an id or alias wins.
    if edges == LineageEdges::All {
        let runs = models
            .iter()
            .chain(beside)
            .map(K::as_ref)
            .map(|m| (m.id.as_str(), &m.aliases));
        let parents = lineage.models.iter().map(|m| (m.id.as_str(), &m.aliases));
        let canonical = CanonicalIds::new(runs.chain(parents));
        for edge in &mut lineage.edges {
            if !stubs.contains_key(&edge.parent)
                && let Some(id) = canonical.get(&edge.parent)
            {
                edge.parent = id.to_owned();
            }
        }
    }
    lineage.edges.sort();
    lineage.edges.dedup();
    for edge in &lineage.edges {
        if let Some(s) = stubs.get_mut(&edge.parent) {
            s.referenced_by.push(ReferencedBy {
                child: edge.child.clone(),
                relation: edge.relation,
            });
        }
    }
    lineage.stubs = stubs
        .into_values()
        .map(|mut s| {
            s.referenced_by.sort();
            s.referenced_by.dedup();
            s
        })
        .collect();
    lineage.models.sort_by(|a, b| a.id.cmp(&b.id));
    (lineage, identified)
}

fn stub(id: &str, error: SourceError) -> BaseModelStub {
    BaseModelStub {
        id: id.to_owned(),
        enriched: false,
        reason: error.message.clone(),
        status: error.status,
        error,
        referenced_by: Vec::new(),
    }
}

/// A child of the frontier: its id, aliases and base-model references.
type Child<'a> = (&'a str, &'a BTreeSet<String>, &'a [BaseModelRef]);

/// The ids the lineage knows (never fetched as parents), without regard to ASCII case: the
/// run's, borrowed, and those learnt while following it (parents asked, read, renamed).
#[derive(Debug, Default)]
struct KnownIds<'a> {
    run: CaselessSet<'a>,
    learnt: HashSet<String>,
}

impl<'a> KnownIds<'a> {
    /// Know `ids`, the models of the run.
    fn of_run(ids: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            run: CaselessSet::new(ids),
            learnt: HashSet::new(),
        }
    }

    fn contains(&self, id: &str) -> bool {
        self.run.contains(id) || self.learnt.contains(&key(id))
    }

    /// Whether `id` is a model of the run.
    fn in_run(&self, id: &str) -> bool {
        self.run.contains(id)
    }

    /// Know `id`; false when it was already.
    fn insert(&mut self, id: &str) -> bool {
        !self.run.contains(id) && self.learnt.insert(key(id))
    }
}

/// Hub ids compare without regard to ASCII case.
pub(crate) fn key(id: &str) -> String {
    id.to_ascii_lowercase()
}

/// The parents the lineage follows from `child` (also known by `aliases`), for those not known
/// yet: the references declared in a structured place ([`Confidence::High`]), not to the child
/// itself.
pub(crate) fn followed<'r>(
    child: &str,
    aliases: &BTreeSet<String>,
    refs: &'r [BaseModelRef],
) -> impl Iterator<Item = &'r BaseModelRef> {
    refs.iter()
        .filter(|r| r.confidence == Confidence::High)
        .filter(move |r| !is_self_reference(child, aliases, &r.id))
}

/// Whether `parent` names `child` itself (by id or alias, without regard to ASCII case).
fn is_self_reference(child: &str, aliases: &BTreeSet<String>, parent: &str) -> bool {
    let parent = key(parent);
    parent == key(child) || aliases.iter().any(|a| key(a) == parent)
}

/// Whether a followed parent is fetched: a Hub model id, not a local path.
pub(crate) fn is_hub_model_id(id: &str) -> bool {
    normalize_model_id(id).as_deref() == Some(id)
}

/// Rewrites every base-model reference to the id of the model it names when that model was
/// read (a model of the run or a parent of the lineage, matched by id or alias without regard to
/// ASCII case) or when its legacy id was resolved ([`Lineage::renamed_keys`]): a reference to a
/// renamed repo (`gen/old-name`) becomes `gen/new-name`, so the link `hash("Model", id)` lands on
/// the model's record. The text as written stays in the reference's `raw`. References that become
/// one are merged ([`merge_base_model_refs`]: provenances united, the highest confidence, the
/// most structured finding's relation). References to other models are left as written.
pub fn canonicalise_base_models<'m>(
    refs: &mut (impl BaseModelsById + ?Sized),
    read: impl IntoIterator<Item = &'m ModelKey>,
) {
    let canonical = CanonicalIds::new(read.into_iter().map(|m| (m.id.as_str(), &m.aliases)));
    refs.rewrite_base_models(&mut |list| {
        let mut renamed = false;
        for r in list.iter_mut() {
            if let Some(id) = canonical.get(&r.id)
                && r.id != id
            {
                r.id = id.to_owned();
                renamed = true;
            }
        }
        if renamed {
            *list = merge_base_model_refs(std::mem::take(list));
        }
        list.sort_by(|a, b| a.id.cmp(&b.id));
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use hf_client::wire::ModelInfo;
    use serde_json::json;

    use super::*;
    use crate::source::InMemorySource;

    /// A model declaring `parents` in its card data, with a relation.
    pub(crate) fn model(id: &str, parents: &[&str], relation: &str) -> FetchedModel {
        let mut info = json!({"id": id, "tags": []});
        if !parents.is_empty() {
            info["cardData"] = json!({"base_model": parents, "base_model_relation": relation});
        }
        let info: ModelInfo = serde_json::from_value(info).unwrap();
        FetchedModel::new(info, None, ModelSource::File)
    }

    fn ids(models: &[FetchedModel]) -> Vec<&str> {
        models.iter().map(|m| m.id.as_str()).collect()
    }

    /// run/child → org/ft → org/base → org/root → org/ft (cycle); org/base → org/base (self).
    fn chain() -> InMemorySource {
        InMemorySource::new()
            .with_model(model("org/ft", &["org/base"], "finetune"))
            .with_model(model("org/base", &["org/root", "org/base"], "finetune"))
            .with_model(model("org/root", &["org/ft"], "merge"))
    }

    #[tokio::test]
    async fn three_levels_with_a_cycle_and_a_self_reference_end() {
        let source = chain();
        let run = [model("run/child", &["org/ft"], "quantized")];
        let lineage = follow_lineage(&source, &run, 10, 4).await;
        assert_eq!(ids(&lineage.models), ["org/base", "org/ft", "org/root"]);
        assert!(lineage.stubs.is_empty());
        assert_eq!(lineage.iterations, 3);
        let edges: Vec<(&str, &str, Relation)> = lineage
            .edges
            .iter()
            .map(|e| (e.child.as_str(), e.parent.as_str(), e.relation))
            .collect();
        assert_eq!(
            edges,
            [
                ("org/base", "org/root", Relation::Finetune),
                ("org/ft", "org/base", Relation::Finetune),
                ("org/root", "org/ft", Relation::Merge),
                ("run/child", "org/ft", Relation::Quantized),
            ]
        );
        // Each parent fetched once.
        assert_eq!(
            source.requests(),
            ["model:org/ft", "model:org/base", "model:org/root"]
        );
        assert!(
            lineage
                .models
                .iter()
                .all(|m| m.sources == BTreeSet::from([ModelSource::Lineage]))
        );
    }

    #[tokio::test]
    async fn iterations_bound_the_depth() {
        let run = [model("run/child", &["org/ft"], "finetune")];
        let none = follow_lineage(&chain(), &run, 0, 4).await;
        assert_eq!(none, Lineage::default());
        let one = follow_lineage(&chain(), &run, 1, 4).await;
        assert_eq!(ids(&one.models), ["org/ft"]);
        assert_eq!(one.edges.len(), 1);
        let two = follow_lineage(&chain(), &run, 2, 4).await;
        assert_eq!(ids(&two.models), ["org/base", "org/ft"]);
        assert_eq!(two.iterations, 2);
    }

    #[tokio::test]
    async fn missing_and_gated_parents_become_stubs() {
        let source = InMemorySource::new()
            .with_model(model("org/ok", &[], ""))
            .fail_model("org/gated", SourceError::gated("gated repository"));
        let run = [
            model("run/a", &["org/missing", "org/ok", "org/gated"], "adapter"),
            model("run/b", &["org/missing"], "finetune"),
        ];
        let lineage = follow_lineage(&source, &run, 1, 2).await;
        assert_eq!(ids(&lineage.models), ["org/ok"]);
        let stubs: Vec<(&str, SourceErrorKind, Option<u16>, bool)> = lineage
            .stubs
            .iter()
            .map(|s| (s.id.as_str(), s.error.kind, s.status, s.enriched))
            .collect();
        assert_eq!(
            stubs,
            [
                ("org/gated", SourceErrorKind::Gated, Some(403), false),
                ("org/missing", SourceErrorKind::NotFound, Some(404), false),
            ]
        );
        let missing = &lineage.stubs[1];
        assert!(missing.reason.contains("org/missing"));
        assert_eq!(
            missing.referenced_by,
            [
                ReferencedBy {
                    child: "run/a".into(),
                    relation: Relation::Adapter
                },
                ReferencedBy {
                    child: "run/b".into(),
                    relation: Relation::Finetune
                },
            ]
        );
    }

    #[tokio::test]
    async fn a_lineage_keeping_the_links_to_stubs_finds_the_same_parents_and_stubs() {
        let source = InMemorySource::new()
            .with_model(model("org/ok", &["org/gone"], "finetune"))
            .fail_model("org/missing", SourceError::gated("gated repository"));
        let run = [
            model("run/a", &["org/missing", "org/ok", "Run/B"], "adapter"),
            model("run/b", &["org/missing", "org/ok"], "finetune"),
        ];
        let first: BTreeMap<String, Vec<BaseModelRef>> = run
            .iter()
            .map(|m| (m.id.clone(), identify_model(m).base_models))
            .collect();
        let keys: Vec<ModelKey> = run.iter().map(ModelKey::of).collect();
        let follow_keeping = |edges| {
            let how = Following {
                iterations: 3,
                threads: 2,
                edges,
                progress: None,
            };
            follow(&source, &keys, &[], &first, how)
        };
        let (all, all_found) = follow_keeping(LineageEdges::All).await;
        let (to_stubs, to_stubs_found) = follow_keeping(LineageEdges::ToStubs).await;
        // Two iterations, a stub in each, and a link to a model of the run in another case.
        assert_eq!(ids(&all.models), ["org/ok"]);
        let stub_ids: Vec<&str> = all.stubs.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(stub_ids, ["org/gone", "org/missing"]);
        assert_eq!(all.edges.len(), 6);
        assert!(all.edges.iter().any(|e| e.parent == "run/b"));
        assert_eq!(to_stubs.models, all.models);
        assert_eq!(to_stubs.stubs, all.stubs);
        assert_eq!(to_stubs.iterations, all.iterations);
        assert_eq!(to_stubs_found.len(), all_found.len());
        let to_a_stub: Vec<&BaseModelEdge> = all
            .edges
            .iter()
            .filter(|e| stub_ids.contains(&e.parent.as_str()))
            .collect();
        assert_eq!(to_a_stub.len(), 3);
        assert_eq!(to_stubs.edges.iter().collect::<Vec<_>>(), to_a_stub);
    }

    #[tokio::test]
    async fn run_models_and_renamed_parents_are_not_fetched_again() {
        let mut renamed = model("new-org/base", &[], "");
        renamed.aliases.insert("old-org/base".into());
        let source = InMemorySource::new().with_model(renamed);
        let run = [
            model("run/a", &["old-org/base", "run/b"], "finetune"),
            model("run/b", &["Old-Org/Base"], "finetune"),
        ];
        let lineage = follow_lineage(&source, &run, 3, 2).await;
        assert_eq!(ids(&lineage.models), ["new-org/base"]);
        assert!(lineage.models[0].aliases.contains("old-org/base"));
        assert_eq!(source.requests(), ["model:old-org/base"]);
        let edges: Vec<(&str, &str)> = lineage
            .edges
            .iter()
            .map(|e| (e.child.as_str(), e.parent.as_str()))
            .collect();
        assert_eq!(
            edges,
            [
                ("run/a", "new-org/base"),
                ("run/a", "run/b"),
                ("run/b", "new-org/base"),
            ]
        );
    }

    #[tokio::test]
    async fn low_confidence_parents_are_not_followed() {
        let mut m = model("run/a", &[], "");
        m.card = Some("This model is a fine-tuned version of [org/text](https://huggingface.co/org/text) on an unknown dataset.\n".into());
        let refs = identify_model(&m).base_models;
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].confidence, Confidence::Low);
        let source = InMemorySource::new().with_model(model("org/text", &[], ""));
        let lineage = follow_lineage(&source, &[m], 1, 1).await;
        assert_eq!(lineage, Lineage::default());
        assert!(source.requests().is_empty());
    }

    /// A model declaring `declared` through the API (and tags), whose card says it is a
    /// fine-tuned version of `in_text`.
    fn trained(id: &str, declared: Option<&str>, in_text: &str) -> FetchedModel {
        let mut info = json!({"id": id, "tags": []});
        if let Some(base) = declared {
            info["baseModels"] = json!({"relation": "adapter", "models": [{"id": base}]});
            info["tags"] = json!([format!("base_model:{base}")]);
        }
        let info: ModelInfo = serde_json::from_value(info).unwrap();
        let card = format!(
            "This model is a fine-tuned version of [{in_text}](https://huggingface.co/{in_text}) on an unknown dataset.\n"
        );
        FetchedModel::new(info, Some(card), ModelSource::Latest)
    }

    #[tokio::test]
    async fn legacy_ids_in_card_text_are_named_by_their_canonical_id_asked_once_each() {
        use crate::enrich::{EnrichmentOptions, HfEnrichment};

        // The Hub answers the legacy ids under their canonical ones (a 307 followed).
        let mut bert = model("google-bert/bert-base-uncased", &[], "");
        bert.aliases.insert("bert-base-uncased".into());
        let mut gpt2 = model("openai-community/gpt2", &[], "");
        gpt2.aliases.insert("gpt2".into());
        let source = std::sync::Arc::new(InMemorySource::new().with_model(bert).with_model(gpt2));
        let run = [
            // The API's canonical parent and the Trainer's legacy spelling of it.
            trained(
                "run/ft",
                Some("google-bert/bert-base-uncased"),
                "bert-base-uncased",
            ),
            trained("run/ft-2", None, "bert-base-uncased"),
            // Named in the text only: not followed, but named as the Hub names it.
            trained("run/text-only", None, "gpt2"),
            // Unknown to the Hub: kept as written, not a failure.
            trained("run/typo", None, "bert-larg"),
        ];
        let options = EnrichmentOptions {
            threads: 2,
            base_model_iterations: 1,
        };
        let out = HfEnrichment::new(source.clone(), options)
            .enrich(&run)
            .await;

        let refs = &out.identified.refs.base_models;
        let ft = &refs["run/ft"];
        assert_eq!(ft.len(), 1, "one parent, not two: {ft:?}");
        assert_eq!(ft[0].id, "google-bert/bert-base-uncased");
        assert_eq!(
            ft[0].provenance,
            [Provenance::Api, Provenance::Tag, Provenance::CardText]
        );
        assert_eq!(ft[0].confidence, Confidence::High);
        assert_eq!(ft[0].relation, Relation::Adapter, "the API's relation");
        let ft2 = &refs["run/ft-2"][0];
        assert_eq!(
            (ft2.id.as_str(), ft2.confidence),
            ("google-bert/bert-base-uncased", Confidence::Low)
        );
        assert!(
            ft2.raw.contains("[bert-base-uncased]"),
            "raw keeps the text: {}",
            ft2.raw
        );
        assert_eq!(refs["run/text-only"][0].id, "openai-community/gpt2");
        assert_eq!(refs["run/typo"][0].id, "bert-larg");
        assert_eq!(
            out.identified.ids.base_models,
            [
                "bert-larg",
                "google-bert/bert-base-uncased",
                "openai-community/gpt2"
            ]
        );
        assert_eq!(
            out.lineage.renamed,
            BTreeMap::from([
                (
                    "bert-base-uncased".to_owned(),
                    "google-bert/bert-base-uncased".to_owned()
                ),
                ("gpt2".to_owned(), "openai-community/gpt2".to_owned()),
            ])
        );
        // The declared parent is read; the text-only ones are not followed and fail nothing.
        assert_eq!(ids(&out.lineage.models), ["google-bert/bert-base-uncased"]);
        assert!(out.lineage.stubs.is_empty());
        assert!(out.failures.is_empty(), "{:?}", out.failures);
        // One request per distinct legacy id the lineage had not read, none twice.
        let mut asked: Vec<String> = source
            .requests()
            .into_iter()
            .filter(|r| r.starts_with("model:"))
            .collect();
        asked.sort();
        assert_eq!(
            asked,
            [
                "model:bert-base-uncased",
                "model:bert-larg",
                "model:google-bert/bert-base-uncased",
                "model:gpt2",
            ]
        );
    }

    #[tokio::test]
    async fn a_legacy_id_the_run_already_read_costs_no_request() {
        use crate::enrich::{EnrichmentOptions, HfEnrichment};

        // The run's own model, asked by its legacy id (as a model-id file may list it).
        let mut bert = model("google-bert/bert-base-uncased", &[], "");
        bert.aliases.insert("bert-base-uncased".into());
        let source = std::sync::Arc::new(InMemorySource::new());
        let run = [bert, trained("run/ft", None, "bert-base-uncased")];
        let out = HfEnrichment::new(source.clone(), EnrichmentOptions::default())
            .enrich(&run)
            .await;
        assert_eq!(
            out.identified.refs.base_models["run/ft"][0].id,
            "google-bert/bert-base-uncased"
        );
        assert!(out.lineage.renamed.is_empty());
        assert!(
            !source.requests().iter().any(|r| r.starts_with("model:")),
            "{:?}",
            source.requests()
        );
    }
}
