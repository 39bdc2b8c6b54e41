//! One pass over the card's markdown body.
//!
//! A single Aho–Corasick automaton (ASCII case-insensitive) finds every anchor — `huggingface.co/`,
//! `hf.co/`, `arxiv` (also in arXiv DOIs, `10.48550/arXiv.…`), `doi.org/`, `eprint`, code fences,
//! the model-card template's `**Language(s)` and `**License` labels, mergekit's `merge_method:`,
//! `slices:` and `models:` keys, and the phrases that name a parent model — and small hand-written parsers read
//! the few bytes after each hit. Fences are paired as they are hit; a YAML or unlabelled block in
//! which a mergekit key was hit is read line by line when it closes. Nothing rescans the text, so
//! the cost is linear in the card's size (about one automaton pass plus a bounded amount of work
//! per hit).

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::articles::ArticleKind;
use crate::arxiv::parse_arxiv_id;
use crate::base_models::Relation;
use crate::vocab::hub::REPO_ROUTES;

/// How a parent-model phrase is followed by its target(s).
#[derive(Debug, Clone, Copy)]
enum Style {
    /// One model right after the phrase.
    Single,
    /// A bullet list on the following lines (mergekit's "models were included in the merge:").
    List,
    /// Two or more models in the rest of the sentence ("made by merging `a/b` and `c/d`").
    Sentence,
}

#[derive(Debug, Clone, Copy)]
enum Anchor {
    Hf,
    Arxiv,
    Doi,
    Eprint,
    /// A code fence, opening or closing a block that may hold a mergekit configuration.
    Fence,
    /// `merge_method:` (hit as `method:`): the block holding it is a mergekit configuration.
    MergeMethod,
    /// `slices:` / `models:`: a YAML block holding them may be a mergekit configuration.
    MergeModels,
    /// The model-card template's `- **Language(s) (NLP):** …` line.
    TemplateLanguages,
    /// The model-card template's `- **License:** …` line.
    TemplateLicense,
    Parent(Relation, Style),
}

const ANCHORS: &[(&str, Anchor)] = &[
    ("huggingface.co/", Anchor::Hf),
    ("hf.co/", Anchor::Hf),
    ("arxiv", Anchor::Arxiv),
    ("doi.org/", Anchor::Doi),
    ("eprint", Anchor::Eprint),
    ("```", Anchor::Fence),
    ("method:", Anchor::MergeMethod),
    ("slices:", Anchor::MergeModels),
    ("models:", Anchor::MergeModels),
    ("**language", Anchor::TemplateLanguages),
    ("**license", Anchor::TemplateLicense),
    (
        "fine-tuned version of",
        Anchor::Parent(Relation::Finetune, Style::Single),
    ),
    (
        "finetuned version of",
        Anchor::Parent(Relation::Finetune, Style::Single),
    ),
    (
        "fine tuned version of",
        Anchor::Parent(Relation::Finetune, Style::Single),
    ),
    (
        "fine-tuned from",
        Anchor::Parent(Relation::Finetune, Style::Single),
    ),
    (
        "finetuned from",
        Anchor::Parent(Relation::Finetune, Style::Single),
    ),
    (
        "fine-tune on top of",
        Anchor::Parent(Relation::Finetune, Style::Single),
    ),
    (
        "fine-tuned on top of",
        Anchor::Parent(Relation::Finetune, Style::Single),
    ),
    (
        "finetuned on top of",
        Anchor::Parent(Relation::Finetune, Style::Single),
    ),
    (
        "trained on top of",
        Anchor::Parent(Relation::Finetune, Style::Single),
    ),
    (
        "format from",
        Anchor::Parent(Relation::Quantized, Style::Single),
    ),
    (
        "quantized version of",
        Anchor::Parent(Relation::Quantized, Style::Single),
    ),
    (
        "quantised version of",
        Anchor::Parent(Relation::Quantized, Style::Single),
    ),
    (
        "quantizations of",
        Anchor::Parent(Relation::Quantized, Style::Single),
    ),
    (
        "quants of",
        Anchor::Parent(Relation::Quantized, Style::Single),
    ),
    (
        "quantized from",
        Anchor::Parent(Relation::Quantized, Style::Single),
    ),
    (
        "gguf version of",
        Anchor::Parent(Relation::Quantized, Style::Single),
    ),
    (
        "original model:",
        Anchor::Parent(Relation::Unspecified, Style::Single),
    ),
    (
        "base model:",
        Anchor::Parent(Relation::Unspecified, Style::Single),
    ),
    (
        "use the pretrained",
        Anchor::Parent(Relation::Finetune, Style::Single),
    ),
    (
        "used the pretrained",
        Anchor::Parent(Relation::Finetune, Style::Single),
    ),
    (
        "using the pretrained",
        Anchor::Parent(Relation::Finetune, Style::Single),
    ),
    (
        "adapter for",
        Anchor::Parent(Relation::Adapter, Style::Single),
    ),
    (
        "adapter of",
        Anchor::Parent(Relation::Adapter, Style::Single),
    ),
    (
        "included in the merge:",
        Anchor::Parent(Relation::Merge, Style::List),
    ),
    (
        "merge method using",
        Anchor::Parent(Relation::Merge, Style::Single),
    ),
    ("merging", Anchor::Parent(Relation::Merge, Style::Sentence)),
];

/// First path segments of `huggingface.co/…` that are site pages, not models.
const RESERVED_SEGMENTS: &[&str] = &[
    "api",
    "blog",
    "changelog",
    "chat",
    "collections",
    "course",
    "datasets",
    "docs",
    "enterprise",
    "join",
    "learn",
    "login",
    "models",
    "new",
    "organizations",
    "papers",
    "posts",
    "pricing",
    "privacy",
    "search",
    "settings",
    "spaces",
    "tasks",
    "terms-of-service",
    "transformers",
];

const MEDIA_EXTENSIONS: &[&str] = &[
    ".bmp", ".gif", ".ico", ".jpeg", ".jpg", ".mp3", ".mp4", ".png", ".svg", ".wav", ".webm",
    ".webp",
];

/// How far after an anchor the parsers may read.
const WINDOW: usize = 512;
/// How far an `eprint` may be from an `arXiv` mention to count as an arXiv id.
const EPRINT_CONTEXT: usize = 400;

fn automaton() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .kind(Some(AhoCorasickKind::DFA))
            .build(ANCHORS.iter().map(|(p, _)| p))
            .expect("the anchors are a small constant set of patterns")
    })
}

/// An article found in the card text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TextArticle {
    pub id: String,
    pub version: Option<u32>,
    pub kind: ArticleKind,
    pub raw: String,
}

/// A parent model found in the card text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TextParent {
    /// The id as written (normalised by the identifier).
    pub id: String,
    pub relation: Relation,
    pub raw: String,
    /// The `base_model:` of a mergekit configuration.
    pub merge_base: bool,
}

/// Everything found in one card text, in text order.
#[derive(Debug, Clone, Default)]
pub(crate) struct CardScan {
    /// Dataset ids from `huggingface.co/datasets/…` links, with the link text.
    pub datasets: Vec<(String, String)>,
    pub articles: Vec<TextArticle>,
    pub parents: Vec<TextParent>,
    /// ISO 639-1 codes from the template's language line, with the name or code as written.
    pub languages: Vec<(String, String)>,
    /// Hub license ids from the template's license line, with the value as written.
    pub licenses: Vec<(String, String)>,
}

/// Rounds `at` down to a char boundary of `s`.
fn floor_boundary(s: &str, mut at: usize) -> usize {
    if at >= s.len() {
        return s.len();
    }
    while at > 0 && !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The text from `at`, at most `len` bytes (cut at a char boundary).
fn window(s: &str, at: usize, len: usize) -> &str {
    let start = floor_boundary(s, at);
    let end = floor_boundary(s, at.saturating_add(len));
    s.get(start..end).unwrap_or("")
}

impl CardScan {
    /// Scans one card text.
    pub(crate) fn scan(text: &str) -> Self {
        let mut out = CardScan::default();
        let mut arxiv_positions: Vec<usize> = Vec::new();
        let mut eprints: Vec<(usize, TextArticle)> = Vec::new();
        // The code block open at this point of the text, if any.
        let mut block: Option<Block> = None;
        for m in automaton().find_iter(text) {
            let Some((_, anchor)) = ANCHORS.get(m.pattern().as_usize()) else {
                continue;
            };
            let (start, end) = (m.start(), m.end());
            match anchor {
                Anchor::Hf => out.hf_link(text, start, end),
                Anchor::Arxiv => {
                    if is_archive_prefix(text, start) {
                        arxiv_positions.push(start);
                    }
                    out.arxiv(text, start, end);
                    out.arxiv_doi(text, start, end);
                }
                Anchor::Doi => out.doi(text, start, end),
                Anchor::Fence => match block.take() {
                    None => block = Block::open(text, start, end),
                    Some(open) => match fence_line(text, start, end) {
                        Some((line_start, "")) => out.read_block(text, &open, line_start),
                        _ => block = Some(open),
                    },
                },
                Anchor::MergeMethod => {
                    if let Some(open) = block.as_mut()
                        && start >= 6
                        && text.get(start - 6..start) == Some("merge_")
                    {
                        open.has_method = true;
                    }
                }
                Anchor::MergeModels => {
                    if let Some(open) = block.as_mut() {
                        open.has_models = true;
                    }
                }
                Anchor::TemplateLanguages => out.template_languages(text, start, end),
                Anchor::TemplateLicense => out.template_license(text, start, end),
                Anchor::Eprint => {
                    if let Some(article) = eprint(text, start, end) {
                        eprints.push((start, article));
                    }
                }
                Anchor::Parent(relation, style) => out.parent(text, start, end, *relation, *style),
            }
        }
        if let Some(open) = block {
            // An unclosed block runs to the end of the text.
            out.read_block(text, &open, text.len());
        }
        // An `eprint = {…}` counts when an arXiv archive prefix (`archivePrefix = {arXiv}`,
        // `eprinttype = {arxiv}`) is near it, in the same BibTeX entry: no entry start, entry end or
        // blank line in between.
        for (at, article) in eprints {
            let first = arxiv_positions.partition_point(|p| *p + EPRINT_CONTEXT < at);
            let same_entry = arxiv_positions
                .get(first..)
                .unwrap_or(&[])
                .iter()
                .take_while(|p| **p <= at.saturating_add(EPRINT_CONTEXT))
                .any(|p| {
                    let (lo, hi) = if *p < at { (*p, at) } else { (at, *p) };
                    let between = text
                        .get(floor_boundary(text, lo)..floor_boundary(text, hi))
                        .unwrap_or("");
                    !between.contains("\n@")
                        && !between.contains("\n}")
                        && !between.contains("\n\n")
                        && !between.contains("```")
                });
            if same_entry {
                out.articles.push(article);
            }
        }
        out
    }

    fn hf_link(&mut self, text: &str, start: usize, end: usize) {
        if !host_boundary(text, start) {
            return;
        }
        let path = link_path(window(text, end, WINDOW));
        let raw = text.get(start..end + path.len()).unwrap_or("").to_string();
        match hf_path(path) {
            Some(HfPath::Dataset(id)) => self.datasets.push((id, raw)),
            Some(HfPath::Paper(a)) => self.articles.push(TextArticle {
                id: a.id,
                version: a.version,
                kind: ArticleKind::Arxiv,
                raw,
            }),
            _ => {}
        }
    }

    fn arxiv(&mut self, text: &str, start: usize, end: usize) {
        let rest = window(text, end, 64);
        let id_at = if let Some(after) = strip_prefix_ci(rest, ".org/") {
            // arxiv.org/abs/ID, /pdf/ID, /html/ID
            let Some(slash) = after.find('/') else { return };
            let route = after.get(..slash).unwrap_or("");
            if !["abs", "pdf", "html", "ps", "format"]
                .iter()
                .any(|r| route.eq_ignore_ascii_case(r))
            {
                return;
            }
            rest.len() - after.len() + slash + 1
        } else {
            // arXiv:ID, arXiv: ID
            let trimmed = rest.trim_start_matches([' ', '\t']);
            let Some(after) = trimmed.strip_prefix(':') else {
                return;
            };
            let after_ws = after.trim_start_matches([' ', '\t']);
            rest.len() - after_ws.len()
        };
        let Some(id_text) = rest.get(id_at..) else {
            return;
        };
        if let Some((a, len)) = parse_arxiv_id(id_text) {
            let raw = text.get(start..end + id_at + len).unwrap_or("").to_string();
            self.articles.push(TextArticle {
                id: a.id,
                version: a.version,
                kind: ArticleKind::Arxiv,
                raw,
            });
        }
    }

    fn doi(&mut self, text: &str, start: usize, end: usize) {
        let path = link_path(window(text, end, WINDOW));
        let Some(doi) = parse_doi(path) else { return };
        if is_arxiv_doi_prefix(doi) {
            // Read at the `arxiv` anchor inside it, whatever precedes it.
            return;
        }
        let raw = text.get(start..end + doi.len()).unwrap_or("").to_string();
        self.articles.push(doi_article(doi, raw));
    }

    /// An arXiv DOI in any written form (`doi:`, `DOI:`, a `doi.org` or `dx.doi.org` link, bare,
    /// BibTeX `doi = {…}`): `10.48550/arXiv.ID`, `arxiv` in any case, with or without a version.
    /// Read at the `arxiv` anchor, from the `10.48550/` right before it.
    fn arxiv_doi(&mut self, text: &str, start: usize, end: usize) {
        let Some(doi_start) = start.checked_sub(9) else {
            return;
        };
        if !text
            .get(doi_start..start)
            .is_some_and(|p| p.eq_ignore_ascii_case("10.48550/"))
        {
            return;
        }
        // `110.48550/…` or `x10.48550/…` is not a DOI.
        if doi_start > 0
            && text
                .as_bytes()
                .get(doi_start - 1)
                .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
        {
            return;
        }
        let rest = window(text, end, 64);
        let Some(id_text) = rest.strip_prefix('.') else {
            return;
        };
        if let Some((a, len)) = parse_arxiv_id(id_text) {
            let raw = text.get(doi_start..end + 1 + len).unwrap_or("").to_string();
            self.articles.push(TextArticle {
                id: a.id,
                version: a.version,
                kind: ArticleKind::Arxiv,
                raw,
            });
        }
    }

    /// Reads a closed code block (its body ends at `body_end`) when it is a mergekit configuration:
    /// its models become merge parents. Only blocks where a `merge_method:`, `slices:` or `models:`
    /// anchor was hit are read at all.
    fn read_block(&mut self, text: &str, block: &Block, body_end: usize) {
        if !block.readable || !(block.has_method || (block.yaml && block.has_models)) {
            return;
        }
        let body = text
            .get(floor_boundary(text, block.body_start)..floor_boundary(text, body_end))
            .unwrap_or("");
        self.parents.extend(merge_config(body, block.yaml));
    }

    /// `- **Language(s) (NLP):** English, German` (the model-card template).
    fn template_languages(&mut self, text: &str, start: usize, end: usize) {
        let Some(value) = template_value(text, start, end, true) else {
            return;
        };
        for item in value.split([',', ';', '/', '&']).flat_map(split_and) {
            let item = item
                .split('(')
                .next()
                .unwrap_or("")
                .trim_matches(|c: char| c.is_whitespace() || "*_`[].".contains(c));
            if let Some(code) = language_code(item) {
                self.languages.push((code.to_string(), item.to_string()));
            }
        }
    }

    /// `- **License:** apache-2.0` (the model-card template): a Hub license id, spaces allowed.
    fn template_license(&mut self, text: &str, start: usize, end: usize) {
        let Some(value) = template_value(text, start, end, false) else {
            return;
        };
        // `[apache-2.0](https://…)`: the label.
        let value = match value.strip_prefix('[') {
            Some(v) => v.split(']').next().unwrap_or(""),
            None => value,
        };
        let value = value.trim_matches(|c: char| c.is_whitespace() || "*_`.".contains(c));
        if value.len() > 64 {
            return;
        }
        let id = value
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-")
            .to_ascii_lowercase();
        if crate::licenses::is_hub_license(&id) && id != "other" && id != "unknown" {
            self.licenses.push((id, value.to_string()));
        }
    }

    fn parent(&mut self, text: &str, start: usize, end: usize, relation: Relation, style: Style) {
        // Phrases are whole words: "merging" must not match inside "emerging".
        if start > 0
            && text
                .as_bytes()
                .get(start - 1)
                .is_some_and(|c| c.is_ascii_alphanumeric())
        {
            return;
        }
        let rest = window(text, end, WINDOW);
        match style {
            Style::Single => {
                if let Some((id, len)) = parse_target(rest) {
                    let raw = text.get(start..end + len).unwrap_or("").to_string();
                    self.parents.push(TextParent {
                        id,
                        relation,
                        raw,
                        merge_base: false,
                    });
                }
            }
            Style::List => {
                let rest = window(text, end, 8 * WINDOW);
                for line in rest.lines().skip(1).take(64) {
                    let t = line.trim();
                    if t.is_empty() {
                        continue;
                    }
                    let Some(item) = t.strip_prefix(['*', '-', '+']) else {
                        break;
                    };
                    if let Some((id, _)) = parse_target(item) {
                        self.parents.push(TextParent {
                            id,
                            relation,
                            raw: t.to_string(),
                            merge_base: false,
                        });
                    }
                }
            }
            Style::Sentence => {
                let sentence_end = sentence_end(rest);
                let sentence = rest.get(..sentence_end).unwrap_or("");
                let ids = targets_in(sentence);
                if ids.len() >= 2 {
                    let raw = text
                        .get(start..end + sentence_end)
                        .unwrap_or("")
                        .to_string();
                    for id in ids {
                        self.parents.push(TextParent {
                            id,
                            relation,
                            raw: raw.clone(),
                            merge_base: false,
                        });
                    }
                }
            }
        }
    }
}

/// A fenced code block being scanned: a YAML or unlabelled one (the only ones that may hold a
/// mergekit configuration), or another one (`readable: false`) whose fences must still pair.
#[derive(Debug)]
struct Block {
    body_start: usize,
    yaml: bool,
    readable: bool,
    has_method: bool,
    has_models: bool,
}

impl Block {
    /// The block opened by the fence at `start..end`, if the fence opens a line.
    fn open(text: &str, start: usize, end: usize) -> Option<Block> {
        let (_, info) = fence_line(text, start, end)?;
        let lang = info.split_whitespace().next().unwrap_or("");
        let yaml = lang.eq_ignore_ascii_case("yaml") || lang.eq_ignore_ascii_case("yml");
        let line_end = text
            .get(end..)
            .and_then(|after| after.find('\n'))
            .map_or(text.len(), |at| end + at + 1);
        Some(Block {
            body_start: line_end,
            yaml,
            readable: yaml || lang.is_empty(),
            has_method: false,
            has_models: false,
        })
    }
}

/// A fence at `start..end` that opens its line (at most three spaces before it): where the line
/// starts, and the info string after the backticks (empty on a closing fence).
fn fence_line(text: &str, start: usize, end: usize) -> Option<(usize, &str)> {
    let before = text.get(..start)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let indent = before.get(line_start..)?;
    if indent.len() > 3 || !indent.bytes().all(|c| c == b' ') {
        return None;
    }
    let after = text.get(end..)?;
    let line = after.split('\n').next().unwrap_or("");
    Some((line_start, line.trim_matches(['`', ' ', '\t', '\r'])))
}

/// Whether a DOI has arXiv's prefix `10.48550/`.
fn is_arxiv_doi_prefix(doi: &str) -> bool {
    doi.get(..9)
        .is_some_and(|p| p.eq_ignore_ascii_case("10.48550/"))
}

/// The parents a mergekit configuration names: every `model:` under `slices:` or `models:`, and
/// the top-level `base_model:` (the merge's base). A block is a configuration when it has a
/// top-level `merge_method:`, or when it is fenced as YAML and lists models under `slices:` or
/// `models:`; anything else (an axolotl config, a serving config) yields nothing.
fn merge_config(body: &str, yaml: bool) -> Vec<TextParent> {
    let mut has_method = false;
    let mut section_models = false;
    let mut in_models = false;
    let mut found = Vec::new();
    for line in body.lines() {
        let top_level = !line.starts_with([' ', '\t', '-', '#']);
        let item = line.trim_start().trim_start_matches(['-', ' ']);
        if top_level {
            let key = line.split(':').next().unwrap_or("").trim();
            in_models = key == "slices" || key == "models";
            if key == "merge_method" {
                has_method = true;
            } else if key == "base_model"
                && let Some(value) = yaml_value(line, "base_model:")
            {
                found.push(TextParent {
                    id: value.to_string(),
                    relation: Relation::Merge,
                    raw: line.trim().to_string(),
                    merge_base: true,
                });
            }
        } else if in_models && let Some(value) = yaml_value(item, "model:") {
            section_models = true;
            found.push(TextParent {
                id: value.to_string(),
                relation: Relation::Merge,
                raw: line.trim().to_string(),
                merge_base: false,
            });
        }
    }
    if has_method || (yaml && section_models) {
        found
    } else {
        Vec::new()
    }
}

/// The scalar value of `key: value` (`key` with its colon), without quotes or a trailing comment.
fn yaml_value<'s>(line: &'s str, key: &str) -> Option<&'s str> {
    let rest = line.trim_start().strip_prefix(key)?;
    let rest = match rest.find(" #") {
        Some(at) => rest.get(..at)?,
        None => rest,
    };
    let value = rest.trim().trim_matches(['"', '\'']).trim();
    (!value.is_empty()).then_some(value)
}

/// The value of a template line whose bold label was hit at `start..end` (`**language`,
/// `**license`): the line must be a list item or the label alone (`- **Language(s) (NLP):** …`,
/// `* **License**: …`), and the value is not `[More Information Needed]`. For the language label,
/// `(s)` and ` (NLP)` may follow the anchor.
fn template_value(text: &str, start: usize, end: usize, language: bool) -> Option<&str> {
    let before = text.get(..start)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let prefix = before.get(line_start..)?;
    if !prefix
        .bytes()
        .all(|c| matches!(c, b' ' | b'\t' | b'-' | b'*' | b'+'))
    {
        return None;
    }
    let rest = window(text, end, WINDOW);
    let mut line = rest.split('\n').next().unwrap_or("");
    if language {
        line = line
            .strip_prefix("(s)")
            .or_else(|| line.strip_prefix(['s', 'S']))
            .unwrap_or(line);
    }
    // `:**`, `**:`, ` (NLP):**`
    let colon = line.find(':').filter(|c| *c <= 12)?;
    let label = line.get(..colon)?.trim_matches(['*', ' ']);
    if !(label.is_empty() || (language && label.eq_ignore_ascii_case("(nlp)"))) {
        return None;
    }
    let value = line
        .get(colon + 1..)?
        .trim_matches(|c: char| c.is_whitespace() || c == '*');
    if value.is_empty()
        || value
            .to_ascii_lowercase()
            .contains("more information needed")
    {
        return None;
    }
    Some(value)
}

/// Splits `English and German` into its parts.
fn split_and(s: &str) -> impl Iterator<Item = &str> {
    s.split(" and ")
}

/// The ISO 639-1 code of a language name (English or native) or code, as written in a template line.
fn language_code(item: &str) -> Option<&'static str> {
    use crate::vocab::iso639::{ISO_639_1, LANGUAGE_NAMES};
    if item.is_empty() || item.len() > 40 {
        return None;
    }
    let lower = item.to_lowercase();
    if lower.len() == 2 {
        return ISO_639_1
            .binary_search(&lower.as_str())
            .ok()
            .and_then(|at| ISO_639_1.get(at))
            .copied();
    }
    LANGUAGE_NAMES
        .binary_search_by(|(name, _)| (*name).cmp(lower.as_str()))
        .ok()
        .and_then(|at| LANGUAGE_NAMES.get(at))
        .map(|(_, code)| *code)
}

fn strip_prefix_ci<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

/// Whether the host anchored at `start` is the Hub itself (not `discuss.huggingface.co`,
/// `cdn-media.huggingface.co`, …): preceded by nothing, a non-host character, or `www.`.
fn host_boundary(text: &str, start: usize) -> bool {
    let before = text.get(..start).unwrap_or("");
    match before.as_bytes().last() {
        None => true,
        Some(b'.') => {
            before.len() >= 4
                && before
                    .get(before.len() - 4..)
                    .is_some_and(|w| w.eq_ignore_ascii_case("www."))
        }
        Some(c) => !(c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_'),
    }
}

/// Where a DOI suffix ends: whitespace or a markup delimiter.
fn ends_doi(c: u8) -> bool {
    c.is_ascii_whitespace()
        || matches!(
            c,
            b')' | b']' | b'>' | b'<' | b'"' | b'\'' | b'`' | b'|' | b',' | b';' | b'{' | b'}'
        )
}

/// Where a URL path ends: where a DOI would, or at a backslash or an emphasis star.
fn ends_link_path(c: u8) -> bool {
    ends_doi(c) || matches!(c, b'\\' | b'*')
}

/// The URL path at the start of `s`: up to whitespace or a markup delimiter, without a trailing
/// sentence period.
fn link_path(s: &str) -> &str {
    let end = s.bytes().position(ends_link_path).unwrap_or(s.len());
    let path = s.get(..end).unwrap_or("");
    path.trim_end_matches(['.', ':', '!', '?'])
}

/// What a Hub URL path points to.
#[derive(Debug, PartialEq, Eq)]
enum HfPath {
    Dataset(String),
    Paper(crate::arxiv::ArxivId),
    Model(String),
}

fn valid_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 96
        && s.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && !s.contains("..")
        && !s.ends_with('.')
}

fn hf_path(path: &str) -> Option<HfPath> {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let lower = path.to_ascii_lowercase();
    let mut segs = path.split('/');
    let first = segs.next().unwrap_or("");
    let second = segs.next().unwrap_or("");
    let third = segs.next().unwrap_or("");
    if first == "datasets" {
        if MEDIA_EXTENSIONS.iter().any(|e| lower.ends_with(e)) || !valid_segment(second) {
            return None;
        }
        if valid_segment(third) && !REPO_ROUTES.contains(&third) {
            return Some(HfPath::Dataset(format!("{second}/{third}")));
        }
        return Some(HfPath::Dataset(second.to_string()));
    }
    if first == "papers" {
        return crate::arxiv::parse_arxiv_exact(second).map(HfPath::Paper);
    }
    if RESERVED_SEGMENTS.contains(&first)
        || !valid_segment(first)
        || first.eq_ignore_ascii_case("none")
    {
        return None;
    }
    if MEDIA_EXTENSIONS.iter().any(|e| lower.ends_with(e)) {
        return None;
    }
    if valid_segment(second) && !REPO_ROUTES.contains(&second) {
        Some(HfPath::Model(format!("{first}/{second}")))
    } else if second.is_empty() || REPO_ROUTES.contains(&second) {
        Some(HfPath::Model(first.to_string()))
    } else {
        None
    }
}

/// Whether `s` has the shape of a Hub repo id `owner/name`.
pub(crate) fn is_owner_name(s: &str) -> bool {
    match s.split_once('/') {
        Some((owner, name)) => valid_segment(owner) && valid_segment(name),
        None => false,
    }
}

/// A model id given as a link to the Hub (`https://huggingface.co/owner/name`), if it is one.
pub(crate) fn model_from_url(url: &str) -> Option<String> {
    let url = url.trim();
    let rest = ["https://", "http://", ""]
        .iter()
        .find_map(|scheme| strip_prefix_ci(url, scheme))?;
    let rest = strip_prefix_ci(rest, "www.").unwrap_or(rest);
    let path =
        strip_prefix_ci(rest, "huggingface.co/").or_else(|| strip_prefix_ci(rest, "hf.co/"))?;
    match hf_path(link_path(path)) {
        Some(HfPath::Model(id)) => Some(id),
        _ => None,
    }
}

/// Parses the model named right after a parent phrase: a markdown link to the Hub (or whose label is
/// an id), a backticked id, a bare Hub URL or a bare `owner/name`. Returns the id and the bytes used.
fn parse_target(s: &str) -> Option<(String, usize)> {
    let mut i = 0;
    let b = s.as_bytes();
    let mut newlines = 0;
    // Skip spacing and emphasis, "the", "model" and "[optional]" (the model card template's
    // "Finetuned from model [optional]:"), at most one line break.
    loop {
        match b.get(i) {
            Some(b' ' | b'\t' | b'*' | b':' | b'_' | b'\r') => i += 1,
            Some(b'\n') if newlines == 0 => {
                newlines += 1;
                i += 1;
            }
            Some(_) => {
                let rest = s.get(i..).unwrap_or("");
                if let Some(r) = strip_prefix_ci(rest, "model")
                    && r.starts_with([' ', ':', '*', '['])
                {
                    i += 5;
                    continue;
                }
                if strip_prefix_ci(rest, "the ").is_some() {
                    i += 4;
                    continue;
                }
                if strip_prefix_ci(rest, "[optional]").is_some() {
                    i += 10;
                    continue;
                }
                break;
            }
            None => return None,
        }
    }
    let rest = s.get(i..)?;
    let (id, len) = if let Some(after) = rest.strip_prefix('[') {
        let close = after.find(']').filter(|c| *c <= 200)?;
        let label = after.get(..close)?;
        if label.contains('\n') {
            return None;
        }
        let mut used = 1 + close + 1;
        let mut url_id = None;
        if let Some(link) = after.get(close + 1..).and_then(|x| x.strip_prefix('(')) {
            let end = link.find(')').filter(|e| *e <= 300)?;
            let url = link.get(..end)?;
            used += 1 + end + 1;
            url_id = model_from_url(url);
            if url_id.is_none() && is_url(url) && !label_is_id(label) {
                return None;
            }
        }
        let label_id = clean_label(label);
        let id = url_id.or_else(|| is_owner_name(&label_id).then_some(label_id))?;
        (id, used)
    } else if let Some(after) = rest.strip_prefix('`') {
        let close = after.find('`').filter(|c| *c <= 200)?;
        let inner = after.get(..close)?.trim();
        let id =
            model_from_url(inner).or_else(|| is_owner_name(inner).then(|| inner.to_string()))?;
        (id, close + 2)
    } else {
        let token = link_path(rest);
        let id =
            model_from_url(token).or_else(|| is_owner_name(token).then(|| token.to_string()))?;
        (id, token.len())
    };
    if id.eq_ignore_ascii_case("none") {
        return None;
    }
    Some((id, i + len))
}

fn is_url(s: &str) -> bool {
    let s = s.trim();
    strip_prefix_ci(s, "http://").is_some() || strip_prefix_ci(s, "https://").is_some()
}

fn clean_label(label: &str) -> String {
    label.trim().trim_matches(['`', '*', '_', ' ']).to_string()
}

fn label_is_id(label: &str) -> bool {
    is_owner_name(&clean_label(label))
}

/// The end of the sentence at the start of `s`: a period followed by a space, or a line break.
fn sentence_end(s: &str) -> usize {
    let b = s.as_bytes();
    for (i, c) in b.iter().enumerate() {
        match c {
            b'\n' => return i,
            b'.' if b.get(i + 1).is_none_or(|n| n.is_ascii_whitespace()) => return i,
            _ => {}
        }
    }
    s.len()
}

/// The model ids (backticked, linked or labelled `owner/name`) in a sentence.
fn targets_in(sentence: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let b = sentence.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if matches!(b.get(i), Some(b'`' | b'['))
            && let Some((id, len)) = sentence.get(i..).and_then(parse_target)
        {
            if !ids.contains(&id) {
                ids.push(id);
            }
            i += len.max(1);
            continue;
        }
        i += 1;
    }
    ids
}

/// A DOI at the start of `s` (`10.NNNN/suffix`), trimmed of trailing punctuation.
pub(crate) fn parse_doi(s: &str) -> Option<&str> {
    let rest = s.strip_prefix("10.")?;
    let reg = rest
        .bytes()
        .take_while(|c| c.is_ascii_digit() || *c == b'.')
        .count();
    if reg < 4 || rest.as_bytes().get(reg) != Some(&b'/') {
        return None;
    }
    let suffix = rest.get(reg + 1..)?;
    let len = suffix.bytes().position(ends_doi).unwrap_or(suffix.len());
    let suffix = suffix.get(..len)?.trim_end_matches(['.', ':', '!', '?']);
    if suffix.is_empty() {
        return None;
    }
    s.get(..3 + reg + 1 + suffix.len())
}

/// An article from a DOI: an arXiv DOI (`10.48550/arXiv.ID`) becomes the arXiv id.
pub(crate) fn doi_article(doi: &str, raw: String) -> TextArticle {
    if let Some(suffix) = doi
        .get(..9)
        .filter(|p| p.eq_ignore_ascii_case("10.48550/"))
        .and(doi.get(9..))
        && let Some(id) = strip_prefix_ci(suffix, "arxiv.")
        && let Some(a) = crate::arxiv::parse_arxiv_exact(id)
    {
        return TextArticle {
            id: a.id,
            version: a.version,
            kind: ArticleKind::Arxiv,
            raw,
        };
    }
    TextArticle {
        id: doi.to_string(),
        version: None,
        kind: ArticleKind::Doi,
        raw,
    }
}

/// Whether the `arXiv` at `start` is the value of a BibTeX `archivePrefix` or `eprinttype` field.
fn is_archive_prefix(text: &str, start: usize) -> bool {
    let from = floor_boundary(text, start.saturating_sub(40));
    let before = text.get(from..start).unwrap_or("");
    let line = before
        .rsplit('\n')
        .next()
        .unwrap_or(before)
        .to_ascii_lowercase();
    (line.contains("archiveprefix") || line.contains("eprinttype")) && line.contains('=')
}

/// `eprint = {ID}` / `eprint = "ID"` / `eprint = ID`.
fn eprint(text: &str, start: usize, end: usize) -> Option<TextArticle> {
    let rest = window(text, end, 64);
    let after = rest.trim_start_matches([' ', '\t']);
    let after = after.strip_prefix('=')?;
    let after = after.trim_start_matches([' ', '\t']);
    let after = after.strip_prefix(['{', '"']).unwrap_or(after);
    let after = after.trim_start_matches([' ', '\t']);
    let offset = rest.len() - after.len();
    // A prefixed value (`eprint = {arXiv:2106.09685}`) is found by the `arxiv` anchor itself.
    let (a, len) = parse_arxiv_id(after)?;
    let raw = text
        .get(start..end + offset + len)
        .unwrap_or("")
        .to_string();
    Some(TextArticle {
        id: a.id,
        version: a.version,
        kind: ArticleKind::Arxiv,
        raw,
    })
}

#[cfg(test)]
#[allow(clippy::type_complexity)] // table-driven tests
mod tests {
    use super::*;

    #[test]
    fn hf_paths() {
        let cases: &[(&str, Option<HfPath>)] = &[
            ("datasets/squad", Some(HfPath::Dataset("squad".into()))),
            ("datasets/a/b", Some(HfPath::Dataset("a/b".into()))),
            (
                "datasets/a/b/tree/main/x",
                Some(HfPath::Dataset("a/b".into())),
            ),
            (
                "datasets/a/b/blob/main/README.md",
                Some(HfPath::Dataset("a/b".into())),
            ),
            (
                "datasets/squad/tree/main",
                Some(HfPath::Dataset("squad".into())),
            ),
            ("datasets/a/b?row=3", Some(HfPath::Dataset("a/b".into()))),
            ("datasets/a/b#usage", Some(HfPath::Dataset("a/b".into()))),
            (
                "datasets/huggingface/documentation-images/resolve/main/x.png",
                None,
            ),
            ("datasets", None),
            ("datasets?search=x", None),
            (
                "papers/2106.09685",
                Some(HfPath::Paper(crate::arxiv::ArxivId {
                    id: "2106.09685".into(),
                    version: None,
                })),
            ),
            ("papers/foo", None),
            ("spaces/a/b", None),
            ("docs/transformers", None),
            ("a/b", Some(HfPath::Model("a/b".into()))),
            ("gpt2", Some(HfPath::Model("gpt2".into()))),
            ("a/b/resolve/main/img.png", None),
            ("None", None),
            ("./out", None),
            ("", None),
        ];
        for (input, expected) in cases {
            assert_eq!(&hf_path(input), expected, "input: {input:?}");
        }
    }

    #[test]
    fn targets() {
        let cases: &[(&str, Option<&str>)] = &[
            (" [a/b](https://huggingface.co/a/b) on", Some("a/b")),
            (
                " [bert-base-uncased](https://huggingface.co/bert-base-uncased) on",
                Some("bert-base-uncased"),
            ),
            (
                " [`google/gemma-3-270m`](https://huggingface.co/google/gemma-3-270m) using",
                Some("google/gemma-3-270m"),
            ),
            (" [None](https://huggingface.co/None).", None),
            (" [./out](https://huggingface.co/./out)", None),
            (" `a/b`", Some("a/b")),
            (" a/b on the x dataset", Some("a/b")),
            (" https://huggingface.co/a/b.", Some("a/b")),
            (
                " [Mistral 7B](https://huggingface.co/mistralai/Mistral-7B-v0.1).",
                Some("mistralai/Mistral-7B-v0.1"),
            ),
            (" [Axolotl](https://github.com/x/axolotl)", None),
            (" the base model", None),
            ("** [More Information Needed]", None),
            (
                " model [optional]:** [a/b](https://huggingface.co/a/b)",
                Some("a/b"),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse_target(input).map(|(id, _)| id).as_deref(),
                *expected,
                "input: {input:?}"
            );
        }
    }

    #[test]
    fn dois() {
        let cases: &[(&str, Option<&str>)] = &[
            ("10.1145/2623330.2623677)", Some("10.1145/2623330.2623677")),
            (
                "10.18653/v1/2020.acl-main.207 |",
                Some("10.18653/v1/2020.acl-main.207"),
            ),
            (
                "10.48550/arXiv.2106.09685.",
                Some("10.48550/arXiv.2106.09685"),
            ),
            ("10.1/x", None),
            ("11.1234/x", None),
            ("10.1234/", None),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_doi(input), *expected, "input: {input:?}");
        }
    }

    fn parents(text: &str) -> Vec<(String, Relation, bool)> {
        CardScan::scan(text)
            .parents
            .into_iter()
            .map(|p| (p.id, p.relation, p.merge_base))
            .collect()
    }

    #[test]
    fn merge_configs() {
        let m = |id: &str, base| (id.to_string(), Relation::Merge, base);
        let cases: &[(&str, Vec<(String, Relation, bool)>)] = &[
            (
                "```yaml\nslices:\n  - sources:\n      - model: a/b\n        layer_range: [0, 32]\n      - model: c/d\nmerge_method: slerp\nbase_model: a/b\n```\n",
                vec![m("a/b", false), m("c/d", false), m("a/b", true)],
            ),
            (
                "```\nmodels:\n  - model: 'a/b' # base\nmerge_method: ties\nbase_model: \"e/f\"\n```",
                vec![m("a/b", false), m("e/f", true)],
            ),
            (
                "```yml\nmodels:\n  - model: a/b\n```",
                vec![m("a/b", false)],
            ),
            // Not merge configurations.
            ("```\nmodels:\n  - model: a/b\n```", vec![]),
            ("```yaml\nbase_model: a/b\nadapter: lora\n```", vec![]),
            ("```yaml\nmodel: a/b\n```", vec![]),
            (
                "```python\nmerge_method: slerp\nbase_model: a/b\n```",
                vec![],
            ),
            ("text merge_method: slerp\nbase_model: a/b\n", vec![]),
            // The closing fence of one block does not open another.
            (
                "```yaml\nx: 1\n```\nmerge_method: slerp\nbase_model: a/b\n```\n",
                vec![],
            ),
            // Unclosed: read to the end.
            (
                "```yaml\nmerge_method: slerp\nbase_model: a/b",
                vec![m("a/b", true)],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(&parents(text), expected, "text: {text:?}");
        }
    }

    #[test]
    fn arxiv_dois() {
        let ids = |text: &str| -> Vec<(String, Option<u32>, ArticleKind)> {
            CardScan::scan(text)
                .articles
                .into_iter()
                .map(|a| (a.id, a.version, a.kind))
                .collect()
        };
        let arxiv = |id: &str, v| vec![(id.to_string(), v, ArticleKind::Arxiv)];
        let cases: &[(&str, Vec<(String, Option<u32>, ArticleKind)>)] = &[
            ("doi:10.48550/arXiv.2010.11929", arxiv("2010.11929", None)),
            (
                "DOI: 10.48550/ARXIV.2010.11929v2.",
                arxiv("2010.11929", Some(2)),
            ),
            (
                "https://doi.org/10.48550/arxiv.2010.11929",
                arxiv("2010.11929", None),
            ),
            (
                "dx.doi.org/10.48550/arXiv.2010.11929)",
                arxiv("2010.11929", None),
            ),
            (
                "doi = {10.48550/ARXIV.2010.11929},",
                arxiv("2010.11929", None),
            ),
            (
                "10.48550/arXiv.hep-th/9901001",
                arxiv("hep-th/9901001", None),
            ),
            ("110.48550/arXiv.2010.11929", vec![]),
            ("10.48550/arXiv.2023.1234", vec![]),
            ("doi.org/10.48550/arXiv.2023.1234", vec![]),
            ("10.48550/zenodo.1", vec![]),
        ];
        for (text, expected) in cases {
            assert_eq!(&ids(text), expected, "text: {text:?}");
        }
    }

    #[test]
    fn template_lines() {
        let scan = |text: &str| {
            let s = CardScan::scan(text);
            let langs: Vec<String> = s.languages.into_iter().map(|(c, _)| c).collect();
            let licenses: Vec<String> = s.licenses.into_iter().map(|(l, _)| l).collect();
            (langs, licenses)
        };
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "- **Language(s) (NLP):** English, Deutsch; 中文 and Français\n- **License:** MIT\n",
                &["en", "de", "zh", "fr"],
                &["mit"],
            ),
            ("* **Language(s)**: en / ko\n", &["en", "ko"], &[]),
            (
                "- **License:** [apache-2.0](https://x/LICENSE)",
                &[],
                &["apache-2.0"],
            ),
            ("- **License:** other", &[], &[]),
            ("- **License:** Apache License 2.0", &[], &[]),
            (
                "- **Language(s) (NLP):** [More Information Needed]",
                &[],
                &[],
            ),
            ("- **Language(s) (NLP):** Python, Klingon", &[], &[]),
            ("It supports many language(s): English.", &[], &[]),
            ("See the **License:** mit", &[], &[]),
        ];
        for (text, langs, licenses) in cases {
            let (l, c) = scan(text);
            let l: Vec<&str> = l.iter().map(String::as_str).collect();
            let c: Vec<&str> = c.iter().map(String::as_str).collect();
            assert_eq!(
                (l.as_slice(), c.as_slice()),
                (*langs, *licenses),
                "text: {text:?}"
            );
        }
    }

    /// The DFA's row is the number of byte classes rounded up to a power of two: past 64 classes
    /// every row doubles and the scan slows down (the bench measured it). A class starts at each
    /// byte an anchor uses (either case) and right after it.
    #[test]
    fn anchors_keep_the_alphabet_within_64_byte_classes() {
        let mut starts = [false; 256];
        for (pattern, _) in ANCHORS {
            for b in pattern.bytes() {
                for c in [b.to_ascii_lowercase(), b.to_ascii_uppercase()] {
                    starts[usize::from(c)] = true;
                    if let Some(next) = starts.get_mut(usize::from(c) + 1) {
                        *next = true;
                    }
                }
            }
        }
        starts[0] = true;
        let classes = starts.iter().filter(|s| **s).count();
        assert!(classes <= 64, "{classes} byte classes");
    }
}
