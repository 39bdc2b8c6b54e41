//! The identified references of a run, kept on disk for the whole run.
//!
//! A run of 100,000 models holds about 1.2 million references: decoded, as the seven
//! `{model_id: [references]}` maps of [`RunIdentified`], about half a GiB; as compact JSON,
//! about 1 KB per model. So a model's references are packed once ([`PackedRefs`]: its base
//! models decoded, each of the six other kinds as the compact JSON of its list) and appended to
//! the run's spool ([`BlobSpool`]) as the model arrives. Memory keeps a [`SpooledRefs`] per
//! model: its place in the spool, and its base models (the lineage and every model record read
//! them; they are few). A [`PackedRun`] also counts the distinct ids of the six packed kinds as
//! models are added or replaced, so the enrichment gets its ids without reading anything back.
//!
//! A kind is read back and decoded only where it is read: model by model while its
//! `hf_identified_<kind>` file is written ([`PackedRun::write_kind`]), and the articles' kinds
//! and licenses' names for their enrichment ([`PackedRun::for_enrichment`], one reference per
//! distinct id).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use hf_enrich::identify::{IdentifiedRun, identify_model};
use hf_enrich::lineage::{BaseModelsById, ModelKey, RunReferences};
use hf_enrich::models::FetchedModel;
use hf_identifiers::{ArticleRef, BaseModelRef, EntityKind, Identified, LicenseRef, RunIdentified};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::store::blob_spool::{BlobAt, BlobSpool};
use crate::store::json_stream::JsonWriter;

/// How many bytes of rendered lists [`PackedRun::write_kind`] keeps while it writes, for the
/// models naming the same list.
const SHARED_BYTES: usize = 4 << 20;

/// The kinds kept as JSON, in the order of [`PackedRefs::json`].
const PACKED: [EntityKind; 6] = [
    EntityKind::Datasets,
    EntityKind::Articles,
    EntityKind::Keywords,
    EntityKind::Licenses,
    EntityKind::Languages,
    EntityKind::Tasks,
];

/// The slot of a packed kind (`None` for base models, kept decoded).
fn slot(kind: EntityKind) -> Option<usize> {
    PACKED.iter().position(|k| *k == kind)
}

/// One model's references, packed, in memory (until spooled). A kind the model is not listed
/// under (a kind's map read back from an earlier run without it) is `None`; an empty list is
/// an empty slice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PackedRefs {
    base_models: Option<Vec<BaseModelRef>>,
    json: [Option<Box<[u8]>>; 6],
}

impl PackedRefs {
    /// Identify one model and pack what was found.
    pub fn of(model: &FetchedModel) -> Self {
        Self::pack(identify_model(model))
    }

    /// Pack what was identified in one model.
    pub fn pack(found: Identified) -> Self {
        let Identified {
            datasets,
            articles,
            mut base_models,
            keywords,
            licenses,
            languages,
            tasks,
        } = found;
        base_models.shrink_to_fit();
        Self {
            base_models: Some(base_models),
            json: [
                Some(encode(&datasets)),
                Some(encode(&articles)),
                Some(encode(&keywords)),
                Some(encode(&licenses)),
                Some(encode(&languages)),
                Some(encode(&tasks)),
            ],
        }
    }

    /// The base models (`None`: not listed under base models).
    pub fn base_models(&self) -> Option<&[BaseModelRef]> {
        self.base_models.as_deref()
    }

    /// Append the packed kinds to `spool`: what memory keeps of them is their place.
    pub fn spool(self, spool: &BlobSpool) -> Result<SpooledRefs> {
        let lists = if self.json.iter().all(Option::is_none) {
            None
        } else {
            Some(spool.append(&Lists::encode(&self.json))?)
        };
        Ok(SpooledRefs {
            base_models: self.base_models,
            lists,
        })
    }

    /// The packed kinds, as read back.
    fn lists(&self) -> Lists<'_> {
        Lists(std::array::from_fn(|slot| self.json[slot].as_deref()))
    }
}

/// One model's references, their packed kinds in the run's spool (see the [module](self)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SpooledRefs {
    base_models: Option<Vec<BaseModelRef>>,
    /// `None`: listed under no packed kind.
    lists: Option<BlobAt>,
}

impl SpooledRefs {
    /// The base models (`None`: not listed under base models).
    pub fn base_models(&self) -> Option<&[BaseModelRef]> {
        self.base_models.as_deref()
    }
}

/// The six packed kinds of one model, borrowed: from a [`PackedRefs`], or read back into a
/// buffer ([`Lists::decode`]).
struct Lists<'a>([Option<&'a [u8]>; 6]);

/// The length written for a kind the model is not listed under.
const ABSENT: u32 = u32::MAX;

impl<'a> Lists<'a> {
    /// The blob of `json`: the six lengths (little-endian `u32`, [`ABSENT`] for `None`), then
    /// the lists one after the other.
    fn encode(json: &[Option<Box<[u8]>>; 6]) -> Vec<u8> {
        let total: usize = json.iter().flatten().map(|j| j.len()).sum();
        let mut blob = Vec::with_capacity(24 + total);
        for list in json {
            // A list of a model's references: far below 4 GiB.
            let len = list.as_ref().map_or(ABSENT, |j| j.len() as u32);
            blob.extend_from_slice(&len.to_le_bytes());
        }
        for list in json.iter().flatten() {
            blob.extend_from_slice(list);
        }
        blob
    }

    /// The lists of a blob [`encode`](Self::encode) wrote; `None` if it is not one.
    fn decode(blob: &'a [u8]) -> Option<Self> {
        let (header, mut rest) = blob.split_at_checked(24)?;
        let mut lists = [None; 6];
        for (slot, len) in header.chunks_exact(4).enumerate() {
            let len = u32::from_le_bytes(len.try_into().ok()?);
            if len != ABSENT {
                let (list, after) = rest.split_at_checked(len as usize)?;
                lists[slot] = Some(list);
                rest = after;
            }
        }
        rest.is_empty().then_some(Self(lists))
    }

    /// The ids of a packed kind's references. The bytes are this module's own encoding of
    /// references, each with an id: they always decode.
    fn ids(&self, slot: usize) -> Vec<IdOf> {
        self.decode_slot(slot).ok().flatten().unwrap_or_default()
    }

    /// The references of a packed kind, decoded (`None`: the model is not listed there).
    fn decode_slot<R: DeserializeOwned>(&self, slot: usize) -> serde_json::Result<Option<Vec<R>>> {
        self.0[slot].map(decode).transpose()
    }

    /// Owned, to be spooled again.
    fn to_owned_json(&self) -> [Option<Box<[u8]>>; 6] {
        std::array::from_fn(|slot| self.0[slot].map(Box::from))
    }
}

/// An empty list is an empty slice; any other as its compact JSON.
fn encode<R: Serialize>(refs: &[R]) -> Box<[u8]> {
    if refs.is_empty() {
        return Box::default();
    }
    // A list of plain structs of strings, enums and lists: serialising it cannot fail.
    serde_json::to_vec(refs).unwrap_or_default().into()
}

fn decode<R: DeserializeOwned>(json: &[u8]) -> serde_json::Result<Vec<R>> {
    if json.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_slice(json)
}

/// What every reference has: its id.
#[derive(Deserialize)]
struct IdOf {
    id: String,
}

/// The references of a run, one [`SpooledRefs`] per model id, with the distinct ids of the
/// packed kinds counted (how many references name each), so replacing a model keeps them exact.
/// Cloning it is cheap but for the models' places: the clones share the spool.
#[derive(Debug, Default, Clone)]
pub(crate) struct PackedRun {
    spool: BlobSpool,
    models: BTreeMap<Box<str>, SpooledRefs>,
    ids: [BTreeMap<Box<str>, u32>; 6],
}

impl PackedRun {
    /// No references yet, spooled to `spool`: the run's, to take the [`SpooledRefs`] of its
    /// models.
    pub fn new(spool: &BlobSpool) -> Self {
        Self {
            spool: spool.clone(),
            ..Self::default()
        }
    }

    /// How many models the run holds.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.models.len()
    }

    /// Add one model's references, replacing earlier ones of the same id.
    pub fn insert(&mut self, model_id: &str, refs: PackedRefs) -> Result<()> {
        count(&mut self.ids, &refs.lists(), 1);
        let spooled = refs.spool(&self.spool)?;
        self.replace(model_id, spooled)
    }

    /// Add one model's references spooled to this run's spool, replacing earlier ones of the
    /// same id.
    pub fn insert_spooled(&mut self, model_id: &str, refs: SpooledRefs) -> Result<()> {
        let mut buffer = Vec::new();
        self.with_lists(&refs, &mut buffer, |ids, lists| count(ids, lists, 1))?;
        self.replace(model_id, refs)
    }

    /// Keep `refs` (already counted) under `model_id`; the ids of what it replaces are no
    /// longer counted.
    fn replace(&mut self, model_id: &str, refs: SpooledRefs) -> Result<()> {
        if let Some(old) = self.models.insert(model_id.into(), refs) {
            let mut buffer = Vec::new();
            self.with_lists(&old, &mut buffer, |ids, lists| count(ids, lists, -1))?;
        }
        Ok(())
    }

    /// `f` handed the counts and the packed kinds of `refs`, read back into `buffer`.
    fn with_lists<T>(
        &mut self,
        refs: &SpooledRefs,
        buffer: &mut Vec<u8>,
        f: impl FnOnce(&mut [BTreeMap<Box<str>, u32>; 6], &Lists<'_>) -> T,
    ) -> Result<T> {
        let lists = read_lists(&self.spool, refs, buffer)?;
        Ok(f(&mut self.ids, &lists))
    }

    /// The base models of one model.
    pub fn base_models(&self, model_id: &str) -> Option<&[BaseModelRef]> {
        self.models.get(model_id)?.base_models()
    }

    /// Set every model's base models from `map` (a model of `map` not in the run is added,
    /// listed under base models only).
    pub fn put_base_models(&mut self, map: BTreeMap<String, Vec<BaseModelRef>>) {
        for m in self.models.values_mut() {
            m.base_models = None;
        }
        for (id, refs) in map {
            self.models.entry(id.into()).or_default().base_models = Some(refs);
        }
    }

    /// Name every base-model reference by the canonical id of the model it names, among the
    /// models `read` (see [`canonicalise_base_models`](hf_enrich::lineage::canonicalise_base_models)).
    pub fn canonicalise_base_models<'m>(&mut self, read: impl IntoIterator<Item = &'m ModelKey>) {
        hf_enrich::lineage::canonicalise_base_models(self, read);
    }

    /// The distinct ids of one kind, sorted.
    pub fn ids(&self, kind: EntityKind) -> Vec<String> {
        match slot(kind) {
            Some(slot) => self.ids[slot].keys().map(|id| id.to_string()).collect(),
            None => {
                let all: std::collections::BTreeSet<&str> = self
                    .models
                    .values()
                    .flat_map(|m| m.base_models.iter().flatten())
                    .map(|r| r.id.as_str())
                    .collect();
                all.into_iter().map(str::to_owned).collect()
            }
        }
    }

    /// What the enrichment of `kind` reads: that kind's distinct ids and, for articles and
    /// licenses, one reference per id (the kind first seen in model order; the first license
    /// name and link), listed under the first model naming it. The other kinds are left empty.
    pub fn for_enrichment(&self, kind: EntityKind) -> Result<IdentifiedRun> {
        let mut run = IdentifiedRun::default();
        let ids = self.ids(kind);
        let out = &mut run.ids;
        match kind {
            EntityKind::Datasets => out.datasets = ids,
            EntityKind::Articles => {
                out.articles = ids;
                run.refs.articles = self.first_of(kind, |_: &mut ArticleRef, _| {})?;
            }
            EntityKind::BaseModels => out.base_models = ids,
            EntityKind::Keywords => out.keywords = ids,
            EntityKind::Licenses => {
                out.licenses = ids;
                run.refs.licenses = self.first_of(kind, |kept: &mut LicenseRef, r| {
                    kept.license_name = kept.license_name.take().or(r.license_name);
                    kept.license_link = kept.license_link.take().or(r.license_link);
                    // A custom license only if no model declares the id as a license id.
                    kept.custom &= r.custom;
                })?;
            }
            EntityKind::Languages => out.languages = ids,
            EntityKind::Tasks => out.tasks = ids,
        }
        Ok(run)
    }

    /// The first reference of each id of a packed kind, in model order, under the model first
    /// naming it; each later reference of that id is `fold`ed into it.
    fn first_of<R: DeserializeOwned + HasId>(
        &self,
        kind: EntityKind,
        fold: impl Fn(&mut R, R),
    ) -> Result<BTreeMap<String, Vec<R>>> {
        let Some(slot) = slot(kind) else {
            return Ok(BTreeMap::new());
        };
        // (model id, its position in the list) of each id's first reference.
        let mut first: BTreeMap<String, (String, usize)> = BTreeMap::new();
        let mut out: BTreeMap<String, Vec<R>> = BTreeMap::new();
        let mut buffer = Vec::new();
        for (model_id, m) in &self.models {
            let lists = read_lists(&self.spool, m, &mut buffer)?;
            // This module's own encoding of references of this kind: it always decodes.
            for r in lists
                .decode_slot::<R>(slot)
                .ok()
                .flatten()
                .unwrap_or_default()
            {
                match first.get(r.id()) {
                    Some((model, at)) => {
                        if let Some(kept) = out.get_mut(model).and_then(|l| l.get_mut(*at)) {
                            fold(kept, r);
                        }
                    }
                    None => {
                        let list = out.entry(model_id.to_string()).or_default();
                        first.insert(r.id().to_owned(), (model_id.to_string(), list.len()));
                        list.push(r);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Write one kind's `{model_id: [references]}` map, model by model, into `object`: the
    /// models listed under that kind, in id order.
    /// `path` names the file in errors.
    pub fn write_kind(
        &self,
        kind: EntityKind,
        object: &mut JsonWriter<'_>,
        path: &Path,
    ) -> crate::Result<()> {
        self.write_kind_with(kind, object, path, decode)
    }

    /// [`write_kind`](Self::write_kind), each model's references of a packed kind rewritten
    /// with `f` on the way (e.g. named by their canonical dataset ids): this run stays as it
    /// is for whoever else reads it.
    pub fn write_kind_rewritten<R: Serialize + DeserializeOwned>(
        &self,
        kind: EntityKind,
        object: &mut JsonWriter<'_>,
        path: &Path,
        f: impl Fn(&mut Vec<R>),
    ) -> crate::Result<()> {
        self.write_kind_with(kind, object, path, |json| {
            let mut refs: Vec<R> = decode(json)?;
            f(&mut refs);
            refs.iter().map(serde_json::to_value).collect()
        })
    }

    /// [`write_kind`](Self::write_kind) with each packed list turned into its JSON values by
    /// `values`.
    fn write_kind_with(
        &self,
        kind: EntityKind,
        object: &mut JsonWriter<'_>,
        path: &Path,
        values: impl Fn(&[u8]) -> serde_json::Result<Vec<serde_json::Value>>,
    ) -> crate::Result<()> {
        let Some(slot) = slot(kind) else {
            for (model_id, m) in &self.models {
                if let Some(refs) = &m.base_models {
                    object.entry(model_id, refs)?;
                }
            }
            return Ok(());
        };
        // A list many models name (licenses, tasks, languages …) is rendered once: its bytes
        // are kept by the list's, up to a bound.
        let mut rendered: HashMap<Box<[u8]>, Vec<u8>> = HashMap::new();
        let mut kept_bytes = 0;
        let mut buffer = Vec::new();
        for (model_id, m) in &self.models {
            let lists = read_lists(&self.spool, m, &mut buffer)?;
            let Some(json) = lists.0[slot] else { continue };
            if let Some(bytes) = rendered.get(json) {
                object.entry_rendered(model_id, bytes)?;
                continue;
            }
            // Written as a JSON value, as every entry is: the bytes of the references
            // decoded into their own types.
            let refs = values(json).map_err(|source| crate::Error::Json {
                path: path.to_owned(),
                source,
            })?;
            let bytes = object.render_value(&serde_json::Value::Array(refs))?;
            object.entry_rendered(model_id, &bytes)?;
            if kept_bytes + json.len() + bytes.len() <= SHARED_BYTES {
                kept_bytes += json.len() + bytes.len();
                rendered.insert(json.into(), bytes);
            }
        }
        Ok(())
    }

    /// Rewrite each model's references of a packed kind with `f`; the distinct ids are counted
    /// again.
    #[cfg(test)]
    fn rewrite<R: Serialize + DeserializeOwned>(
        &mut self,
        kind: EntityKind,
        f: impl Fn(&mut Vec<R>),
    ) -> Result<()> {
        let Some(slot) = slot(kind) else {
            return Ok(());
        };
        let mut buffer = Vec::new();
        let ids: Vec<Box<str>> = self.models.keys().cloned().collect();
        for id in ids {
            let Some(refs) = self.models.get(&id) else {
                continue;
            };
            let lists = read_lists(&self.spool, refs, &mut buffer)?;
            // This module's own encoding of references of this kind: it always decodes.
            let Some(mut list) = lists.decode_slot::<R>(slot).ok().flatten() else {
                continue;
            };
            f(&mut list);
            let mut json = lists.to_owned_json();
            json[slot] = Some(encode(&list));
            let changed = PackedRefs {
                base_models: refs.base_models.clone(),
                json,
            };
            let spooled = changed.spool(&self.spool)?;
            self.models.insert(id, spooled);
        }
        self.recount(slot)
    }

    /// Count the distinct ids of a packed kind again, over every model.
    fn recount(&mut self, slot: usize) -> Result<()> {
        let mut counts: BTreeMap<Box<str>, u32> = BTreeMap::new();
        let mut buffer = Vec::new();
        for m in self.models.values() {
            for IdOf { id } in read_lists(&self.spool, m, &mut buffer)?.ids(slot) {
                *counts.entry(id.into_boxed_str()).or_default() += 1;
            }
        }
        self.ids[slot] = counts;
        Ok(())
    }

    /// Replace one kind with `refs`'s map of it (read back from an earlier run): the models
    /// not in that map are no longer listed under the kind; those only there are added.
    pub fn replace_kind(&mut self, kind: EntityKind, refs: RunIdentified) -> Result<()> {
        fn set<R: Serialize>(
            run: &mut PackedRun,
            slot: usize,
            map: BTreeMap<String, Vec<R>>,
        ) -> Result<()> {
            let mut lists: BTreeMap<Box<str>, PackedRefs> = BTreeMap::new();
            let mut buffer = Vec::new();
            for (id, m) in std::mem::take(&mut run.models) {
                let mut json = read_lists(&run.spool, &m, &mut buffer)?.to_owned_json();
                json[slot] = None;
                let base_models = m.base_models;
                lists.insert(id, PackedRefs { base_models, json });
            }
            for (id, list) in map {
                lists.entry(id.into()).or_default().json[slot] = Some(encode(&list));
            }
            for (id, refs) in lists {
                let spooled = refs.spool(&run.spool)?;
                run.models.insert(id, spooled);
            }
            run.recount(slot)
        }
        let RunIdentified {
            datasets,
            articles,
            base_models,
            keywords,
            licenses,
            languages,
            tasks,
        } = refs;
        match kind {
            EntityKind::BaseModels => {
                self.put_base_models(base_models);
                Ok(())
            }
            EntityKind::Datasets => set(self, 0, datasets),
            EntityKind::Articles => set(self, 1, articles),
            EntityKind::Keywords => set(self, 2, keywords),
            EntityKind::Licenses => set(self, 3, licenses),
            EntityKind::Languages => set(self, 4, languages),
            EntityKind::Tasks => set(self, 5, tasks),
        }
    }
}

/// The lineage reads and canonicalises the base models where they are kept, beside each
/// model's other references: no map of every id is made for it.
impl BaseModelsById for PackedRun {
    fn base_models_of(&self, id: &str) -> Option<&[BaseModelRef]> {
        self.base_models(id)
    }

    fn all_base_models(&self) -> Box<dyn Iterator<Item = &BaseModelRef> + Send + '_> {
        Box::new(
            self.models
                .values()
                .flat_map(|m| m.base_models.iter().flatten()),
        )
    }

    fn rewrite_base_models(&mut self, f: &mut dyn FnMut(&mut Vec<BaseModelRef>)) {
        self.models
            .values_mut()
            .filter_map(|m| m.base_models.as_mut())
            .for_each(f);
    }
}

/// The parents the lineage reads join the run's references, packed and spooled.
impl RunReferences for PackedRun {
    type Error = crate::Error;

    fn add_parent(&mut self, id: &str, found: Identified) -> Result<()> {
        self.insert(id, PackedRefs::pack(found))
    }
}

/// The packed kinds of `refs`, read back from `spool` into `buffer`.
fn read_lists<'b>(
    spool: &BlobSpool,
    refs: &SpooledRefs,
    buffer: &'b mut Vec<u8>,
) -> Result<Lists<'b>> {
    let Some(at) = refs.lists else {
        return Ok(Lists([None; 6]));
    };
    spool.read_into(at, buffer)?;
    Lists::decode(buffer).ok_or_else(|| {
        crate::Error::io(
            "(spool of references)",
            std::io::Error::other("a blob that is not a model's references"),
        )
    })
}

/// Add (`by` 1) or remove (`by` -1) the ids of a model's packed kinds to the counts.
fn count(counts: &mut [BTreeMap<Box<str>, u32>; 6], lists: &Lists<'_>, by: i32) {
    for (slot, counts) in counts.iter_mut().enumerate() {
        for IdOf { id } in lists.ids(slot) {
            if by > 0 {
                *counts.entry(id.into_boxed_str()).or_default() += 1;
            } else if let Some(n) = counts.get_mut(id.as_str()) {
                *n -= 1;
                if *n == 0 {
                    counts.remove(id.as_str());
                }
            }
        }
    }
}

/// A reference's id.
trait HasId {
    fn id(&self) -> &str;
}

impl HasId for ArticleRef {
    fn id(&self) -> &str {
        &self.id
    }
}

impl HasId for LicenseRef {
    fn id(&self) -> &str {
        &self.id
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use hf_client::wire::ModelInfo;
    use hf_enrich::models::ModelSource;
    use serde_json::json;

    use super::*;

    /// A model with a card naming something of every kind.
    fn model(id: &str, license: &str, dataset: &str, arxiv: &str) -> FetchedModel {
        let info: ModelInfo = serde_json::from_value(json!({
            "id": id,
            "tags": ["license:".to_owned() + license, "en", "text-classification", "pytorch"],
            "pipeline_tag": "text-classification",
        }))
        .unwrap();
        let base = id.replace('/', "-");
        // One custom license, its name spelled per model (`Acme terms` for `a/two`).
        let terms = if id.starts_with('a') {
            "terms"
        } else {
            "Terms"
        };
        let card = format!(
            "---\nlicense: {license}\nlicense_name: Acme {terms}\nlicense_link: https://x.org/{id}\n\
             datasets: [{dataset}]\nbase_model: org/base-of-{base}\nlanguage: [en, de]\n---\n\
             See arXiv:{arxiv} and doi:10.1000/{dataset}.\n"
        );
        FetchedModel::new(info, Some(card), ModelSource::File)
    }

    fn models() -> Vec<FetchedModel> {
        vec![
            model("z/one", "other", "squad", "2106.09685"),
            model("a/two", "other", "glue", "2106.09685"),
            model("m/three", "mit", "squad", "1810.04805"),
        ]
    }

    /// The run packed, and as the decoded maps it stands for.
    fn both(models: &[FetchedModel]) -> (PackedRun, IdentifiedRun) {
        let mut packed = PackedRun::default();
        let mut refs = RunIdentified::default();
        for m in models {
            packed.insert(&m.id, PackedRefs::of(m)).unwrap();
            refs.insert(&m.id, identify_model(m));
        }
        (packed, IdentifiedRun::from_refs(refs))
    }

    fn written(fill: impl FnOnce(&mut JsonWriter<'_>) -> crate::Result<()>) -> String {
        let mut out = Vec::new();
        let mut object = JsonWriter::object(&mut out, Path::new("test.json"));
        fill(&mut object).unwrap();
        object.finish().unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Each kind's file, written from the packed run and from the decoded map.
    fn files(packed: &PackedRun, decoded: &RunIdentified) -> Vec<(String, String)> {
        fn map<R: Serialize>(map: &BTreeMap<String, Vec<R>>) -> String {
            written(|object| map.iter().try_for_each(|(m, refs)| object.entry(m, refs)))
        }
        EntityKind::ALL
            .into_iter()
            .map(|kind| {
                let from_packed =
                    written(|object| packed.write_kind(kind, object, Path::new("test.json")));
                let from_decoded = match kind {
                    EntityKind::Datasets => map(&decoded.datasets),
                    EntityKind::Articles => map(&decoded.articles),
                    EntityKind::BaseModels => map(&decoded.base_models),
                    EntityKind::Keywords => map(&decoded.keywords),
                    EntityKind::Licenses => map(&decoded.licenses),
                    EntityKind::Languages => map(&decoded.languages),
                    EntityKind::Tasks => map(&decoded.tasks),
                };
                (from_packed, from_decoded)
            })
            .collect()
    }

    #[test]
    fn every_kind_is_written_as_the_decoded_map_writes_it() {
        let (packed, decoded) = both(&models());
        assert_eq!(packed.len(), 3);
        for (from_packed, from_decoded) in files(&packed, &decoded.refs) {
            assert_eq!(from_packed, from_decoded);
        }
        // Something of every kind was found, so the files compare references, not `[]`.
        for kind in EntityKind::ALL {
            assert!(!decoded.ids.get(kind).is_empty(), "{kind:?}");
        }
        assert_eq!(
            packed.base_models("a/two").unwrap(),
            decoded.refs.base_models["a/two"]
        );
    }

    #[test]
    fn the_distinct_ids_are_those_of_the_decoded_run() {
        let (packed, decoded) = both(&models());
        for kind in EntityKind::ALL {
            assert_eq!(packed.ids(kind), decoded.ids.get(kind), "{kind:?}");
        }
        assert_eq!(packed.ids(EntityKind::Datasets), ["glue", "squad"]);
    }

    #[test]
    fn a_model_added_again_replaces_its_references_and_their_ids() {
        let mut all = models();
        let (mut packed, _) = both(&all);
        // `a/two` is the only model naming glue; now it names mnli instead.
        let again = model("a/two", "other", "mnli", "2106.09685");
        packed.insert("a/two", PackedRefs::of(&again)).unwrap();
        all[1] = again;
        let (_, decoded) = both(&all);
        assert_eq!(packed.len(), 3);
        assert_eq!(packed.ids(EntityKind::Datasets), ["mnli", "squad"]);
        for kind in EntityKind::ALL {
            assert_eq!(packed.ids(kind), decoded.ids.get(kind), "{kind:?}");
        }
        for (from_packed, from_decoded) in files(&packed, &decoded.refs) {
            assert_eq!(from_packed, from_decoded);
        }
    }

    #[test]
    fn the_enrichment_reads_the_first_kind_and_license_name_of_each_id() {
        let (packed, _) = both(&models());
        let licenses = packed.for_enrichment(EntityKind::Licenses).unwrap();
        // `license: other` with a `license_name` is identified by the name.
        assert_eq!(licenses.ids.licenses, ["acme-terms", "mit"]);
        assert!(licenses.ids.datasets.is_empty());
        let other: Vec<&LicenseRef> = licenses
            .refs
            .licenses
            .values()
            .flatten()
            .filter(|r| r.id == "acme-terms")
            .collect();
        // One reference per id, with the name of the first model (in id order) naming it.
        assert_eq!(other.len(), 1);
        assert!(other[0].custom);
        assert_eq!(other[0].license_name.as_deref(), Some("Acme terms"));
        assert_eq!(
            other[0].license_link.as_deref(),
            Some("https://x.org/a/two")
        );

        let articles = packed.for_enrichment(EntityKind::Articles).unwrap();
        let ids: Vec<&str> = articles
            .refs
            .articles
            .values()
            .flatten()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(articles.ids.articles.len(), ids.len());
        assert!(ids.contains(&"2106.09685"));
        assert_eq!(
            packed.for_enrichment(EntityKind::Tasks).unwrap().ids.tasks,
            ["text-classification"]
        );
    }

    #[test]
    fn a_kind_written_rewritten_is_the_kind_rewritten_and_the_run_stays_as_it_is() {
        let (packed, decoded) = both(&models());
        let rename = |refs: &mut Vec<hf_identifiers::DatasetRef>| {
            for r in refs.iter_mut().filter(|r| r.id == "squad") {
                r.id = "rajpurkar/squad".into();
            }
        };
        let on_the_way = written(|o| {
            packed.write_kind_rewritten(EntityKind::Datasets, o, Path::new("t"), rename)
        });
        assert!(on_the_way.contains("rajpurkar/squad"));
        // The same bytes as the run's references rewritten first, then written.
        let mut rewritten = packed.clone();
        rewritten.rewrite(EntityKind::Datasets, rename).unwrap();
        assert_eq!(
            rewritten.ids(EntityKind::Datasets),
            ["glue", "rajpurkar/squad"]
        );
        let after = written(|o| rewritten.write_kind(EntityKind::Datasets, o, Path::new("t")));
        assert_eq!(on_the_way, after);
        // The run it was written from reads as before.
        assert_eq!(packed.ids(EntityKind::Datasets), decoded.ids.datasets);
    }

    #[test]
    fn a_kind_read_back_replaces_that_kind_only() {
        let (mut packed, decoded) = both(&models());
        let read = RunIdentified {
            datasets: BTreeMap::from([(
                "m/three".to_owned(),
                decoded.refs.datasets["z/one"].clone(),
            )]),
            ..RunIdentified::default()
        };
        packed
            .replace_kind(EntityKind::Datasets, read.clone())
            .unwrap();
        assert_eq!(packed.ids(EntityKind::Datasets), ["squad"]);
        let datasets = written(|o| packed.write_kind(EntityKind::Datasets, o, Path::new("t")));
        let expected = written(|o| {
            read.datasets
                .iter()
                .try_for_each(|(m, refs)| o.entry(m, refs))
        });
        assert_eq!(datasets, expected);
        assert_eq!(packed.ids(EntityKind::Licenses), decoded.ids.licenses);
    }

    #[test]
    fn the_lineage_adds_parents_and_canonical_base_models() {
        let (mut packed, _) = both(&models());
        assert_eq!(packed.all_base_models().count(), 3);
        let parent = model("org/base-of-a-two", "apache-2.0", "wikitext", "1706.03762");
        packed
            .add_parent(&parent.id, identify_model(&parent))
            .unwrap();
        assert_eq!(packed.len(), 4);
        assert!(
            packed
                .ids(EntityKind::Datasets)
                .contains(&"wikitext".to_owned())
        );
        assert_eq!(
            packed.ids(EntityKind::BaseModels),
            [
                "org/base-of-a-two",
                "org/base-of-m-three",
                "org/base-of-org-base-of-a-two",
                "org/base-of-z-one"
            ]
        );
        // A model read under another case names the references to it, where they are kept.
        let read = ModelKey {
            id: "Org/Base-Of-Z-One".into(),
            aliases: Default::default(),
        };
        packed.canonicalise_base_models([&read]);
        assert_eq!(
            packed.base_models("z/one").unwrap()[0].id,
            "Org/Base-Of-Z-One"
        );
        assert_eq!(packed.all_base_models().count(), 4);
    }
}

#[cfg(test)]
mod spooled {
    #![allow(clippy::unwrap_used)]

    use hf_identifiers::LanguageRef;

    use super::*;

    fn languages(codes: &[&str]) -> PackedRefs {
        let refs: Vec<LanguageRef> = codes
            .iter()
            .map(|c| {
                serde_json::from_value(
                    serde_json::json!({"id": c, "raw": c, "provenance": ["tag"], "iso": true}),
                )
                .unwrap()
            })
            .collect();
        PackedRefs::pack(Identified {
            languages: refs,
            ..Identified::default()
        })
    }

    fn written(run: &PackedRun, kind: EntityKind) -> Vec<u8> {
        let mut out = Vec::new();
        let mut object = JsonWriter::object(&mut out, Path::new("t.json"));
        run.write_kind(kind, &mut object, Path::new("t.json"))
            .unwrap();
        object.finish().unwrap();
        out
    }

    #[test]
    fn references_spooled_to_a_folder_are_written_and_counted_as_those_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let spool = BlobSpool::in_folder(dir.path());
        let mut on_disk = PackedRun::new(&spool);
        let mut in_memory = PackedRun::default();
        let lists: [(&str, &[&str]); 4] = [
            ("a/one", &["en", "de"]),
            ("b/two", &["en", "de"]),
            ("c/three", &["fr"]),
            ("d/four", &[]),
        ];
        for (id, codes) in lists {
            // Spooled as the sources spool them (as a model arrives), or by the run.
            let spooled = languages(codes).spool(&spool).unwrap();
            assert_eq!(spooled.base_models(), Some(&[][..]));
            on_disk.insert_spooled(id, spooled).unwrap();
            in_memory.insert(id, languages(codes)).unwrap();
        }
        for run in [&on_disk, &in_memory] {
            assert_eq!(run.ids(EntityKind::Languages), ["de", "en", "fr"]);
            assert!(run.ids(EntityKind::Datasets).is_empty());
        }
        for kind in EntityKind::ALL {
            assert_eq!(
                written(&on_disk, kind),
                written(&in_memory, kind),
                "{kind:?}"
            );
        }
        let languages = String::from_utf8(written(&on_disk, EntityKind::Languages)).unwrap();
        assert!(languages.contains("\"d/four\": []"), "{languages}");
        // Replacing a model uncounts what it named; the spool's file has no name.
        on_disk.insert("c/three", PackedRefs::default()).unwrap();
        assert_eq!(on_disk.ids(EntityKind::Languages), ["de", "en"]);
        assert!(
            !String::from_utf8(written(&on_disk, EntityKind::Languages))
                .unwrap()
                .contains("c/three")
        );
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    }

    #[test]
    fn references_of_another_spool_are_refused() {
        let elsewhere = BlobSpool::default();
        let spooled = languages(&["en"]).spool(&elsewhere).unwrap();
        let mut run = PackedRun::default();
        assert!(run.insert_spooled("a/one", spooled).is_err());
    }

    #[test]
    fn a_blob_is_its_lists_back() {
        let json: [Option<Box<[u8]>>; 6] = [
            Some(Box::from(&b"[1]"[..])),
            None,
            Some(Box::default()),
            None,
            Some(Box::from(&b"[\"x\"]"[..])),
            None,
        ];
        let blob = Lists::encode(&json);
        let lists = Lists::decode(&blob).unwrap();
        assert_eq!(lists.to_owned_json(), json);
        // Cut short or with bytes left over: not a blob of lists.
        assert!(Lists::decode(&blob[..blob.len() - 1]).is_none());
        assert!(Lists::decode(&[blob.as_slice(), b"!"].concat()).is_none());
        assert!(Lists::decode(&blob[..10]).is_none());
    }
}
