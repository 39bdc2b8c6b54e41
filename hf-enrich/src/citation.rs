//! The citation of a model card, as the downstream reads it from `chunks_citation.json`:
//! `{model_id: chunk or null}`.
//!
//! The chunk is the first section whose heading matches `\bcitation\b` (case-insensitive),
//! preferring the section's first fenced code block (usually a BibTeX entry):
//!
//! | key | a code chunk | a section chunk |
//! |---|---|---|
//! | `id` | `section-N-code-M` | `section-N` (N: the heading's index in the card, from 0) |
//! | `type` | `code` | `section` |
//! | `length` | words of `text` | words of `text` |
//! | `parent` | `section-N` | the enclosing section's id, or `null` |
//! | `htext` | the citation heading | the citation heading |
//! | `phtext` | the citation heading | the enclosing heading, else the citation heading |
//! | `text` | the code, without its fences | the section's body, subsections included |
//!
//! Headings are ATX (`## Citation`) or setext (`Citation` over `====`), outside code fences. The
//! card body is read without its front matter.

use std::collections::BTreeMap;

use hf_client::card::ModelCard;
use serde::{Deserialize, Serialize};

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

struct Heading {
    line: usize,
    level: usize,
    text: String,
}

/// The card's headings and, per line, whether it is inside a code fence (fence lines included).
fn headings(lines: &[&str]) -> (Vec<Heading>, Vec<bool>) {
    let mut found = Vec::new();
    let mut fenced = vec![false; lines.len()];
    let mut fence: Option<&str> = None;
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        match (fence, marker) {
            (Some(open), Some(m)) if m == open => {
                fenced[i] = true;
                fence = None;
                continue;
            }
            (None, Some(m)) => {
                fenced[i] = true;
                fence = Some(m);
                continue;
            }
            _ => {}
        }
        if fence.is_some() {
            fenced[i] = true;
            continue;
        }
        let hashes = trimmed.len() - trimmed.trim_start_matches('#').len();
        let rest = &trimmed[hashes..];
        if (1..=6).contains(&hashes) && (rest.is_empty() || rest.starts_with([' ', '\t'])) {
            found.push(Heading {
                line: i,
                level: hashes,
                text: rest.trim().trim_end_matches('#').trim().to_owned(),
            });
            continue;
        }
        // Setext: a text line underlined with = (level 1) or - (level 2).
        let underline = line.trim();
        let level = if !underline.is_empty() && underline.bytes().all(|b| b == b'=') {
            1
        } else if underline.len() >= 2 && underline.bytes().all(|b| b == b'-') {
            2
        } else {
            continue;
        };
        let Some(prev) = i.checked_sub(1) else {
            continue;
        };
        let text = lines[prev].trim();
        let prev_is_heading = found.last().is_some_and(|h: &Heading| h.line == prev);
        if !text.is_empty() && !fenced[prev] && !prev_is_heading {
            found.push(Heading {
                line: prev,
                level,
                text: text.to_owned(),
            });
        }
    }
    (found, fenced)
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
    let lines: Vec<&str> = body.lines().collect();
    let (headings, fenced) = headings(&lines);
    let (n, heading) = headings
        .iter()
        .enumerate()
        .find(|(_, h)| names_citation(&h.text))?;
    let end = headings[n + 1..]
        .iter()
        .find(|h| h.level <= heading.level)
        .map_or(lines.len(), |h| h.line);
    // The body starts after the heading (and after a setext underline).
    let start = (heading.line + 1..end)
        .find(|&i| !(i == heading.line + 1 && is_underline(lines[i])))
        .unwrap_or(end);
    let section_id = format!("section-{n}");
    let parent = headings[..n]
        .iter()
        .enumerate()
        .rev()
        .find(|(_, h)| h.level < heading.level);

    // The first fenced block of the section.
    let mut code: Vec<&str> = Vec::new();
    let mut in_block = false;
    for i in start..end {
        if fenced[i] && !in_block {
            in_block = true;
            continue;
        }
        if in_block {
            let closes = !fenced[i] || is_fence(lines[i]);
            if closes {
                break;
            }
            code.push(lines[i]);
        }
    }
    let code = code.join("\n").trim().to_owned();
    if !code.is_empty() {
        return Some(CitationChunk {
            id: format!("{section_id}-code-0"),
            chunk_type: ChunkType::Code,
            length: code.split_whitespace().count(),
            parent: Some(section_id),
            htext: heading.text.clone(),
            phtext: heading.text.clone(),
            text: code,
        });
    }
    let text = lines[start..end].join("\n").trim().to_owned();
    Some(CitationChunk {
        id: section_id,
        chunk_type: ChunkType::Section,
        length: text.split_whitespace().count(),
        parent: parent.map(|(i, _)| format!("section-{i}")),
        htext: heading.text.clone(),
        phtext: parent.map_or_else(|| heading.text.clone(), |(_, p)| p.text.clone()),
        text,
    })
}

fn is_fence(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("```") || t.starts_with("~~~")
}

fn is_underline(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && (t.bytes().all(|b| b == b'=') || t.bytes().all(|b| b == b'-'))
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
}
