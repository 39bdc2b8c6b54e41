//! Tasks: `pipeline_tag`, the card's `pipeline_tag` (or a dataset card's `task_categories`), and tags that are task ids of the Hub's taxonomy.

use serde::{Deserialize, Serialize};

use crate::collect::{Collector, Mergeable, merge_provenance};
use crate::vocab::hub::TASK_IDS;
use crate::{EntityIdentifier, EntityKind, Evidence, Provenance};

/// A task (pipeline type) of the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TaskRef {
    /// The task id, lowercased (`text-generation`).
    pub id: String,
    /// The text it came from.
    pub raw: String,
    /// Where it was found.
    pub provenance: Vec<Provenance>,
    /// Whether the id is one of the 57 pipeline types of the Hub's taxonomy (a declared
    /// `pipeline_tag` outside it, such as the retired `text2text-generation`, is kept but marked).
    pub known: bool,
}

impl Mergeable for TaskRef {
    fn key(&self) -> String {
        self.id.clone()
    }
    fn sort_id(&self) -> &str {
        &self.id
    }
    fn merge(&mut self, other: Self) {
        merge_provenance(&mut self.provenance, &other.provenance);
    }
}

/// Whether `id` is a task id of the Hub's taxonomy.
pub fn is_task_id(id: &str) -> bool {
    TASK_IDS.binary_search(&id).is_ok()
}

fn normalize(raw: &str) -> Option<String> {
    let s = raw.trim();
    if s.is_empty()
        || s.len() > 64
        || !s
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    {
        return None;
    }
    Some(s.to_ascii_lowercase())
}

/// The pipeline tags declared by the API and the card, normalised.
fn declared(ev: &Evidence<'_>) -> Vec<(String, String, Provenance)> {
    let mut out = Vec::new();
    if let Some(p) = ev.view().pipeline_tag
        && let Some(id) = normalize(p)
    {
        out.push((id, p.to_string(), Provenance::Api));
    }
    if let Some(p) = ev.card_string("pipeline_tag")
        && let Some(id) = normalize(&p)
    {
        out.push((id, p, ev.card_provenance()));
    }
    // Dataset cards declare their tasks as `task_categories`.
    for p in ev.card_strings("task_categories") {
        if let Some(id) = normalize(&p) {
            out.push((id, p, ev.card_provenance()));
        }
    }
    out
}

/// The task a tag names, if it names one: a taxonomy id or a declared pipeline tag.
pub(crate) fn tag_task(tag: &str, declared: &[(String, String, Provenance)]) -> Option<String> {
    let id = normalize(tag)?;
    (is_task_id(&id) || declared.iter().any(|(d, _, _)| *d == id)).then_some(id)
}

/// Whether a tag is claimed by the task identifier.
pub(crate) fn claims_tag(tag: &str, ev: &Evidence<'_>) -> bool {
    tag_task(tag, &declared(ev)).is_some()
}

/// Finds tasks.
#[derive(Debug, Clone, Copy, Default)]
pub struct TaskIdentifier;

impl EntityIdentifier for TaskIdentifier {
    type Ref = TaskRef;
    const KIND: EntityKind = EntityKind::Tasks;

    fn identify(&self, ev: &Evidence<'_>) -> Vec<TaskRef> {
        let declared = declared(ev);
        let mut out = Collector::new();
        for (id, raw, p) in &declared {
            out.add(TaskRef {
                known: is_task_id(id),
                id: id.clone(),
                raw: raw.clone(),
                provenance: vec![*p],
            });
        }
        for (tag, p) in ev.all_tags() {
            if let Some(id) = tag_task(tag, &declared) {
                out.add(TaskRef {
                    known: is_task_id(&id),
                    id,
                    raw: tag.to_string(),
                    provenance: vec![p],
                });
            }
        }
        out.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ModelView;
    use serde_json::json;

    #[test]
    fn table_sorted_unique() {
        assert_eq!(TASK_IDS.len(), 57);
        assert!(TASK_IDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn sources() {
        let tags: Vec<String> = [
            "transformers",
            "text2text-generation",
            "summarization",
            "translation",
            "conversational",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        let card = json!({"pipeline_tag": "Text2Text-Generation"});
        let view = ModelView {
            tags: &tags,
            pipeline_tag: Some("text2text-generation"),
            card_data: Some(&card),
            ..ModelView::new("x/y")
        };
        let got: Vec<_> = TaskIdentifier
            .identify(&Evidence::new(&view))
            .into_iter()
            .map(|t| (t.id, t.known, t.provenance))
            .collect();
        assert_eq!(
            got,
            vec![
                ("summarization".into(), true, vec![Provenance::Tag]),
                (
                    "text2text-generation".into(),
                    false,
                    vec![Provenance::Api, Provenance::Tag, Provenance::CardData]
                ),
                ("translation".into(), true, vec![Provenance::Tag]),
            ]
        );
    }
}
