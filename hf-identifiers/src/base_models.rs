//! Base models: `base_model:` tags (both forms), the card's `base_model` and `base_model_relation`,
//! the API's `baseModels`, the usual card sentences of fine-tuned, quantized, adapter and merged
//! models, and the mergekit configuration of a merged model's card (its `base_model:` marked as
//! the merge's base).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::card_text::model_from_url;
use crate::collect::{Collector, Mergeable, merge_provenance};
use crate::{EntityIdentifier, EntityKind, Evidence, Provenance};

/// How a model derives from its base model (the Hub's `base_model_relation`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// Fine-tuned from the base.
    Finetune,
    /// An adapter (LoRA, PEFT) on top of the base.
    Adapter,
    /// A quantized (or format-converted: GGUF, MLX) copy of the base.
    Quantized,
    /// A merge of several bases.
    Merge,
    /// Not stated.
    #[default]
    Unspecified,
}

impl Relation {
    /// Parses a relation name (`finetune`, `adapter`, `quantized`, `merge`; a few spellings accepted).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "finetune" | "fine-tune" | "finetuned" | "fine_tune" => Some(Self::Finetune),
            "adapter" | "lora" | "peft" => Some(Self::Adapter),
            "quantized" | "quantised" | "quantization" | "quant" => Some(Self::Quantized),
            "merge" | "merged" => Some(Self::Merge),
            _ => None,
        }
    }
}

/// How much to trust a base-model reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Declared in a structured place: the API, a tag or the card data.
    High,
    /// Only read from a sentence of the card text.
    Low,
}

/// A base (parent) model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BaseModelRef {
    /// The model id (`owner/name`, or a legacy single name).
    pub id: String,
    /// The text it came from.
    pub raw: String,
    /// Where it was found.
    pub provenance: Vec<Provenance>,
    /// The relation, from the most structured place that states one.
    pub relation: Relation,
    /// `high` when declared anywhere structured, `low` when only the card text names it.
    pub confidence: Confidence,
    /// Whether this parent is the base of a merge: the `base_model:` of a mergekit configuration
    /// in the card (the other merged models are parents with relation `merge` too). Serialised
    /// only when `true`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub merge_base: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Mergeable for BaseModelRef {
    fn key(&self) -> String {
        self.id.to_ascii_lowercase()
    }
    fn sort_id(&self) -> &str {
        &self.id
    }
    fn merge(&mut self, other: Self) {
        merge_provenance(&mut self.provenance, &other.provenance);
        // Findings arrive from the most to the least structured source: a stated relation wins over
        // an unspecified one, and a structured one over one read from the text.
        let self_text_only = self.confidence == Confidence::Low;
        if self.relation == Relation::Unspecified
            || (self_text_only
                && other.confidence == Confidence::High
                && other.relation != Relation::Unspecified)
        {
            self.relation = other.relation;
        }
        self.confidence = self.confidence.min(other.confidence);
        self.merge_base |= other.merge_base;
    }
}

/// Merges the references of one model that name the same base model (compared without regard to
/// ASCII case), in any order: the provenances are united, the highest confidence is kept, and the
/// relation and `raw` text are those of the most structured finding (the API's over a tag's over
/// the card data's over the card text's), unless it states no relation. The result is ordered by
/// id as the identifiers order it.
///
/// Used once ids were made canonical: a sentence naming `bert-base-uncased` and the API's
/// `google-bert/bert-base-uncased` are one parent once the legacy id is known.
///
/// ```
/// use hf_identifiers::{BaseModelRef, Confidence, Provenance, Relation};
/// use hf_identifiers::base_models::merge_base_model_refs;
///
/// let found = |raw: &str, p, relation, confidence| BaseModelRef {
///     id: "google-bert/bert-base-uncased".into(),
///     raw: raw.into(),
///     provenance: vec![p],
///     relation,
///     confidence,
///     merge_base: false,
/// };
/// let merged = merge_base_model_refs(vec![
///     found("fine-tuned version of [bert-base-uncased]", Provenance::CardText, Relation::Finetune, Confidence::Low),
///     found("google-bert/bert-base-uncased", Provenance::Api, Relation::Adapter, Confidence::High),
/// ]);
/// assert_eq!(merged.len(), 1);
/// assert_eq!(merged[0].provenance, [Provenance::Api, Provenance::CardText]);
/// assert_eq!(merged[0].confidence, Confidence::High);
/// assert_eq!(merged[0].relation, Relation::Adapter);
/// assert_eq!(merged[0].raw, "google-bert/bert-base-uncased");
/// ```
pub fn merge_base_model_refs(mut refs: Vec<BaseModelRef>) -> Vec<BaseModelRef> {
    // The order the identifiers find them in: the most structured first (a stable sort keeps the
    // order of equals).
    refs.sort_by_key(|r| (r.provenance.first().copied(), r.confidence));
    let mut out = Collector::new();
    for r in refs {
        out.add(r);
    }
    out.finish()
}

/// Finds base models.
#[derive(Debug, Clone, Copy, Default)]
pub struct BaseModelIdentifier;

/// Normalises a declared base model: a Hub URL becomes its id; local paths (`./out`,
/// `/content/…`, `~/…`, `C:\…`), other URLs, blanks and `None` are rejected — except paths into a
/// Hub cache, which name their repo (`…/hub/models--Qwen--Qwen3-14B/snapshots/…`,
/// `…/modelscope/hub/models/Qwen/Qwen3-14B`).
pub fn normalize_model_id(raw: &str) -> Option<String> {
    let s = raw.trim().trim_matches(['"', '\'']).trim();
    if let Some(id) = cached_repo(s) {
        return Some(id);
    }
    if s.starts_with("http://")
        || s.starts_with("https://")
        || s.starts_with("huggingface.co/")
        || s.starts_with("hf.co/")
    {
        return model_from_url(s);
    }
    if s.is_empty()
        || s.eq_ignore_ascii_case("none")
        || s.eq_ignore_ascii_case("null")
        || s.starts_with(['.', '/', '~', '\\'])
        || s.contains('\\')
        || s.contains("//")
        || s.contains(':')
    {
        return None;
    }
    let mut segs = s.split('/');
    let ok = |x: &str| {
        !x.is_empty()
            && x.len() <= 96
            && x.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && x.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
            && !x.ends_with('.')
    };
    let first = segs.next()?;
    match (segs.next(), segs.next()) {
        (None, _) if ok(first) => Some(first.to_string()),
        (Some(second), None) if ok(first) && ok(second) => Some(s.to_string()),
        _ => None,
    }
}

/// The repo a local path into a Hub cache names, if it is one.
fn cached_repo(path: &str) -> Option<String> {
    let path = path.replace('\\', "/");
    let valid = |x: &str| {
        !x.is_empty()
            && x.len() <= 96
            && x.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && x.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    };
    // huggingface_hub's cache: `models--{owner}--{name}`.
    if let Some(at) = path.find("/models--") {
        let rest = path.get(at + "/models--".len()..)?;
        let dir = rest.split('/').next()?;
        let (owner, name) = dir.split_once("--")?;
        return (valid(owner) && valid(name)).then(|| format!("{owner}/{name}"));
    }
    // ModelScope's cache: `modelscope/hub/models/{owner}/{name}` (older: `modelscope/hub/{owner}/{name}`).
    let at = path.find("/modelscope/hub/")?;
    let rest = path.get(at + "/modelscope/hub/".len()..)?;
    let rest = rest.strip_prefix("models/").unwrap_or(rest);
    let mut segs = rest.split('/').filter(|s| !s.is_empty());
    let (owner, name) = (segs.next()?, segs.next()?);
    (segs.next().is_none() && valid(owner) && valid(name)).then(|| format!("{owner}/{name}"))
}

/// Reads the API's `baseModels` in any shape: `{"relation": …, "models": [{"id": …}]}`, a list of
/// such objects, a list of ids or objects, or a bare id.
fn api_base_models(
    value: &Value,
    relation: Relation,
    out: &mut Vec<(String, Relation)>,
    depth: usize,
) {
    if depth > 8 {
        return;
    }
    match value {
        Value::String(s) => out.push((s.clone(), relation)),
        Value::Array(items) => {
            for item in items {
                api_base_models(item, relation, out, depth + 1);
            }
        }
        Value::Object(map) => {
            let relation = map
                .get("relation")
                .and_then(Value::as_str)
                .and_then(Relation::parse)
                .unwrap_or(relation);
            if let Some(models) = map.get("models") {
                api_base_models(models, relation, out, depth + 1);
            }
            if let Some(Value::String(id)) = map.get("id") {
                out.push((id.clone(), relation));
            }
        }
        _ => {}
    }
}

impl EntityIdentifier for BaseModelIdentifier {
    type Ref = BaseModelRef;
    const KIND: EntityKind = EntityKind::BaseModels;

    fn identify(&self, ev: &Evidence<'_>) -> Vec<BaseModelRef> {
        let me = ev.model_id().to_ascii_lowercase();
        let mut out = Collector::new();
        let mut add = |raw_id: &str, raw: &str, relation: Relation, p: Provenance, merge_base| {
            let Some(id) = normalize_model_id(raw_id) else {
                return;
            };
            if id.to_ascii_lowercase() == me {
                return;
            }
            out.add(BaseModelRef {
                id,
                raw: raw.to_string(),
                provenance: vec![p],
                relation,
                confidence: if p.is_declared() {
                    Confidence::High
                } else {
                    Confidence::Low
                },
                merge_base,
            });
        };

        if let Some(value) = ev.view().base_models {
            let mut found = Vec::new();
            api_base_models(value, Relation::Unspecified, &mut found, 0);
            for (id, relation) in found {
                add(&id, &id, relation, Provenance::Api, false);
            }
        }
        for (tag, p) in ev.all_tags() {
            let Some(value) = tag.strip_prefix("base_model:") else {
                continue;
            };
            // `base_model:<relation>:<id>` or `base_model:<id>` (ids never contain `:`).
            let (relation, id) = match value.split_once(':') {
                Some((rel, id)) => match Relation::parse(rel) {
                    Some(r) => (r, id),
                    None => continue,
                },
                None => (Relation::Unspecified, value),
            };
            add(id, tag, relation, p, false);
        }
        let card_relation = ev
            .card_string("base_model_relation")
            .and_then(|r| Relation::parse(&r))
            .unwrap_or_default();
        let card_bases = ev.card_strings("base_model");
        let tag_bases = hub_tag_bases(ev);
        for raw in &card_bases {
            // The Hub derives its `base_model:` tags from the card's `base_model`, resolving renamed
            // repos. When the card names exactly one base and the Hub's tags exactly one other, the
            // card's value is the old name of the tagged repo: one entity, not two.
            let id = match (card_bases.len(), tag_bases.as_slice()) {
                (1, [tagged])
                    if normalize_model_id(raw).is_some_and(|c| !c.eq_ignore_ascii_case(tagged)) =>
                {
                    tagged.as_str()
                }
                _ => raw.as_str(),
            };
            add(id, raw, card_relation, ev.card_provenance(), false);
        }
        for parent in &ev.scan().parents {
            add(
                &parent.id,
                &parent.raw,
                parent.relation,
                Provenance::CardText,
                parent.merge_base,
            );
        }
        out.finish()
    }
}

/// The distinct base models named by the Hub's own `base_model:` tags (not the card's tags).
fn hub_tag_bases(ev: &Evidence<'_>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in ev.tags() {
        let Some(value) = tag.strip_prefix("base_model:") else {
            continue;
        };
        let id = value.rsplit_once(':').map_or(value, |(_, id)| id);
        if let Some(id) = normalize_model_id(id)
            && !out.iter().any(|o| o.eq_ignore_ascii_case(&id))
        {
            out.push(id);
        }
    }
    out
}

/// Whether a tag is claimed by the base-model identifier (`base_model:` tags, valid or not).
pub(crate) fn claims_tag(tag: &str) -> bool {
    tag.starts_with("base_model:")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ModelView;
    use serde_json::json;

    #[test]
    fn normalize_table() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "mistralai/Mistral-7B-v0.1",
                Some("mistralai/Mistral-7B-v0.1"),
            ),
            ("gpt2", Some("gpt2")),
            ("https://huggingface.co/a/b", Some("a/b")),
            ("./out", None),
            ("../x", None),
            ("/content/drive/model", None),
            (
                "/home/u/.cache/modelscope/hub/models/Qwen/Qwen3-14B",
                Some("Qwen/Qwen3-14B"),
            ),
            (
                "/root/.cache/huggingface/hub/models--meta-llama--Llama-3.1-8B/snapshots/0e9e39f",
                Some("meta-llama/Llama-3.1-8B"),
            ),
            (
                "C:\\Users\\me\\.cache\\huggingface\\hub\\models--a--b",
                Some("a/b"),
            ),
            (
                "/home/u/.cache/modelscope/hub/models/Qwen/Qwen3-14B/checkpoint-3",
                None,
            ),
            ("C:\\models\\x", None),
            ("C:/models/x", None),
            ("~/models/x", None),
            ("a/b/c", None),
            ("None", None),
            ("", None),
        ];
        for (input, expected) in cases {
            assert_eq!(
                normalize_model_id(input).as_deref(),
                *expected,
                "input: {input:?}"
            );
        }
    }

    fn identify(view: &ModelView<'_>) -> Vec<(String, Relation, Confidence, Vec<Provenance>)> {
        BaseModelIdentifier
            .identify(&Evidence::new(view))
            .into_iter()
            .map(|b| (b.id, b.relation, b.confidence, b.provenance))
            .collect()
    }

    #[test]
    fn tag_forms_merge_into_one_reference() {
        let tags = vec![
            "base_model:a/b".to_string(),
            "base_model:finetune:a/b".to_string(),
        ];
        let view = ModelView {
            tags: &tags,
            ..ModelView::new("x/y")
        };
        assert_eq!(
            identify(&view),
            vec![(
                "a/b".into(),
                Relation::Finetune,
                Confidence::High,
                vec![Provenance::Tag]
            )]
        );
    }

    #[test]
    fn card_data_relation_api_and_self() {
        let card =
            json!({"base_model": ["a/b", "x/y", "./local"], "base_model_relation": "adapter"});
        let api = json!({"relation": "adapter", "models": [{"id": "a/b"}]});
        let view = ModelView {
            card_data: Some(&card),
            base_models: Some(&api),
            ..ModelView::new("x/y")
        };
        assert_eq!(
            identify(&view),
            vec![(
                "a/b".into(),
                Relation::Adapter,
                Confidence::High,
                vec![Provenance::Api, Provenance::CardData]
            )]
        );
    }

    #[test]
    fn renamed_card_base_is_the_tagged_one() {
        let tags = vec![
            "base_model:meta-llama/Llama-3.1-8B".to_string(),
            "base_model:finetune:meta-llama/Llama-3.1-8B".to_string(),
        ];
        let card = json!({"base_model": "meta-llama/Meta-Llama-3.1-8B"});
        let view = ModelView {
            tags: &tags,
            card_data: Some(&card),
            ..ModelView::new("meta-llama/Llama-3.1-8B-Instruct")
        };
        let found = BaseModelIdentifier.identify(&Evidence::new(&view));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, "meta-llama/Llama-3.1-8B");
        assert_eq!(
            found[0].provenance,
            vec![Provenance::Tag, Provenance::CardData]
        );
        // Two card bases cannot be paired with one tag: both are kept.
        let card = json!({"base_model": ["a/b", "c/d"]});
        let view = ModelView {
            tags: &tags,
            card_data: Some(&card),
            ..ModelView::new("x/y")
        };
        assert_eq!(BaseModelIdentifier.identify(&Evidence::new(&view)).len(), 3);
    }

    #[test]
    fn api_shapes() {
        let shapes = [
            json!({"relation": "quantized", "models": [{"id": "a/b"}]}),
            json!([{"relation": "quantized", "models": ["a/b"]}]),
            json!({"relation": "quantized", "models": "a/b"}),
        ];
        for api in &shapes {
            let view = ModelView {
                base_models: Some(api),
                ..ModelView::new("x/y")
            };
            assert_eq!(
                identify(&view),
                vec![(
                    "a/b".into(),
                    Relation::Quantized,
                    Confidence::High,
                    vec![Provenance::Api]
                )],
                "{api}"
            );
        }
        for junk in [json!(null), json!(3), json!({"models": {"x": 1}})] {
            let view = ModelView {
                base_models: Some(&junk),
                ..ModelView::new("x/y")
            };
            assert!(identify(&view).is_empty());
        }
    }

    #[test]
    fn card_text_table() {
        use Relation::*;
        let cases: &[(&str, &[(&str, Relation)])] = &[
            (
                "This model is a fine-tuned version of [distilbert-base-uncased](https://huggingface.co/distilbert-base-uncased) on the imdb dataset.",
                &[("distilbert-base-uncased", Finetune)],
            ),
            (
                "This model is a fine-tuned version of [None](https://huggingface.co/None).",
                &[],
            ),
            (
                "This model is a fine-tuned version of [./out](https://huggingface.co/./out) on the None dataset.",
                &[],
            ),
            (
                "This model was converted to GGUF format from [`google/gemma-3-270m`](https://huggingface.co/google/gemma-3-270m) using llama.cpp",
                &[("google/gemma-3-270m", Quantized)],
            ),
            (
                "This model [mlx-community/x](https://huggingface.co/mlx-community/x) was converted to MLX format from [a/b](https://huggingface.co/a/b) using mlx-lm",
                &[("a/b", Quantized)],
            ),
            (
                "Llamacpp imatrix Quantizations of Meta-Llama-3-8B-Instruct",
                &[],
            ),
            (
                "GGUF quants of [a/b](https://huggingface.co/a/b)",
                &[("a/b", Quantized)],
            ),
            (
                "- Original model: [Mistral 7B](https://huggingface.co/mistralai/Mistral-7B-v0.1)",
                &[("mistralai/Mistral-7B-v0.1", Unspecified)],
            ),
            (
                "This is a LoRA adapter for [a/b](https://huggingface.co/a/b).",
                &[("a/b", Adapter)],
            ),
            (
                "### Models Merged\n\nThe following models were included in the merge:\n* [a/b](https://huggingface.co/a/b)\n* c/d\n\n### Configuration\n",
                &[("a/b", Merge), ("c/d", Merge)],
            ),
            (
                "This model was merged using the SLERP merge method using [a/b](https://huggingface.co/a/b) as a base.",
                &[("a/b", Merge)],
            ),
            (
                "made by merging `a/b` and `c/d` using [mergekit](https://github.com/cg123/mergekit).",
                &[("a/b", Merge), ("c/d", Merge)],
            ),
            ("merging `a/b` with nothing else.", &[]),
            (
                "We compare against [c/d](https://huggingface.co/c/d) and see https://huggingface.co/e/f.",
                &[],
            ),
            (
                "We fine-tune on top of [Mistral 7B](https://huggingface.co/mistralai/Mistral-7B-v0.1).",
                &[("mistralai/Mistral-7B-v0.1", Finetune)],
            ),
            (
                "- **Finetuned from model [optional]:** [More Information Needed]",
                &[],
            ),
            (
                "- **Finetuned from model [optional]:** a/b",
                &[("a/b", Finetune)],
            ),
            (
                "This model is a fine-tuned version of the [LLaMA 2](https://huggingface.co/meta-llama/Llama-2-7b-hf) model.",
                &[("meta-llama/Llama-2-7b-hf", Finetune)],
            ),
            (
                "- **Base Model:** [Qwen/Qwen2.5-7B](https://huggingface.co/Qwen/Qwen2.5-7B)",
                &[("Qwen/Qwen2.5-7B", Unspecified)],
            ),
            ("| Base Model Link | LoRA Link |", &[]),
            ("```yaml\nbase_model: a/b\n```", &[]),
            (
                "We used the pretrained [`nreimers/MiniLM-L6-H384-uncased`](https://huggingface.co/nreimers/MiniLM-L6-H384-uncased) model",
                &[("nreimers/MiniLM-L6-H384-uncased", Finetune)],
            ),
            ("emerging `a/b` and `c/d`", &[]),
        ];
        for (text, expected) in cases {
            let view = ModelView {
                card_text: Some(text),
                ..ModelView::new("x/y")
            };
            let got: Vec<_> = identify(&view)
                .into_iter()
                .map(|(i, r, c, _)| (i, r, c))
                .collect();
            let expected: Vec<_> = expected
                .iter()
                .map(|(i, r)| (i.to_string(), *r, Confidence::Low))
                .collect();
            assert_eq!(got, expected, "text: {text:?}");
        }
    }

    #[test]
    fn structured_relation_beats_text() {
        let card = json!({"base_model": "a/b"});
        let text =
            "This model was converted to GGUF format from [a/b](https://huggingface.co/a/b).";
        let tags = vec!["base_model:adapter:a/b".to_string()];
        let view = ModelView {
            tags: &tags,
            card_data: Some(&card),
            card_text: Some(text),
            ..ModelView::new("x/y")
        };
        assert_eq!(
            identify(&view),
            vec![(
                "a/b".into(),
                Relation::Adapter,
                Confidence::High,
                vec![Provenance::Tag, Provenance::CardData, Provenance::CardText]
            )]
        );
    }
}
