//! A model card cut into chunks for the downstream's LLM step (`hf_modelcard_chunks.json`,
//! asset `hf_identified_modelcard_chunks`): `{model_id: [chunk, ...]}`, as the Python
//! extractor's Markdown chunker gives them.
//!
//! # How
//!
//! The card body (front matter stripped) is parsed as CommonMark with tables
//! (`pulldown-cmark`). Its top-level blocks become a flat list, from which blank lines,
//! thematic breaks, line breaks and images are gone; a raw HTML block is turned into Markdown
//! (tags stripped, `<h1>`–`<h6>` kept as headings, `<br>` and block tags as line breaks) and
//! parsed again in its place. Headings build a tree: a heading of level L is the child of the
//! nearest open heading of a lower level, other blocks are children of the current heading,
//! and blocks before the first heading are orphans.
//!
//! The text of a block is its plain text: a link gives its text (not its URL), inline HTML
//! tags are dropped, the blocks of a list or quote are separated by spaces, a table's rows are
//! lines and its cells are separated by ` | `. Chunks come in document order:
//!
//! | `type` | from | `id` | `parent` | `htext` | `phtext` | `text` |
//! |---|---|---|---|---|---|---|
//! | `section` | each heading whose text is not empty | `section-N` | the enclosing section's id or `null` | the heading | the enclosing heading or `null` | the heading and everything under it |
//! | `code` | a code block under a heading | `section-N-code-M` | `section-N` | (no key) | the heading | the code |
//! | `table` | a table under a heading | `section-N-table-M` | `section-N` | (no key) | the heading | the table |
//! | `granular` | other blocks under a heading (paragraphs, lists, quotes) | `section-N-granular-M` | `section-N` | (no key) | the heading | the block |
//! | `orphan` | all blocks before the first heading, together, last | `orphan` | `null` | (no key) | `null` | their text |
//!
//! N is the heading's index in the card, from 0 (every heading counts, with or without a
//! chunk); M counts the chunks of that type under the heading, from 0. A section's own chunks
//! follow its section chunk, and a subsection's chunks come where the subsection starts. A
//! block of at most [`MIN_GRANULAR_WORDS`] words is buffered and prepended to the section's
//! next granular chunk, or emitted as one granular chunk at the end of the section (after its
//! subsections). Blocks without text give no chunk. `length` counts whitespace-separated
//! words of `text`.
//!
//! A code span stays in its block's text: as in mistune's AST, it is never a direct child of a
//! heading, so only code blocks give code chunks.
//!
//! The ids depend only on the card's text, so two runs write the same bytes. The citation
//! chunk ([`crate::citation`]) is read from the same chunks.
//!
//! Where this differs from the Python chunker, on purpose: its table chunks hold a
//! placeholder, ours the table's text; it emits an empty orphan chunk for a card that starts
//! with badges only, we emit none; its ids are random.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use hf_client::card::ModelCard;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

use crate::models::FetchedModel;

/// Blocks with at most this many words are buffered rather than given their own granular
/// chunk.
pub const MIN_GRANULAR_WORDS: usize = 20;

/// How deep HTML converted to Markdown is parsed again (Markdown decoded from HTML that holds
/// HTML again); below that, it is plain text.
const MAX_HTML_NESTING: usize = 2;

/// What a card chunk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CardChunkType {
    /// A heading and everything under it.
    Section,
    /// A paragraph, list or quote under a heading (short ones joined).
    Granular,
    /// A code block under a heading.
    Code,
    /// A table under a heading.
    Table,
    /// Everything before the first heading.
    Orphan,
}

/// A chunk of a model card (see the module's table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CardChunk {
    /// The chunk's id in its card (`section-N`, `section-N-code-M`, `orphan`, …).
    pub id: String,
    /// What the chunk holds.
    #[serde(rename = "type")]
    pub chunk_type: CardChunkType,
    /// Words in `text`.
    pub length: usize,
    /// The id of the enclosing section (`null` for a top-level section and the orphans).
    pub parent: Option<String>,
    /// The heading's text; a key of section chunks only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub htext: Option<String>,
    /// The enclosing heading's text: for a section, its parent heading (`null` at the top);
    /// for the others, their section's heading (`null` for the orphans).
    pub phtext: Option<String>,
    /// The chunk's text.
    pub text: String,
}

/// The chunks of a card body (front matter already stripped), in document order, the orphan
/// chunk last.
///
/// ```
/// use hf_enrich::card_chunks::{CardChunkType, card_chunks};
///
/// let body = "A model.\n\n# Usage\nRun it:\n```sh\nrun model\n```\n";
/// let chunks = card_chunks(body);
/// let ids: Vec<&str> = chunks.iter().map(|c| c.id.as_str()).collect();
/// assert_eq!(ids, ["section-0", "section-0-code-0", "section-0-granular-0", "orphan"]);
/// assert_eq!(chunks[0].text, "Usage Run it: run model");
/// assert_eq!(chunks[1].chunk_type, CardChunkType::Code);
/// assert_eq!(chunks[1].parent.as_deref(), Some("section-0"));
/// assert_eq!(chunks[3].text, "A model.");
/// ```
pub fn card_chunks(body: &str) -> Vec<CardChunk> {
    CardTree::parse(body).chunks()
}

/// `{model_id: [chunk]}` over `models` (their cards' bodies, front matter stripped); a model
/// without a card has no chunks.
pub fn modelcard_chunks(models: &[FetchedModel]) -> BTreeMap<String, Vec<CardChunk>> {
    models
        .iter()
        .map(|m| {
            let chunks = m
                .card
                .as_deref()
                .map(|card| card_chunks(ModelCard::body_of(card)))
                .unwrap_or_default();
            (m.id.clone(), chunks)
        })
        .collect()
}

/// The id of the section of heading `n`.
fn section_id(n: usize) -> String {
    format!("section-{n}")
}

/// What a top-level block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockKind {
    /// A heading of this level (1 to 6).
    Heading(u8),
    /// A code block.
    Code,
    /// A table.
    Table,
    /// A paragraph, list, quote or anything else with text.
    Prose,
}

/// A top-level block of a card.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub(crate) kind: BlockKind,
    /// Its plain text, trimmed.
    pub(crate) text: String,
    /// Where it is in the (line-ending normalised) body; blocks from an HTML block share its
    /// range.
    pub(crate) range: Range<usize>,
}

/// A card's top-level blocks with their heading tree.
#[derive(Debug)]
pub(crate) struct CardTree<'a> {
    /// The body, `\r\n` line endings turned into `\n`.
    pub(crate) body: Cow<'a, str>,
    pub(crate) blocks: Vec<Block>,
    /// Per block, the index of its enclosing heading's block.
    pub(crate) parent: Vec<Option<usize>>,
    /// Per block, its index among the headings if it is one.
    pub(crate) heading_no: Vec<Option<usize>>,
    /// Per block, the words of its text (a chunk's `length` is the sum over its blocks: texts
    /// are joined with one space).
    words: Vec<usize>,
}

impl<'a> CardTree<'a> {
    /// Parses a card body (front matter already stripped).
    pub(crate) fn parse(body: &'a str) -> Self {
        let body = if body.contains("\r\n") {
            Cow::Owned(body.replace("\r\n", "\n"))
        } else {
            Cow::Borrowed(body)
        };
        let blocks = blocks(&body, 0, None);
        let mut parent = Vec::with_capacity(blocks.len());
        let mut heading_no = Vec::with_capacity(blocks.len());
        // The open headings: (level, block index).
        let mut open: Vec<(u8, usize)> = Vec::new();
        let mut headings = 0;
        for (i, block) in blocks.iter().enumerate() {
            if let BlockKind::Heading(level) = block.kind {
                while open.last().is_some_and(|&(l, _)| l >= level) {
                    open.pop();
                }
                parent.push(open.last().map(|&(_, p)| p));
                heading_no.push(Some(headings));
                headings += 1;
                open.push((level, i));
            } else {
                parent.push(open.last().map(|&(_, p)| p));
                heading_no.push(None);
            }
        }
        let words = blocks.iter().map(|b| words(&b.text)).collect();
        Self {
            body,
            blocks,
            parent,
            heading_no,
            words,
        }
    }

    /// The index of the block after the subtree of heading block `h`: the next heading of the
    /// same or a lower level, else the end.
    pub(crate) fn subtree_end(&self, h: usize) -> usize {
        let level = match self.blocks.get(h).map(|b| b.kind) {
            Some(BlockKind::Heading(level)) => level,
            _ => return h.saturating_add(1).min(self.blocks.len()),
        };
        self.blocks
            .iter()
            .enumerate()
            .skip(h + 1)
            .find(|(_, b)| matches!(b.kind, BlockKind::Heading(l) if l <= level))
            .map_or(self.blocks.len(), |(i, _)| i)
    }

    /// The section id of heading block `h`.
    pub(crate) fn section_id(&self, h: usize) -> String {
        section_id(self.heading_no.get(h).copied().flatten().unwrap_or(h))
    }

    /// All chunks, in document order, the orphan chunk last.
    pub(crate) fn chunks(&self) -> Vec<CardChunk> {
        let mut out = Vec::new();
        for (i, block) in self.blocks.iter().enumerate() {
            if matches!(block.kind, BlockKind::Heading(_)) && self.parent[i].is_none() {
                self.section_chunks(i, &mut out);
            }
        }
        let orphans = join_texts(
            self.blocks
                .iter()
                .zip(&self.parent)
                .filter(|(b, p)| p.is_none() && !matches!(b.kind, BlockKind::Heading(_)))
                .map(|(b, _)| b.text.as_str()),
        );
        if !orphans.is_empty() {
            out.push(CardChunk {
                id: "orphan".to_owned(),
                chunk_type: CardChunkType::Orphan,
                length: words(&orphans),
                parent: None,
                htext: None,
                phtext: None,
                text: orphans,
            });
        }
        out
    }

    /// The chunks of the section of heading block `h` and of its subsections, as [`Self::chunks`]
    /// gives them (same ids, same order), without chunking the rest of the card.
    pub(crate) fn section(&self, h: usize) -> Vec<CardChunk> {
        let mut out = Vec::new();
        if matches!(
            self.blocks.get(h).map(|b| b.kind),
            Some(BlockKind::Heading(_))
        ) {
            self.section_chunks(h, &mut out);
        }
        out
    }

    /// The chunks of heading block `h` and its subsections. Recursion is at most six deep:
    /// each subsection's heading has a higher level.
    fn section_chunks(&self, h: usize, out: &mut Vec<CardChunk>) {
        let end = self.subtree_end(h);
        let heading = &self.blocks[h];
        let id = self.section_id(h);
        let text = join_texts(self.blocks[h..end].iter().map(|b| b.text.as_str()));
        if !text.is_empty() {
            let enclosing = self.parent[h];
            out.push(CardChunk {
                id: id.clone(),
                chunk_type: CardChunkType::Section,
                length: self.words[h..end].iter().sum(),
                parent: enclosing.map(|p| self.section_id(p)),
                htext: Some(heading.text.clone()),
                phtext: enclosing.map(|p| self.blocks[p].text.clone()),
                text,
            });
        }
        let mut counts = BTreeMap::new();
        let mut child = |chunk_type: CardChunkType, text: String, length: usize| {
            let n = counts.entry(chunk_type).or_insert(0usize);
            let kind = match chunk_type {
                CardChunkType::Code => "code",
                CardChunkType::Table => "table",
                _ => "granular",
            };
            let chunk = CardChunk {
                id: format!("{id}-{kind}-{n}"),
                chunk_type,
                length,
                parent: Some(id.clone()),
                htext: None,
                phtext: Some(heading.text.clone()),
                text,
            };
            *n += 1;
            chunk
        };
        let mut buffered: Vec<&str> = Vec::new();
        let mut buffered_words = 0;
        for c in h + 1..end {
            if self.parent[c] != Some(h) {
                continue;
            }
            let block = &self.blocks[c];
            if block.text.is_empty() && !matches!(block.kind, BlockKind::Heading(_)) {
                continue;
            }
            let words = self.words[c];
            match block.kind {
                BlockKind::Heading(_) => self.section_chunks(c, out),
                BlockKind::Code => out.push(child(CardChunkType::Code, block.text.clone(), words)),
                BlockKind::Table => {
                    out.push(child(CardChunkType::Table, block.text.clone(), words));
                }
                BlockKind::Prose if words <= MIN_GRANULAR_WORDS => {
                    buffered.push(&block.text);
                    buffered_words += words;
                }
                BlockKind::Prose => {
                    buffered.push(&block.text);
                    let text = join_texts(buffered.drain(..));
                    let length = std::mem::take(&mut buffered_words) + words;
                    out.push(child(CardChunkType::Granular, text, length));
                }
            }
        }
        if !buffered.is_empty() {
            let text = join_texts(buffered.drain(..));
            out.push(child(CardChunkType::Granular, text, buffered_words));
        }
    }
}

/// Runs of spaces within each line made one space, lines trimmed, empty lines dropped.
fn single_spaced(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let Some(first) = words.next() else { continue };
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(first);
        for word in words {
            out.push(' ');
            out.push_str(word);
        }
    }
    out
}

/// Whitespace-separated words.
fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

/// The non-empty texts, separated by spaces.
fn join_texts<'t>(texts: impl Iterator<Item = &'t str>) -> String {
    let mut out = String::new();
    for text in texts.map(str::trim).filter(|t| !t.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(text);
    }
    out
}

/// The top-level blocks of `markdown`. HTML blocks are converted and parsed again, `nesting`
/// levels deep at most; blocks parsed from HTML take `outer`, the HTML block's range.
fn blocks(markdown: &str, nesting: usize, outer: Option<&Range<usize>>) -> Vec<Block> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start: Option<(Tag<'_>, Range<usize>)> = None;
    let mut inner: Vec<Event<'_>> = Vec::new();
    for (event, range) in Parser::new_ext(markdown, Options::ENABLE_TABLES).into_offset_iter() {
        match event {
            Event::Start(tag) => {
                if depth == 0 {
                    start = Some((tag, range));
                    inner.clear();
                } else {
                    inner.push(Event::Start(tag));
                }
                depth += 1;
            }
            Event::End(end) => {
                depth = depth.saturating_sub(1);
                if depth > 0 {
                    inner.push(Event::End(end));
                    continue;
                }
                let Some((tag, range)) = start.take() else {
                    continue;
                };
                let range = outer.cloned().unwrap_or(range);
                let kind = match tag {
                    Tag::Heading { level, .. } => BlockKind::Heading(level as u8),
                    Tag::CodeBlock(_) => BlockKind::Code,
                    Tag::Table(_) => BlockKind::Table,
                    Tag::HtmlBlock => {
                        let html: String = inner
                            .iter()
                            .filter_map(|e| match e {
                                Event::Html(t) | Event::Text(t) => Some(t.as_ref()),
                                _ => None,
                            })
                            .collect();
                        out.extend(html_blocks(&html, nesting, &range));
                        continue;
                    }
                    _ => BlockKind::Prose,
                };
                let text = plain_text(&inner, nesting);
                let text = if kind == BlockKind::Code {
                    text
                } else {
                    single_spaced(&text)
                };
                out.push(Block { kind, text, range });
            }
            // Thematic breaks and anything else outside a block.
            _ if depth == 0 => {}
            other => inner.push(other),
        }
    }
    out
}

/// The blocks an HTML block stands for: its Markdown parsed again, or at the nesting limit its
/// plain text as one block.
fn html_blocks(html: &str, nesting: usize, range: &Range<usize>) -> Vec<Block> {
    let markdown = html_to_markdown(html);
    if nesting < MAX_HTML_NESTING {
        return blocks(&markdown, nesting + 1, Some(range));
    }
    vec![Block {
        kind: BlockKind::Prose,
        text: join_texts(markdown.split_whitespace()),
        range: range.clone(),
    }]
}

/// The plain text of a block's inner events (see the module's documentation), trimmed.
fn plain_text(events: &[Event<'_>], nesting: usize) -> String {
    let mut out = String::new();
    let mut images = 0usize;
    let mut html = String::new();
    let mut first_cell = true;
    for event in events {
        match event {
            Event::Start(Tag::Image { .. }) => images += 1,
            Event::End(TagEnd::Image) => images = images.saturating_sub(1),
            _ if images > 0 => {}
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                out.push_str(t);
            }
            Event::Html(t) => html.push_str(t),
            Event::End(TagEnd::HtmlBlock) => {
                let text = join_texts(
                    html_blocks(&html, nesting, &(0..0))
                        .iter()
                        .map(|b| b.text.as_str()),
                );
                html.clear();
                space(&mut out);
                out.push_str(&text);
                space(&mut out);
            }
            Event::InlineHtml(tag) if is_line_break(tag) => space(&mut out),
            Event::SoftBreak | Event::HardBreak => space(&mut out),
            Event::Start(Tag::TableHead | Tag::TableRow) => {
                newline(&mut out);
                first_cell = true;
            }
            Event::Start(Tag::TableCell) => {
                if !first_cell {
                    out.push_str(" | ");
                }
                first_cell = false;
            }
            Event::End(TagEnd::TableCell) => {}
            Event::Start(
                Tag::Paragraph
                | Tag::Heading { .. }
                | Tag::BlockQuote(_)
                | Tag::CodeBlock(_)
                | Tag::List(_)
                | Tag::Item
                | Tag::Table(_),
            )
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::BlockQuote(_)
                | TagEnd::CodeBlock
                | TagEnd::List(_)
                | TagEnd::Item
                | TagEnd::Table,
            ) => space(&mut out),
            _ => {}
        }
    }
    out.trim().to_owned()
}

/// A space at the end of `out`, unless it is empty or already ends with whitespace.
fn space(out: &mut String) {
    if !out.is_empty() && !out.ends_with(char::is_whitespace) {
        out.push(' ');
    }
}

/// A new line at the end of `out`, unless it is empty.
fn newline(out: &mut String) {
    let trimmed = out.trim_end_matches([' ', '\t']).len();
    out.truncate(trimmed);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Whether an HTML tag is `<br>` (`<br/>`, `<BR />`, …).
fn is_line_break(tag: &str) -> bool {
    tag_name(tag).is_some_and(|(name, _)| name == "br")
}

/// The lower-case name of an HTML tag (`<a href=…>`, `</p>`, `<br/>`) and whether it closes;
/// `None` when `tag` is not one.
fn tag_name(tag: &str) -> Option<(String, bool)> {
    let inner = tag.strip_prefix('<')?;
    let (inner, closing) = match inner.strip_prefix('/') {
        Some(rest) => (rest, true),
        None => (inner, false),
    };
    let name: String = inner
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let starts_with_letter = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    starts_with_letter.then_some((name, closing))
}

/// Tags that start or end a block of text.
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "tr",
    "ul",
];

/// Markdown for an HTML block: tags stripped (comments, scripts and styles with their
/// content), `<h1>`–`<h6>` as ATX headings, `<br>` and block tags as line breaks, table cells
/// separated by spaces, lines trimmed (so indentation is not read as code). Entities are left
/// for the Markdown parser to decode.
fn html_to_markdown(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    let mut in_heading = false;
    let mut skipping: Option<String> = None;
    while let Some(lt) = rest.find('<') {
        if let Some(skipped) = skipping.take() {
            // Up to the closing tag, whatever is inside.
            let close = format!("</{skipped}");
            rest = rest
                .to_ascii_lowercase()
                .find(&close)
                .and_then(|at| rest[at..].find('>').map(|gt| &rest[at + gt + 1..]))
                .unwrap_or("");
            continue;
        }
        push_html_text(&mut out, &rest[..lt], in_heading);
        let after = &rest[lt..];
        if let Some(comment) = after.strip_prefix("<!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let Some(gt) = after.find('>') else {
            push_html_text(&mut out, after, in_heading);
            rest = "";
            break;
        };
        let tag = &after[..=gt];
        let Some((name, closing)) = tag_name(tag).or_else(|| {
            // Declarations and processing instructions (`<!DOCTYPE>`, `<?xml?>`) are dropped.
            tag.starts_with(['!', '?'].as_slice())
                .then(|| (String::new(), false))
        }) else {
            // A `<` that opens no tag is text.
            push_html_text(&mut out, "<", in_heading);
            rest = &after[1..];
            continue;
        };
        rest = &after[gt + 1..];
        match name.as_str() {
            "script" | "style" if !closing => skipping = Some(name),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                out.push_str("\n\n");
                if !closing {
                    let level = name[1..].parse().unwrap_or(1);
                    out.push_str(&"#".repeat(level));
                    out.push(' ');
                }
                in_heading = !closing;
            }
            "br" => out.push('\n'),
            "td" | "th" => out.push(' '),
            block if BLOCK_TAGS.contains(&block) => out.push('\n'),
            _ => {}
        }
    }
    if skipping.is_none() {
        push_html_text(&mut out, rest, in_heading);
    }
    let mut markdown = String::new();
    for line in out.lines() {
        markdown.push_str(line.trim());
        markdown.push('\n');
    }
    markdown
}

/// Text of an HTML block; in a heading, on the heading's line.
fn push_html_text(out: &mut String, text: &str, in_heading: bool) {
    if in_heading {
        out.push_str(&text.replace(['\n', '\r'], " "));
    } else {
        out.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// `(id, type, parent, htext, phtext, text)` of each chunk.
    type Row = (
        String,
        CardChunkType,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
    );

    fn rows(body: &str) -> Vec<Row> {
        card_chunks(body)
            .into_iter()
            .map(|c| {
                assert_eq!(c.length, c.text.split_whitespace().count(), "{c:?}");
                (c.id, c.chunk_type, c.parent, c.htext, c.phtext, c.text)
            })
            .collect()
    }

    fn row(
        id: &str,
        chunk_type: CardChunkType,
        parent: Option<&str>,
        htext: Option<&str>,
        phtext: Option<&str>,
        text: &str,
    ) -> Row {
        (
            id.to_owned(),
            chunk_type,
            parent.map(str::to_owned),
            htext.map(str::to_owned),
            phtext.map(str::to_owned),
            text.to_owned(),
        )
    }

    /// A section chunk's row.
    fn sec(id: &str, parent: Option<&str>, htext: &str, phtext: Option<&str>, text: &str) -> Row {
        row(id, Section, parent, Some(htext), phtext, text)
    }

    /// The row of a chunk under a heading (its parent is in its id: `section-N-…`).
    fn kid(id: &str, chunk_type: CardChunkType, heading: &str, text: &str) -> Row {
        let parent = id.rsplitn(3, '-').nth(2).unwrap();
        row(id, chunk_type, Some(parent), None, Some(heading), text)
    }

    /// The orphan chunk's row.
    fn orphan(text: &str) -> Row {
        row("orphan", Orphan, None, None, None, text)
    }

    use CardChunkType::{Code, Granular, Orphan, Section, Table};

    /// `n` words: `w1 w2 … wn`.
    fn words_of(prefix: &str, n: usize) -> String {
        (1..=n)
            .map(|i| format!("{prefix}{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn the_heading_tree_gives_parents_and_phtext() {
        let body = "# A\na\n## B\nb\n### C\nc\n## D\nd\n# E\ne\n";
        assert_eq!(
            rows(body),
            [
                sec("section-0", None, "A", None, "A a B b C c D d"),
                sec("section-1", Some("section-0"), "B", Some("A"), "B b C c"),
                sec("section-2", Some("section-1"), "C", Some("B"), "C c"),
                kid("section-2-granular-0", Granular, "C", "c"),
                kid("section-1-granular-0", Granular, "B", "b"),
                sec("section-3", Some("section-0"), "D", Some("A"), "D d"),
                kid("section-3-granular-0", Granular, "D", "d"),
                kid("section-0-granular-0", Granular, "A", "a"),
                sec("section-4", None, "E", None, "E e"),
                kid("section-4-granular-0", Granular, "E", "e"),
            ]
        );
    }

    #[test]
    fn a_deeper_heading_after_a_skip_is_still_a_child() {
        // ### under # (no ##): its parent is the # heading; a later ## closes it.
        let chunks = card_chunks("# A\n### C\nc\n## B\nb\n");
        let parents: Vec<(&str, Option<&str>)> = chunks
            .iter()
            .filter(|c| c.chunk_type == Section)
            .map(|c| (c.id.as_str(), c.parent.as_deref()))
            .collect();
        assert_eq!(
            parents,
            [
                ("section-0", None),
                ("section-1", Some("section-0")),
                ("section-2", Some("section-0"))
            ]
        );
    }

    #[test]
    fn short_blocks_are_buffered_into_the_next_granular_chunk() {
        let long = words_of("w", 21);
        let twenty = words_of("t", 20);
        let body =
            format!("# H\nshort one\n\n- item a\n- item b\n\n{long}\n\n{twenty}\n\n> quoted\n");
        assert_eq!(
            rows(&body),
            [
                sec(
                    "section-0",
                    None,
                    "H",
                    None,
                    &format!("H short one item a item b {long} {twenty} quoted")
                ),
                kid(
                    "section-0-granular-0",
                    Granular,
                    "H",
                    &format!("short one item a item b {long}")
                ),
                // 20 words is short: buffered with what follows, emitted at the end.
                kid(
                    "section-0-granular-1",
                    Granular,
                    "H",
                    &format!("{twenty} quoted")
                ),
            ]
        );
    }

    #[test]
    fn the_buffer_outlives_code_tables_and_subsections() {
        let body =
            "# H\nshort\n```\ncode here\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n## S\ns\n";
        assert_eq!(
            rows(body),
            [
                sec(
                    "section-0",
                    None,
                    "H",
                    None,
                    "H short code here a | b\n1 | 2 S s"
                ),
                kid("section-0-code-0", Code, "H", "code here"),
                kid("section-0-table-0", Table, "H", "a | b\n1 | 2"),
                sec("section-1", Some("section-0"), "S", Some("H"), "S s"),
                kid("section-1-granular-0", Granular, "S", "s"),
                kid("section-0-granular-0", Granular, "H", "short"),
            ]
        );
    }

    #[test]
    fn code_blocks_and_tables_are_numbered_per_section() {
        let body =
            "# H\n```py\nx = 1\n```\n\n    indented code\n\n|a|\n|-|\n|`b`|\n\n# I\n~~~\ny\n~~~\n";
        let chunks = card_chunks(body);
        let ids: Vec<(&str, CardChunkType, &str)> = chunks
            .iter()
            .map(|c| (c.id.as_str(), c.chunk_type, c.text.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                ("section-0", Section, "H x = 1 indented code a\nb"),
                ("section-0-code-0", Code, "x = 1"),
                ("section-0-code-1", Code, "indented code"),
                ("section-0-table-0", Table, "a\nb"),
                ("section-1", Section, "I y"),
                ("section-1-code-0", Code, "y"),
            ]
        );
    }

    #[test]
    fn code_keeps_its_lines() {
        let chunks = card_chunks("# H\n```\nline 1\n  line 2\n```\n");
        assert_eq!(chunks[1].text, "line 1\n  line 2");
        assert_eq!(chunks[1].length, 4);
    }

    #[test]
    fn orphans_come_last_together() {
        let body = "Intro text.\n\n```\nsetup\n```\n\n# H\nh\n";
        assert_eq!(
            rows(body),
            [
                sec("section-0", None, "H", None, "H h"),
                kid("section-0-granular-0", Granular, "H", "h"),
                orphan("Intro text. setup"),
            ]
        );
    }

    #[test]
    fn a_card_without_headings_is_one_orphan_chunk() {
        let body = "A model.\n\nIt [does things](https://example.com) **well**.\n\n- one\n- two\n";
        assert_eq!(
            rows(body),
            [orphan("A model. It does things well. one two")]
        );
        assert!(card_chunks("").is_empty());
        assert!(card_chunks("\n\n---\n\n![badge](https://x/y.svg)\n").is_empty());
    }

    #[test]
    fn breaks_images_and_link_targets_are_dropped() {
        let body = "# H\nline one\nline two  \nline three ![alt text](a.png) [link](https://u.example) <https://auto.example>\n\n***\n";
        assert_eq!(
            card_chunks(body)[1].text,
            "line one line two line three link https://auto.example"
        );
    }

    #[test]
    fn html_blocks_are_converted_and_parsed_in_place() {
        let body = "<div align=\"center\">\n  <img src=\"logo.png\"/>\n  <p>Fast &amp; small</p>\n</div>\n\n# Model\n<h2>Usage</h2>\n\n<p>Call <b>it</b>.<br>Twice.</p>\n<!-- a comment -->\n\n<details><summary>More</summary>\n\n```\ncode\n```\n\n</details>\n";
        assert_eq!(
            rows(body),
            [
                sec(
                    "section-0",
                    None,
                    "Model",
                    None,
                    "Model Usage Call it. Twice. More code"
                ),
                sec(
                    "section-1",
                    Some("section-0"),
                    "Usage",
                    Some("Model"),
                    "Usage Call it. Twice. More code"
                ),
                kid("section-1-code-0", Code, "Usage", "code"),
                kid(
                    "section-1-granular-0",
                    Granular,
                    "Usage",
                    "Call it. Twice. More"
                ),
                orphan("Fast & small"),
            ]
        );
    }

    #[test]
    fn html_in_a_list_and_inline_html_are_text() {
        let body = "# H\n- a<br>b <sup>2</sup>\n- <div>\n  in &lt;div&gt;\n  </div>\n";
        assert_eq!(card_chunks(body)[1].text, "a b 2 in <div>");
    }

    #[test]
    fn html_to_markdown_rules() {
        assert_eq!(
            html_to_markdown("<h3 id=x>A\n title</h3><p>p1</p><script>x<y</script>a < b<br/>c"),
            "\n\n### A  title\n\n\np1\na < b\nc\n"
        );
        assert_eq!(html_to_markdown("<!-- unclosed"), "");
        assert_eq!(html_to_markdown("x <unclosed"), "x <unclosed\n");
        // Nested conversion stops: no panic, no endless parse.
        let nested = "<div>&lt;div&gt;&amp;lt;div&amp;gt;</div>";
        assert!(!card_chunks(nested).is_empty());
    }

    #[test]
    fn headings_with_empty_sections_keep_their_number() {
        // An empty heading gives no section chunk, but the next heading is still section-1.
        let chunks = card_chunks("#\n# B\nb\n");
        let ids: Vec<&str> = chunks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["section-1", "section-1-granular-0"]);
    }

    #[test]
    fn serialised_keys_follow_the_contract() {
        let chunks = card_chunks("Intro.\n# H\ntext\n```\nc\n```\n");
        let json = serde_json::to_value(&chunks).unwrap();
        let keys =
            |i: usize| -> Vec<String> { json[i].as_object().unwrap().keys().cloned().collect() };
        assert_eq!(
            keys(0),
            ["htext", "id", "length", "parent", "phtext", "text", "type"]
        );
        for i in 1..=3 {
            assert_eq!(
                keys(i),
                ["id", "length", "parent", "phtext", "text", "type"],
                "{i}"
            );
        }
        assert_eq!(json[0]["parent"], serde_json::Value::Null);
        assert_eq!(json[0]["phtext"], serde_json::Value::Null);
        assert_eq!(json[1]["type"], "code");
        assert_eq!(json[2]["type"], "granular");
        assert_eq!(json[3]["type"], "orphan");
        assert_eq!(json[3]["phtext"], serde_json::Value::Null);
        let back: Vec<CardChunk> = serde_json::from_value(json).unwrap();
        assert_eq!(back, chunks);
    }

    #[test]
    fn windows_line_endings_are_lines() {
        assert_eq!(
            card_chunks("# H\r\n```\r\na\r\nb\r\n```\r\n"),
            card_chunks("# H\n```\na\nb\n```\n")
        );
    }

    fn sample_cards() -> Vec<(String, String)> {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/hub-samples/cards");
        let mut cards: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap_or_else(|_| panic!("the sample cards are at {}", dir.display()))
            .map(|e| {
                let path = e.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&path).unwrap())
            })
            .collect();
        cards.sort();
        cards
    }

    fn sample(name: &str) -> Vec<CardChunk> {
        let (_, text) = sample_cards().into_iter().find(|(n, _)| n == name).unwrap();
        card_chunks(&ModelCard::parse(&text).body)
    }

    #[test]
    fn what_the_sample_cards_give() {
        // (card, sections, granular, code, table, orphan chunks).
        let expected = [
            ("Open-Orca__Mistral-7B-OpenOrca.README.md", 14, 18, 4, 1, 0),
            ("Undi95__toxicqa-Llama2-7B.README.md", 7, 8, 1, 1, 0),
            ("deepseek-ai__DeepSeek-R1.README.md", 17, 16, 3, 4, 0),
            ("google-bert__bert-base-uncased.README.md", 11, 16, 6, 1, 0),
            ("google__gemma-2-9b-it.README.md", 28, 40, 11, 2, 0),
            ("google__tapas-base-finetuned-wtq.README.md", 7, 8, 3, 0, 0),
            ("haoranxu__ALMA-7B.README.md", 0, 0, 0, 0, 1),
            ("hfhub-fixture__sample_datasetcard_simple.md", 1, 1, 0, 0, 0),
            ("hfhub-fixture__sample_invalid_card_data.md", 1, 1, 0, 0, 0),
            (
                "hfhub-fixture__sample_invalid_model_index.md",
                1,
                1,
                0,
                0,
                0,
            ),
            ("hfhub-fixture__sample_no_metadata.md", 1, 1, 0, 0, 0),
            ("hfhub-fixture__sample_simple.md", 2, 1, 0, 0, 0),
            ("hfhub-fixture__sample_simple_model_index.md", 2, 1, 0, 0, 0),
            (
                "hfhub-fixture__sample_windows_line_breaks.md",
                1,
                0,
                0,
                0,
                0,
            ),
            (
                "hugginllam__gemma-3-270m-Q4_K_M-GGUF.README.md",
                4,
                4,
                7,
                0,
                0,
            ),
            ("nRuaif__Kimiko-Mistral-7B.README.md", 7, 6, 1, 1, 0),
            (
                "sentence-transformers__all-MiniLM-L6-v2.README.md",
                10,
                11,
                3,
                1,
                0,
            ),
            ("sethuiyer__Dr_Samantha-7b.README.md", 12, 6, 2, 3, 0),
            (
                "trl-lora-adapter__qwen_lora_adapter_0116_l.README.md",
                5,
                4,
                2,
                0,
                0,
            ),
        ];
        let got: Vec<(String, usize, usize, usize, usize, usize)> = sample_cards()
            .into_iter()
            .map(|(name, text)| {
                let chunks = card_chunks(&ModelCard::parse(&text).body);
                let count = |t| chunks.iter().filter(|c| c.chunk_type == t).count();
                let counts = (count(Section), count(Granular), count(Code), count(Table));
                (name, counts.0, counts.1, counts.2, counts.3, count(Orphan))
            })
            .collect();
        let expected: Vec<_> = expected
            .into_iter()
            .map(|(n, s, g, c, t, o)| (n.to_owned(), s, g, c, t, o))
            .collect();
        assert_eq!(got, expected);
    }

    /// `(id, parent, htext or phtext)` of the section chunks.
    fn sections(chunks: &[CardChunk]) -> Vec<(&str, Option<&str>, &str)> {
        chunks
            .iter()
            .filter(|c| c.chunk_type == Section)
            .map(|c| {
                let h = c.htext.as_deref().unwrap_or_default();
                (c.id.as_str(), c.parent.as_deref(), h)
            })
            .collect()
    }

    #[test]
    fn bert_section_tree_code_table_and_buffering() {
        let chunks = sample("google-bert__bert-base-uncased.README.md");
        assert_eq!(
            sections(&chunks),
            [
                ("section-0", None, "BERT base model (uncased)"),
                ("section-1", Some("section-0"), "Model description"),
                (
                    "section-2",
                    Some("section-0"),
                    "Intended uses & limitations"
                ),
                ("section-3", Some("section-2"), "How to use"),
                ("section-4", Some("section-2"), "Limitations and bias"),
                ("section-5", Some("section-0"), "Training data"),
                ("section-6", Some("section-0"), "Training procedure"),
                ("section-7", Some("section-6"), "Preprocessing"),
                ("section-8", Some("section-6"), "Pretraining"),
                ("section-9", Some("section-0"), "Evaluation results"),
                (
                    "section-10",
                    Some("section-9"),
                    "BibTeX entry and citation info"
                ),
            ]
        );
        let by_id = |id: &str| chunks.iter().find(|c| c.id == id).unwrap();
        // The intro's code blocks, each its own chunk, under "How to use".
        let code = by_id("section-3-code-1");
        assert_eq!(code.chunk_type, Code);
        assert_eq!(code.phtext.as_deref(), Some("How to use"));
        assert!(
            code.text
                .starts_with("from transformers import BertTokenizer, BertModel\n")
        );
        // The GLUE table, rows as lines.
        let table = by_id("section-9-table-0");
        assert_eq!(table.chunk_type, Table);
        assert!(
            table.text.starts_with("Task | MNLI-(m/mm) | QQP |"),
            "{}",
            table.text
        );
        assert_eq!(table.text.lines().count(), 2);
        // "When fine-tuned … results:" and "Glue test results:" are short: buffered, emitted at
        // the end of the section, after its subsection's chunks.
        let ids: Vec<&str> = chunks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids[ids.len() - 4..],
            [
                "section-9-table-0",
                "section-10",
                "section-10-code-0",
                "section-9-granular-0"
            ]
        );
        let last = by_id("section-9-granular-0");
        assert!(last.length <= MIN_GRANULAR_WORDS, "{last:?}");
        assert!(last.text.starts_with("When fine-tuned on downstream tasks"));
        // A short block before a long one goes into it.
        let limits = by_id("section-4-granular-0");
        assert!(limits.text.starts_with("Even if the training data"));
    }

    #[test]
    fn an_html_heading_is_a_heading() {
        // `<p><h1>🐋 Mistral-7B-OpenOrca 🐋</h1></p>` opens the card.
        let chunks = sample("Open-Orca__Mistral-7B-OpenOrca.README.md");
        assert_eq!(
            sections(&chunks)[..2],
            [
                ("section-0", None, "🐋 Mistral-7B-OpenOrca 🐋"),
                ("section-1", None, "OpenOrca - Mistral - 7B - 8k")
            ]
        );
    }

    #[test]
    fn html_badges_and_links_give_their_text_only() {
        let chunks = sample("deepseek-ai__DeepSeek-R1.README.md");
        // Badges (images in links, in `<div>`s) give nothing; the paper link its text.
        let intro = chunks
            .iter()
            .find(|c| c.id == "section-0-granular-0")
            .unwrap();
        assert_eq!(intro.text, "Paper Link👁️");
        assert!(
            chunks
                .iter()
                .all(|c| !c.text.contains("<img") && !c.text.contains("href"))
        );
    }

    #[test]
    fn a_sample_card_without_headings_is_one_orphan_chunk() {
        let chunks = sample("haoranxu__ALMA-7B.README.md");
        assert_eq!(chunks.len(), 1);
        let orphan = &chunks[0];
        assert_eq!((orphan.id.as_str(), orphan.chunk_type), ("orphan", Orphan));
        assert!(
            orphan
                .text
                .starts_with("ALMA (Advanced Language Model-based trAnslator) is")
        );
        // The code blocks (BibTeX, Python) are in the orphans' text; the front matter is not.
        assert!(orphan.text.contains("@misc{xu2023paradigm,"));
        assert!(!orphan.text.contains("license"));
    }

    #[test]
    fn sample_cards_are_deterministic_and_consistent() {
        for (name, text) in sample_cards() {
            let body = ModelCard::parse(&text).body;
            let chunks = card_chunks(&body);
            assert_eq!(chunks, card_chunks(&body), "{name}");
            let bytes = serde_json::to_string(&chunks).unwrap();
            assert_eq!(bytes, serde_json::to_string(&card_chunks(&body)).unwrap());
            let ids: std::collections::BTreeSet<&str> =
                chunks.iter().map(|c| c.id.as_str()).collect();
            assert_eq!(ids.len(), chunks.len(), "{name}: unique ids");
            for c in &chunks {
                assert!(!c.text.is_empty(), "{name}: {c:?}");
                assert_eq!(c.length, c.text.split_whitespace().count(), "{name}");
                if let Some(parent) = &c.parent {
                    let p = chunks.iter().find(|p| &p.id == parent);
                    let p = p.unwrap_or_else(|| panic!("{name}: {parent} of {}", c.id));
                    assert_eq!(p.chunk_type, Section, "{name}");
                    assert_eq!(c.phtext, p.htext, "{name}: {}", c.id);
                }
                // The front matter is not chunked.
                assert!(!c.text.contains("license: "), "{name}: {c:?}");
                if c.chunk_type == Granular && c.length <= MIN_GRANULAR_WORDS {
                    // A short granular chunk is only the end-of-section flush: the last
                    // granular chunk of its section.
                    let later = chunks
                        .iter()
                        .skip_while(|x| x.id != c.id)
                        .skip(1)
                        .any(|x| x.chunk_type == Granular && x.parent == c.parent);
                    assert!(!later, "{name}: {c:?}");
                }
            }
            assert!(
                chunks.iter().filter(|c| c.chunk_type == Orphan).count() <= 1
                    && chunks
                        .iter()
                        .position(|c| c.chunk_type == Orphan)
                        .is_none_or(|i| i + 1 == chunks.len()),
                "{name}"
            );
        }
    }

    #[test]
    fn modelcard_chunks_maps_every_model() {
        use hf_client::wire::ModelInfo;

        use crate::models::ModelSource;

        let model = |id: &str, card: Option<&str>| {
            let info: ModelInfo = serde_json::from_value(serde_json::json!({ "id": id })).unwrap();
            FetchedModel::new(info, card.map(str::to_owned), ModelSource::Latest)
        };
        let models = [
            model("a/with-card", Some("---\nlicense: mit\n---\n# A\nText.\n")),
            model("b/no-card", None),
        ];
        let map = modelcard_chunks(&models);
        assert_eq!(map.keys().collect::<Vec<_>>(), ["a/with-card", "b/no-card"]);
        assert_eq!(map["a/with-card"], card_chunks("# A\nText.\n"));
        assert_eq!(map["a/with-card"][0].text, "A Text.");
        assert!(map["b/no-card"].is_empty());
        let json = serde_json::to_string(&map).unwrap();
        assert_eq!(
            json,
            serde_json::to_string(&modelcard_chunks(&models)).unwrap()
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_links_every_chunk(
            text in "([#>|*`~<>!\\[\\]()a-z -]{0,30}\n){0,30}",
        ) {
            let chunks = card_chunks(&text);
            for c in &chunks {
                proptest::prop_assert_eq!(c.length, c.text.split_whitespace().count());
                proptest::prop_assert!(!c.text.is_empty());
                if let Some(parent) = &c.parent {
                    proptest::prop_assert!(chunks.iter().any(|p| &p.id == parent));
                }
            }
            proptest::prop_assert_eq!(chunks, card_chunks(&text));
        }
    }
}
