//! The citation of a model card, as the downstream reads it from `chunks_citation.json`:
//! `{model_id: chunk or null}`.
//!
//! The chunk is the first section of the card's [chunk tree](crate::card_chunks) whose heading
//! matches `\bcitation\b` (case-insensitive), preferring the section's first code chunk
//! (usually a BibTeX entry; its subsections' code included):
//!
//! | key | a code chunk | a section chunk |
//! |---|---|---|
//! | `id` | `section-N-code-M`, as in the card's chunks | `section-N` (N: the heading's index in the card, from 0) |
//! | `type` | `code` | `section` |
//! | `length` | words of `text` | words of `text` |
//! | `parent` | `section-N` (the section holding the code) | the enclosing section's id, or `null` |
//! | `htext` | the citation heading | the citation heading |
//! | `phtext` | the heading of the section holding the code | the enclosing heading, else the citation heading |
//! | `text` | the code, without its fences | the section's body as written, subsections included |
//!
//! Headings are CommonMark's (ATX `## Citation` or setext `Citation` over `====`; not inside
//! code, and those of HTML blocks included), as [`crate::card_chunks`] reads them. The card
//! body is read without its front matter.

use std::collections::BTreeMap;

use hf_client::card::ModelCard;
use serde::{Deserialize, Serialize};

use crate::card_chunks::{BlockKind, CardChunkType, CardTree};
use crate::models::FetchedModel;

/// What a chunk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChunkType {
    /// A fenced code block of the citation section.
    Code,
    /// The citation section's text.
    Section,
}

/// A citation chunk (see the module's table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CitationChunk {
    /// The chunk's id in its card.
    pub id: String,
    /// `code` or `section`.
    #[serde(rename = "type")]
    pub chunk_type: ChunkType,
    /// Words in `text`.
    pub length: usize,
    /// The id of the section holding it.
    pub parent: Option<String>,
    /// The citation heading's text.
    pub htext: String,
    /// The parent heading's text.
    pub phtext: String,
    /// The citation.
    pub text: String,
}

/// Whether `text` matches `\bcitation\b`, case-insensitively.
fn names_citation(text: &str) -> bool {
    let lower = text.to_lowercase();
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    lower.match_indices("citation").any(|(at, m)| {
        !word(lower[..at].chars().next_back()) && !word(lower[at + m.len()..].chars().next())
    })
}

/// The citation chunk of a card body (front matter already stripped), if the card has a
/// citation section.
///
/// ```
/// use hf_enrich::citation::{ChunkType, citation_chunk};
///
/// let body = "# Model\nText.\n## Citation\nPlease cite:\n```bibtex\n@article{x, title={X}}\n```\n";
/// let chunk = citation_chunk(body).unwrap();
/// assert_eq!(chunk.chunk_type, ChunkType::Code);
/// assert_eq!(chunk.text, "@article{x, title={X}}");
/// assert_eq!(chunk.phtext, "Citation");
/// ```
pub fn citation_chunk(body: &str) -> Option<CitationChunk> {
    let tree = CardTree::parse(body);
    let h = tree
        .blocks
        .iter()
        .position(|b| matches!(b.kind, BlockKind::Heading(_)) && names_citation(&b.text))?;
    let heading = &tree.blocks[h];
    let end = tree.subtree_end(h);
    let section_id = tree.section_id(h);

    // The section's first code chunk, its subsections' included (in document order).
    let code = tree
        .section(h)
        .into_iter()
        .find(|c| c.chunk_type == CardChunkType::Code);
    if let Some(code) = code {
        return Some(CitationChunk {
            id: code.id,
            chunk_type: ChunkType::Code,
            length: code.length,
            parent: code.parent,
            htext: heading.text.clone(),
            phtext: code.phtext.unwrap_or_else(|| heading.text.clone()),
            text: code.text,
        });
    }

    // The section as written: from after its heading to the next heading of its level or a
    // lower one.
    let start = heading.range.end;
    let stop = tree
        .blocks
        .get(end)
        .map_or(tree.body.len(), |b| b.range.start);
    let text = tree
        .body
        .get(start..stop.max(start))
        .unwrap_or_default()
        .trim()
        .to_owned();
    let parent = tree.parent[h];
    Some(CitationChunk {
        id: section_id,
        chunk_type: ChunkType::Section,
        length: text.split_whitespace().count(),
        parent: parent.map(|p| tree.section_id(p)),
        htext: heading.text.clone(),
        phtext: parent.map_or_else(|| heading.text.clone(), |p| tree.blocks[p].text.clone()),
        text,
    })
}

/// `{model_id: chunk or null}` over `models` (their cards' bodies, front matter stripped).
pub fn citation_chunks(models: &[FetchedModel]) -> BTreeMap<String, Option<CitationChunk>> {
    models
        .iter()
        .map(|m| {
            let chunk = m
                .card
                .as_deref()
                .and_then(|card| citation_chunk(ModelCard::body_of(card)));
            (m.id.clone(), chunk)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_first_citation_section_prefers_its_code() {
        // (card body, expected (type, text, heading)).
        type Expected<'a> = Option<(ChunkType, &'a str, &'a str)>;
        let cases: [(&str, Expected); 7] = [
            ("# A\nno citation here\n", None),
            ("## Citations\nplural is another word\n", None),
            (
                "# Model\n## BibTeX entry and citation info\n```bibtex\n@misc{a}\n```\n## Next\n",
                Some((
                    ChunkType::Code,
                    "@misc{a}",
                    "BibTeX entry and citation info",
                )),
            ),
            (
                "# Model\n## Citation\nCite the paper X.\n### More\nand Y.\n## License\nmit\n",
                Some((
                    ChunkType::Section,
                    "Cite the paper X.\n### More\nand Y.",
                    "Citation",
                )),
            ),
            (
                "Citation\n========\n\n~~~\n@article{b}\n~~~\n",
                Some((ChunkType::Code, "@article{b}", "Citation")),
            ),
            // A heading inside a code block is not a heading.
            ("```\n# Citation\n```\ntext\n", None),
            (
                "# CITATION:\n\n**BibTeX:**\n\n```\n@inproceedings{c,\n  title={C}\n}\n```\n```\nsecond\n```\n",
                Some((
                    ChunkType::Code,
                    "@inproceedings{c,\n  title={C}\n}",
                    "CITATION:",
                )),
            ),
        ];
        for (body, expected) in cases {
            let got = citation_chunk(body).map(|c| (c.chunk_type, c.text, c.htext));
            let expected = expected.map(|(t, text, h)| (t, text.to_owned(), h.to_owned()));
            assert_eq!(got, expected, "{body:?}");
        }
    }

    #[test]
    fn ids_parents_and_lengths() {
        let body = "# Model\n## Usage\nx\n## Citation\nSee the paper by A and B.\n";
        let c = citation_chunk(body).unwrap();
        assert_eq!(c.id, "section-2");
        assert_eq!(c.parent.as_deref(), Some("section-0"));
        assert_eq!(c.phtext, "Model");
        assert_eq!(c.length, 7);
        let json = serde_json::to_value(&c).unwrap();
        for key in ["id", "type", "length", "parent", "htext", "phtext", "text"] {
            assert!(json.get(key).is_some(), "{key}");
        }
        assert_eq!(json["type"], "section");
    }

    #[test]
    fn the_sample_cards_never_panic() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/hub-samples/cards");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            panic!("the sample cards are at {}", dir.display());
        };
        let mut with_citation = 0;
        for entry in entries {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            if citation_chunk(&ModelCard::parse(&text).body).is_some() {
                with_citation += 1;
            }
        }
        assert!(
            with_citation >= 3,
            "{with_citation} sample cards with a citation"
        );
    }

    #[test]
    fn the_citation_is_one_of_the_card_chunks() {
        use crate::card_chunks::card_chunks;

        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/hub-samples/cards");
        let mut code = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let body = ModelCard::parse(&text).body;
            let Some(citation) = citation_chunk(&body) else {
                continue;
            };
            let chunks = card_chunks(&body);
            let same = chunks.iter().find(|c| c.id == citation.id).unwrap();
            assert_eq!(same.parent, citation.parent);
            if citation.chunk_type == ChunkType::Code {
                code += 1;
                assert_eq!(same.text, citation.text);
                assert_eq!(same.phtext.as_deref(), Some(citation.phtext.as_str()));
            } else {
                assert_eq!(same.htext.as_deref(), Some(citation.htext.as_str()));
            }
        }
        assert!(code >= 3, "{code} sample cards with a citation's code");
    }

    #[test]
    fn code_in_a_subsection_is_the_subsections_chunk() {
        let body = "# Model\n## Citation\nPlease cite:\n### BibTeX\n```\n@misc{s}\n```\n";
        let c = citation_chunk(body).unwrap();
        assert_eq!(
            (
                c.id.as_str(),
                c.parent.as_deref(),
                c.htext.as_str(),
                c.phtext.as_str()
            ),
            ("section-2-code-0", Some("section-2"), "Citation", "BibTeX")
        );
        assert_eq!(c.text, "@misc{s}");
    }
}
