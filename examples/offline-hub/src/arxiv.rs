//! The offline arXiv export API: `GET /api/query?id_list=…&max_results=…` from recorded feeds.

use std::borrow::Cow;
use std::collections::BTreeMap;

use hf_client::arxiv::ArxivId;

/// The recorded `<entry>` elements by canonical arXiv id, and the recorded error feed.
#[derive(Debug, Clone, Default)]
pub struct ArxivFeeds {
    /// Canonical id (no version, no subject class) → (version, `<entry>…</entry>` text).
    entries: BTreeMap<String, Vec<(Option<u32>, String)>>,
    /// The recorded HTTP 400 feed (`incorrect id format for abc`).
    error_feed: Option<String>,
}

/// The id the recorded error feed names.
const RECORDED_BAD_ID: &str = "abc";

impl ArxivFeeds {
    /// Index one feed's text.
    pub fn add(&mut self, feed: &str) {
        if feed.contains("api/errors#incorrect_id_format_for_") {
            self.error_feed.get_or_insert_with(|| feed.to_owned());
            return;
        }
        let mut rest = feed;
        while let Some(start) = rest.find("<entry>") {
            let Some(len) = rest[start..].find("</entry>") else {
                break;
            };
            let entry = &rest[start..start + len + "</entry>".len()];
            rest = &rest[start + len..];
            let Some(id) = between(entry, "<id>", "</id>")
                .and_then(|id| id.split("/abs/").nth(1))
                .and_then(|id| ArxivId::parse(id).ok())
            else {
                continue;
            };
            let versions = self.entries.entry(id.canonical()).or_default();
            if !versions.iter().any(|(v, _)| *v == id.version()) {
                versions.push((id.version(), entry.to_owned()));
            }
        }
    }

    /// The canonical ids with a recorded entry.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// The answer to `id_list` (comma-separated) and `max_results`: (status, feed text).
    ///
    /// An id is malformed when hf-client's [`ArxivId::parse`] rejects it, or when it is a
    /// new-style id dated before April 2007 (`0612.01234`: the new scheme began with `0704`).
    /// Any malformed id makes the whole answer HTTP 400 naming the first one, like arXiv.
    /// Otherwise each asked id contributes its recorded entry (the asked version, or the latest
    /// recorded one); ids without one are simply absent.
    pub fn answer(&self, id_list: &str, max_results: usize) -> (u16, String) {
        self.answer_with(id_list, max_results, |_| None)
    }

    /// [`answer`](Self::answer), with `generated` giving the `<entry>` of an id (canonical)
    /// that has no recorded one, if it has any.
    pub fn answer_with(
        &self,
        id_list: &str,
        max_results: usize,
        generated: impl Fn(&str) -> Option<String>,
    ) -> (u16, String) {
        let asked: Vec<&str> = id_list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if let Some(bad) = asked.iter().find(|id| !well_formed(id)) {
            return (400, self.error(bad));
        }
        let mut entries: Vec<Cow<'_, str>> = Vec::new();
        for raw in &asked {
            let Ok(id) = ArxivId::parse(raw) else {
                continue;
            };
            let Some(versions) = self.entries.get(&id.canonical()) else {
                if let Some(entry) = generated(&id.canonical()) {
                    let entry = Cow::Owned(entry.trim().to_owned());
                    if !entries.contains(&entry) {
                        entries.push(entry);
                    }
                }
                continue;
            };
            let found = match id.version() {
                Some(v) => versions.iter().find(|(rv, _)| *rv == Some(v)),
                None => versions.iter().max_by_key(|(v, _)| *v),
            };
            if let Some((_, entry)) = found
                && !entries.iter().any(|e| e == entry)
            {
                entries.push(Cow::Borrowed(entry));
            }
        }
        entries.truncate(max_results);
        let ids = escape(&asked.join(","));
        let mut feed = format!(
            "<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns:opensearch=\"http://a9.com/-/spec/opensearch/1.1/\" \
             xmlns:arxiv=\"http://arxiv.org/schemas/atom\" xmlns=\"http://www.w3.org/2005/Atom\">\n  \
             <id>https://arxiv.org/api/offline-hub</id>\n  \
             <title>arXiv Query: search_query=&amp;id_list={ids}&amp;start=0&amp;max_results={max_results}</title>\n  \
             <updated>2026-05-11T00:00:00Z</updated>\n  \
             <link href=\"https://arxiv.org/api/query?search_query=&amp;start=0&amp;max_results={max_results}&amp;id_list={ids}\" type=\"application/atom+xml\"/>\n  \
             <opensearch:itemsPerPage>{max_results}</opensearch:itemsPerPage>\n  \
             <opensearch:totalResults>{}</opensearch:totalResults>\n  \
             <opensearch:startIndex>0</opensearch:startIndex>\n",
            entries.len()
        );
        for entry in entries {
            feed.push_str("  ");
            feed.push_str(&entry);
            feed.push('\n');
        }
        feed.push_str("</feed>\n");
        (200, feed)
    }

    fn error(&self, bad: &str) -> String {
        let bad = escape(bad);
        match &self.error_feed {
            Some(feed) => feed
                .replace(
                    &format!("incorrect_id_format_for_{RECORDED_BAD_ID}"),
                    &format!("incorrect_id_format_for_{bad}"),
                )
                .replace(
                    &format!("incorrect id format for {RECORDED_BAD_ID}"),
                    &format!("incorrect id format for {bad}"),
                ),
            None => format!(
                "<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  \
                 <entry>\n    <id>https://arxiv.org/api/errors#incorrect_id_format_for_{bad}</id>\n    \
                 <title>Error</title>\n    <summary>incorrect id format for {bad}</summary>\n  </entry>\n</feed>\n"
            ),
        }
    }
}

/// The offline arXiv's validity rule (see [`ArxivFeeds::answer`]).
pub fn well_formed(raw: &str) -> bool {
    match ArxivId::parse(raw) {
        Ok(id) if id.is_old_style() => true,
        Ok(id) => id.id().get(..4).is_some_and(|yymm| yymm >= "0704"),
        Err(_) => false,
    }
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let len = text[start..].find(close)?;
    Some(&text[start..start + len])
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
