//! The arXiv export API's Atom feed, read with quick-xml by element name.
//!
//! Elements are matched by their local name (`arxiv:comment` → `comment`) and by the element
//! they sit in, never by position: the 2026 serializer orders them differently from the legacy
//! one, and declares namespaces once on `<feed>` where the legacy one repeats them everywhere.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use serde::{Deserialize, Serialize};

use super::ids::ArxivId;
use crate::wire::HubTimestamp;

/// One paper of the arXiv export API (an Atom `<entry>`).
///
/// Every text is whitespace-normalised: runs of spaces, tabs and newlines become one space and
/// the ends are trimmed (arXiv wraps titles and abstracts across lines).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ArxivPaper {
    /// The identifier without version (`1605.08386`, `astro-ph/0601001`), from the entry's `<id>`.
    pub id: String,
    /// The version the entry describes (`1` for `…/abs/1605.08386v1`); `None` when neither the
    /// `<id>` nor the abstract link carries one.
    pub version: Option<u32>,
    /// The entry's `<id>` as sent (`http://arxiv.org/abs/1605.08386v1`).
    pub entry_id: String,
    /// `<title>`.
    pub title: String,
    /// `<summary>`: the abstract.
    pub summary: String,
    /// `<author>` elements, in order.
    pub authors: Vec<ArxivAuthor>,
    /// `<published>`: when version 1 was submitted. Kept as text even when it is not a date.
    pub published: Option<HubTimestamp>,
    /// `<updated>`: when the described version was submitted.
    pub updated: Option<HubTimestamp>,
    /// `<category term=…>`, in order (the primary one included).
    pub categories: Vec<String>,
    /// `<arxiv:primary_category term=…>`.
    pub primary_category: Option<String>,
    /// `<arxiv:comment>`: the authors' comment (pages, figures, venue).
    pub comment: Option<String>,
    /// `<arxiv:journal_ref>`: the journal reference.
    pub journal_ref: Option<String>,
    /// `<arxiv:doi>`: the DOI (`10.1145/3395363.3397376`).
    pub doi: Option<String>,
    /// The abstract page: the `<link rel="alternate">`.
    pub abs_url: Option<String>,
    /// The PDF: the `<link title="pdf">` (or of type `application/pdf`).
    pub pdf_url: Option<String>,
    /// The DOI resolver link: the `<link title="doi">`.
    pub doi_url: Option<String>,
    /// Every `<link>` of the entry, in order.
    pub links: Vec<ArxivLink>,
}

/// An author of an arXiv paper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ArxivAuthor {
    /// `<name>`.
    pub name: String,
    /// `<arxiv:affiliation>` elements (rarely present), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affiliations: Vec<String>,
}

/// A `<link>` of an arXiv entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ArxivLink {
    /// `href`.
    pub href: String,
    /// `rel` (`alternate`, `related`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rel: Option<String>,
    /// `type` (`text/html`, `application/pdf`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// `title` (`pdf`, `doi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// An error entry of the export API (`<title>Error</title>`), e.g. for `id_list=abc`:
/// id `https://arxiv.org/api/errors#incorrect_id_format_for_abc`, summary
/// `incorrect id format for abc`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FeedError {
    /// The entry's `<id>`.
    pub entry_id: String,
    /// The entry's `<summary>`: what arXiv says is wrong.
    pub message: String,
    /// The identifier the error names (`abc` in `incorrect id format for abc`), if any.
    pub bad_id: Option<String>,
}

/// A parsed export API answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ArxivFeed {
    /// The feed's `<title>` (`arXiv Query: search_query=&id_list=…`).
    pub title: Option<String>,
    /// The feed's `<updated>`.
    pub updated: Option<String>,
    /// `<opensearch:totalResults>`.
    pub total_results: Option<u64>,
    /// `<opensearch:startIndex>`.
    pub start_index: Option<u64>,
    /// `<opensearch:itemsPerPage>`.
    pub items_per_page: Option<u64>,
    /// The papers, in feed order.
    pub papers: Vec<ArxivPaper>,
    /// Error entries (an answer with one is not a list of papers).
    pub errors: Vec<FeedError>,
}

/// The XML could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed Atom at byte {position} (in `{path}`): {message}")]
pub struct AtomError {
    /// Byte offset where reading stopped.
    pub position: u64,
    /// The elements open there (`feed/entry/author`).
    pub path: String,
    /// What quick-xml reported.
    pub message: String,
}

/// Collapse runs of whitespace into one space and trim.
pub fn normalize_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An entry being read.
#[derive(Default)]
struct EntryBuilder {
    paper: ArxivPaper,
    title: Option<String>,
    author: Option<ArxivAuthor>,
}

impl EntryBuilder {
    fn finish(self, feed: &mut ArxivFeed) {
        let mut paper = self.paper;
        paper.title = self.title.unwrap_or_default();
        let is_error = paper.entry_id.contains("/api/errors")
            || (paper.title == "Error" && paper.authors.iter().any(|a| a.name == "arXiv api core"));
        if is_error {
            feed.errors.push(FeedError {
                bad_id: bad_id_of(&paper.summary, &paper.entry_id),
                entry_id: paper.entry_id,
                message: paper.summary,
            });
            return;
        }
        let (id, version) = id_of_entry(&paper.entry_id);
        paper.id = id;
        paper.version = version.or_else(|| {
            paper
                .abs_url
                .as_deref()
                .and_then(|u| id_of_url(u).and_then(|id| id.version()))
        });
        feed.papers.push(paper);
    }
}

/// The id named by an error: `incorrect id format for abc` or `…#incorrect_id_format_for_abc`.
fn bad_id_of(message: &str, entry_id: &str) -> Option<String> {
    const PHRASE: &str = "incorrect id format for ";
    if let Some(pos) = message.find(PHRASE) {
        let rest = message.get(pos + PHRASE.len()..).unwrap_or_default();
        let id = rest.split_whitespace().next().unwrap_or_default();
        if !id.is_empty() {
            return Some(id.to_owned());
        }
    }
    let (_, fragment) = entry_id.split_once("#incorrect_id_format_for_")?;
    (!fragment.is_empty()).then(|| fragment.to_owned())
}

/// The id in `…/abs/<id>`, parsed if it is valid.
fn id_of_url(url: &str) -> Option<ArxivId> {
    let (_, rest) = url.split_once("/abs/")?;
    ArxivId::parse(rest).ok()
}

/// Id without version and version of an entry `<id>`; an unparseable id is kept whole.
fn id_of_entry(entry_id: &str) -> (String, Option<u32>) {
    match id_of_url(entry_id) {
        Some(id) => (id.canonical(), id.version()),
        None => (
            entry_id
                .split_once("/abs/")
                .map_or(entry_id, |(_, rest)| rest)
                .to_owned(),
            None,
        ),
    }
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == name)
            .then(|| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .ok()
                    .map(|v| v.trim().to_owned())
            })
            .flatten()
    })
}

fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

/// Parse an export API answer (a feed of papers, or an error feed).
///
/// ```
/// let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
///   <entry><id>http://arxiv.org/abs/1605.08386v1</id>
///     <title>Heat-bath random walks
///        with Markov bases</title>
///     <arxiv:primary_category term="math.CO"/>
///     <author><name>Caprice Stanley</name></author></entry></feed>"#;
/// let feed = hf_client::arxiv::parse_feed(xml)?;
/// let paper = &feed.papers[0];
/// assert_eq!((paper.id.as_str(), paper.version), ("1605.08386", Some(1)));
/// assert_eq!(paper.title, "Heat-bath random walks with Markov bases");
/// assert_eq!(paper.primary_category.as_deref(), Some("math.CO"));
/// # Ok::<(), hf_client::arxiv::AtomError>(())
/// ```
pub fn parse_feed(xml: &str) -> Result<ArxivFeed, AtomError> {
    let mut reader = Reader::from_str(xml);
    let mut feed = ArxivFeed::default();
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut entry: Option<EntryBuilder> = None;
    loop {
        let event = reader.read_event().map_err(|e| AtomError {
            position: reader.error_position(),
            path: stack.join("/"),
            message: e.to_string(),
        })?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_owned();
                text.clear();
                open(&name, &e, &stack, &mut entry);
                stack.push(name);
            }
            Event::Empty(e) => {
                let name = e.local_name().as_ref().to_owned();
                open(&name, &e, &stack, &mut entry);
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => text.push(c),
                _ => match resolve_predefined_entity(&r) {
                    Some(s) => text.push_str(s),
                    None => {
                        text.push('&');
                        text.push_str(&r);
                        text.push(';');
                    }
                },
            },
            Event::End(_) => {
                let Some(name) = stack.pop() else { continue };
                let value = normalize_whitespace(&text);
                text.clear();
                close(&name, value, &stack, &mut entry, &mut feed);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(feed)
}

/// Attributes of an opening (or empty) element.
fn open(name: &str, e: &BytesStart<'_>, stack: &[String], entry: &mut Option<EntryBuilder>) {
    let parent = stack.last().map(String::as_str);
    match (name, parent) {
        ("entry", _) => *entry = Some(EntryBuilder::default()),
        ("author", Some("entry")) => {
            if let Some(b) = entry.as_mut() {
                b.author = Some(ArxivAuthor::default());
            }
        }
        ("link", Some("entry")) => {
            let Some(b) = entry.as_mut() else { return };
            let Some(href) = attr(e, "href") else { return };
            let link = ArxivLink {
                href,
                rel: attr(e, "rel"),
                media_type: attr(e, "type"),
                title: attr(e, "title"),
            };
            let paper = &mut b.paper;
            match (
                link.rel.as_deref(),
                link.title.as_deref(),
                link.media_type.as_deref(),
            ) {
                (_, Some("pdf"), _) | (_, None, Some("application/pdf")) => {
                    paper.pdf_url.get_or_insert_with(|| link.href.clone());
                }
                (_, Some("doi"), _) => {
                    paper.doi_url.get_or_insert_with(|| link.href.clone());
                }
                (Some("alternate"), _, _) => {
                    paper.abs_url.get_or_insert_with(|| link.href.clone());
                }
                _ => {}
            }
            paper.links.push(link);
        }
        ("category", Some("entry")) => {
            if let (Some(b), Some(term)) = (entry.as_mut(), attr(e, "term")) {
                b.paper.categories.push(term);
            }
        }
        ("primary_category", Some("entry")) => {
            if let Some(b) = entry.as_mut() {
                b.paper.primary_category = attr(e, "term");
            }
        }
        _ => {}
    }
}

/// The text of a closing element.
fn close(
    name: &str,
    value: String,
    stack: &[String],
    entry: &mut Option<EntryBuilder>,
    feed: &mut ArxivFeed,
) {
    let parent = stack.last().map(String::as_str);
    match (parent, entry.as_mut()) {
        (_, Some(_)) if name == "entry" => {
            if let Some(b) = entry.take() {
                b.finish(feed);
            }
        }
        (Some("author"), Some(b)) => {
            if let Some(author) = b.author.as_mut() {
                match name {
                    "name" => author.name = value,
                    "affiliation" if !value.is_empty() => author.affiliations.push(value),
                    _ => {}
                }
            }
        }
        (Some("entry"), Some(b)) => {
            let paper = &mut b.paper;
            match name {
                "id" => paper.entry_id = value,
                "title" => b.title = Some(value),
                "summary" => paper.summary = value,
                "published" => paper.published = non_empty(value).map(HubTimestamp::new),
                "updated" => paper.updated = non_empty(value).map(HubTimestamp::new),
                "comment" => paper.comment = non_empty(value),
                "journal_ref" => paper.journal_ref = non_empty(value),
                "doi" => paper.doi = non_empty(value),
                "author" => {
                    if let Some(author) = b.author.take() {
                        paper.authors.push(author);
                    }
                }
                _ => {}
            }
        }
        (Some("feed"), None) => match name {
            "title" => feed.title = non_empty(value),
            "updated" => feed.updated = non_empty(value),
            "totalResults" => feed.total_results = value.parse().ok(),
            "startIndex" => feed.start_index = value.parse().ok(),
            "itemsPerPage" => feed.items_per_page = value.parse().ok(),
            _ => {}
        },
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_is_normalised() {
        assert_eq!(normalize_whitespace("  a\n  b\t\tc \n"), "a b c");
        assert_eq!(normalize_whitespace("\n "), "");
    }

    #[test]
    fn entities_and_cdata_are_resolved() {
        let xml = r#"<feed><entry><id>http://arxiv.org/abs/2401.00001v3</id>
            <title>A &amp; B &lt;C&gt; &#233;t&#xE9; <![CDATA[x < y]]> &unknown;</title></entry></feed>"#;
        let feed = parse_feed(xml).unwrap();
        assert_eq!(feed.papers[0].title, "A & B <C> été x < y &unknown;");
        assert_eq!(feed.papers[0].version, Some(3));
    }

    #[test]
    fn malformed_xml_is_an_error_naming_the_place() {
        let err = parse_feed("<feed><entry><title>x</entry></feed>").unwrap_err();
        assert!(err.path.contains("feed/entry"), "{err}");
    }

    #[test]
    fn bad_ids_are_read_from_the_message_or_the_entry_id() {
        assert_eq!(
            bad_id_of("incorrect id format for abc", "").as_deref(),
            Some("abc")
        );
        assert_eq!(
            bad_id_of(
                "",
                "https://arxiv.org/api/errors#incorrect_id_format_for_1234.12345"
            )
            .as_deref(),
            Some("1234.12345")
        );
        assert_eq!(bad_id_of("max_results too large", "x"), None);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,64}") {
            let _ = parse_feed(&s);
        }

        #[test]
        fn xml_like_text_never_panics(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "<feed>", "</feed>", "<entry>", "</entry>", "<author>", "</author>", "<name>",
                "</name>", "<id>", "</id>", "http://arxiv.org/abs/2401.00001v2", "<title>",
                "</title>", "<link href=\"x\" title=\"pdf\"/>", "<category term=\"a\"/>",
                "<arxiv:affiliation>", "</arxiv:affiliation>", "&amp;", "&#0;", "&bogus;", "<![CDATA[",
                "]]>", " text ", "<", ">", "\"",
            ]),
            0..40,
        )) {
            let _ = parse_feed(&parts.concat());
        }
    }

    #[test]
    fn garbage_never_panics() {
        for text in ["", "<", "<feed>", "&", "<entry><link/></entry>", "\u{0}"] {
            let _ = parse_feed(text);
        }
    }
}
