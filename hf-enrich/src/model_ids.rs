//! The model-id file (`HF_MODELS_FILE_PATH`): one model per line, as an id or a Hub URL.
//!
//! - `#` starts a comment, on its own line or after the id; blank lines are skipped; surrounding
//!   whitespace is ignored.
//! - An id is `organization/model` or a legacy `model`.
//! - URLs are converted: `https://huggingface.co/ID`, `http://`, `hf.co`, `www.huggingface.co`,
//!   with or without the scheme, a trailing `/`, `/tree/<rev>/…`, `/blob/…`, `/resolve/…`,
//!   `?query` and `#fragment` removed.
//! - A dataset or Space URL, or an id the Hub would reject (characters outside `[A-Za-z0-9._-]`,
//!   more than one `/`, `--` or `..`, a part that starts or ends with `-` or `.`, a part over 96
//!   characters) is an error naming its line; the other lines still count.
//! - Duplicates (compared case-insensitively, as the Hub resolves ids) are kept once and reported.

use std::collections::HashMap;

use hf_identifiers::vocab::hub::REPO_ROUTES;
use serde::{Deserialize, Serialize};

/// The longest part (organization or name) of a repo id the Hub accepts.
pub const MAX_ID_PART_LEN: usize = 96;

/// One usable line of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelIdEntry {
    /// 1-based line number.
    pub line: usize,
    /// The model id, normalised (`org/name` or a legacy `name`).
    pub id: String,
    /// The line's text without comment and whitespace, as written (an id or a URL).
    pub raw: String,
}

/// A line that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelIdError {
    /// 1-based line number.
    pub line: usize,
    /// The line's text without comment and whitespace.
    pub text: String,
    /// Why it cannot be used.
    pub reason: String,
}

impl std::fmt::Display for ModelIdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {:?}: {}", self.line, self.text, self.reason)
    }
}

/// A line naming a model an earlier line already named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateModelId {
    /// 1-based line number of the repeat.
    pub line: usize,
    /// The id as normalised on that line.
    pub id: String,
    /// The line that named it first.
    pub first_line: usize,
}

/// A parsed model-id file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelIdList {
    /// The ids to extract, once each, in file order.
    pub entries: Vec<ModelIdEntry>,
    /// Lines that cannot be used.
    pub errors: Vec<ModelIdError>,
    /// Lines that repeat an earlier id.
    pub duplicates: Vec<DuplicateModelId>,
}

impl ModelIdList {
    /// Parse the text of a model-id file. Never fails: bad lines are reported in
    /// [`ModelIdList::errors`].
    ///
    /// ```
    /// use hf_enrich::model_ids::ModelIdList;
    ///
    /// let list = ModelIdList::parse("
    ///     google-bert/bert-base-uncased  # BERT
    ///     https://huggingface.co/openai-community/gpt2/tree/main  # a URL
    ///     gpt2
    ///     https://huggingface.co/datasets/squad
    ///     google-bert/BERT-base-uncased
    /// ");
    /// let ids: Vec<&str> = list.entries.iter().map(|e| e.id.as_str()).collect();
    /// assert_eq!(ids, ["google-bert/bert-base-uncased", "openai-community/gpt2", "gpt2"]);
    /// assert_eq!(list.errors[0].line, 5);
    /// assert_eq!(list.duplicates[0].first_line, 2);
    /// ```
    pub fn parse(text: &str) -> Self {
        let mut list = Self::default();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let content = line.split('#').next().unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            match normalise(content) {
                Ok(id) => {
                    let key = id.to_ascii_lowercase();
                    if let Some(&first_line) = seen.get(&key) {
                        list.duplicates.push(DuplicateModelId {
                            line: number,
                            id,
                            first_line,
                        });
                    } else {
                        seen.insert(key, number);
                        list.entries.push(ModelIdEntry {
                            line: number,
                            id,
                            raw: content.to_owned(),
                        });
                    }
                }
                Err(reason) => list.errors.push(ModelIdError {
                    line: number,
                    text: content.to_owned(),
                    reason,
                }),
            }
        }
        list
    }
}

/// The model id a line names, or why it names none.
fn normalise(content: &str) -> Result<String, String> {
    let lower = content.to_ascii_lowercase();
    let without_scheme = ["https://", "http://"]
        .iter()
        .find_map(|scheme| lower.starts_with(scheme).then(|| &content[scheme.len()..]));
    let hosts = [
        "www.huggingface.co/",
        "huggingface.co/",
        "www.hf.co/",
        "hf.co/",
    ];
    let after_host = |s: &str| -> Option<usize> {
        let l = s.to_ascii_lowercase();
        hosts.iter().find(|h| l.starts_with(*h)).map(|h| h.len())
    };
    let path = match without_scheme {
        Some(rest) => match after_host(rest) {
            Some(len) => &rest[len..],
            None => return Err("not a Hugging Face Hub URL".into()),
        },
        None => match after_host(content) {
            Some(len) => &content[len..],
            None => content,
        },
    };
    let is_url = path.len() != content.len();
    let path = path.split(['?', '#']).next().unwrap_or("");
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let id_segments: &[&str] = if is_url {
        match segments.as_slice() {
            [] => return Err("a Hub URL without a model id".into()),
            ["datasets", ..] => return Err("a dataset URL, not a model".into()),
            ["spaces", ..] => return Err("a Space URL, not a model".into()),
            [
                "papers" | "collections" | "organizations" | "docs" | "models" | "api",
                ..,
            ] => {
                return Err("a Hub URL that is not a model page".into());
            }
            [name, route, ..] if REPO_ROUTES.contains(route) => std::slice::from_ref(name),
            [org, name, ..] => &[*org, *name],
            [name] => std::slice::from_ref(name),
        }
    } else {
        // A bare id; a trailing slash was dropped with the empty segments.
        &segments
    };
    validate(id_segments)?;
    Ok(id_segments.join("/"))
}

/// The Hub's rules for a repo id (those of `huggingface_hub.utils.validate_repo_id`).
fn validate(parts: &[&str]) -> Result<(), String> {
    match parts.len() {
        0 => return Err("an empty model id".into()),
        1 | 2 => {}
        _ => return Err("a model id has at most one '/'".into()),
    }
    for part in parts {
        if part.len() > MAX_ID_PART_LEN {
            return Err(format!("a part longer than {MAX_ID_PART_LEN} characters"));
        }
        if let Some(c) = part
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        {
            return Err(format!(
                "the character {c:?} is not allowed (only A-Z, a-z, 0-9, '.', '_', '-')"
            ));
        }
        if part.contains("--") || part.contains("..") {
            return Err("'--' and '..' are not allowed".into());
        }
        if part.starts_with(['-', '.']) || part.ends_with(['-', '.']) {
            return Err("a part cannot start or end with '-' or '.'".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ids_and_urls_normalise() {
        let cases = [
            (
                "google-bert/bert-base-uncased",
                "google-bert/bert-base-uncased",
            ),
            ("  gpt2  ", "gpt2"),
            ("gpt2 # the legacy alias", "gpt2"),
            ("org/name/", "org/name"),
            ("https://huggingface.co/org/name", "org/name"),
            ("http://huggingface.co/org/name", "org/name"),
            ("https://www.huggingface.co/org/name/", "org/name"),
            ("https://hf.co/org/name", "org/name"),
            ("hf.co/org/name", "org/name"),
            ("huggingface.co/org/name", "org/name"),
            ("HTTPS://HuggingFace.co/org/Name", "org/Name"),
            (
                "https://huggingface.co/org/name/tree/main/sub/dir",
                "org/name",
            ),
            (
                "https://huggingface.co/org/name/blob/main/README.md",
                "org/name",
            ),
            (
                "https://huggingface.co/org/name/resolve/v1.0/config.json",
                "org/name",
            ),
            (
                "https://huggingface.co/org/name?library=transformers",
                "org/name",
            ),
            ("https://huggingface.co/org/name#model-details", "org/name"),
            ("https://huggingface.co/gpt2", "gpt2"),
            ("https://huggingface.co/gpt2/tree/main", "gpt2"),
            ("org/a_b.c-d", "org/a_b.c-d"),
        ];
        for (line, expected) in cases {
            let list = ModelIdList::parse(line);
            assert_eq!(list.errors, [], "{line}");
            assert_eq!(list.entries.len(), 1, "{line}");
            assert_eq!(list.entries[0].id, expected, "{line}");
        }
    }

    #[test]
    fn bad_lines_are_errors_naming_their_line() {
        let cases = [
            ("https://huggingface.co/datasets/squad", "dataset"),
            ("https://huggingface.co/spaces/a/b", "Space"),
            ("https://github.com/a/b", "not a Hugging Face Hub URL"),
            ("a/b/c", "at most one '/'"),
            ("a b", "not allowed"),
            ("org/na--me", "'--'"),
            ("org/na..me", "'..'"),
            ("-org/name", "start or end"),
            ("org/name.", "start or end"),
            ("org/näme", "not allowed"),
            ("https://huggingface.co/", "without a model id"),
            (
                "https://huggingface.co/papers/2106.09685",
                "not a model page",
            ),
        ];
        for (line, reason) in cases {
            let list = ModelIdList::parse(&format!("ok/one\n\n{line}\nok/two"));
            assert_eq!(list.entries.len(), 2, "{line}: the other lines still count");
            assert_eq!(list.errors.len(), 1, "{line}");
            assert_eq!(list.errors[0].line, 3, "{line}");
            assert!(
                list.errors[0].reason.contains(reason),
                "{line}: {}",
                list.errors[0].reason
            );
        }
        let long = format!("org/{}", "a".repeat(97));
        assert!(ModelIdList::parse(&long).errors[0].reason.contains("96"));
        let ok = format!("org/{}", "a".repeat(96));
        assert!(ModelIdList::parse(&ok).errors.is_empty());
    }

    #[test]
    fn duplicates_are_kept_once_and_reported() {
        let list = ModelIdList::parse("a/b\nhttps://huggingface.co/a/b\nA/B\nc/d\na/b # again");
        let ids: Vec<&str> = list.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["a/b", "c/d"]);
        let dups: Vec<(usize, usize)> = list
            .duplicates
            .iter()
            .map(|d| (d.line, d.first_line))
            .collect();
        assert_eq!(dups, [(2, 1), (3, 1), (5, 1)]);
    }

    #[test]
    fn windows_line_endings_and_blank_lines() {
        let list = ModelIdList::parse("# header\r\n\r\na/b\r\n   \r\nc/d # x\r\n");
        let lines: Vec<(usize, &str)> = list
            .entries
            .iter()
            .map(|e| (e.line, e.id.as_str()))
            .collect();
        assert_eq!(lines, [(3, "a/b"), (5, "c/d")]);
    }

    proptest! {
        #[test]
        fn never_panics_and_accounts_for_every_line(text in "(.{0,40}\n){0,20}") {
            let list = ModelIdList::parse(&text);
            let counted = list.entries.len() + list.errors.len() + list.duplicates.len();
            let meaningful = text.lines().filter(|l| !l.split('#').next().unwrap_or("").trim().is_empty()).count();
            prop_assert_eq!(counted, meaningful);
        }
    }
}
