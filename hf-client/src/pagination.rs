//! Pagination by the `Link` header (RFC 8288), followed exactly as the Hub gives it.
//!
//! Every list page is a bare JSON array; the next page's URL comes in
//! `Link: <https://huggingface.co/api/models?...&cursor=...>; rel="next"` and already carries every
//! query parameter, so it is requested verbatim. The last page has no `rel="next"` link.

use url::Url;

/// One page of a listing, with the URL of the next page (none on the last page).
///
/// Keep [`Page::next`] to resume a listing later (see
/// [`ListModels::page_at`](crate::models::ListModels::page_at)).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page, in the order served.
    pub items: Vec<T>,
    /// The URL of the next page, exactly as the server gave it.
    pub next: Option<Url>,
    /// The URL this page was fetched from.
    pub url: Url,
}

/// The `rel="next"` target of a `Link` header value, resolved against `base`.
///
/// Several links may be given, comma-separated; `rel` may list several relation types
/// (`rel="next last"`) and may be unquoted. Anything malformed yields `None`; it never panics.
///
/// ```
/// use hf_client::pagination::parse_next_link;
/// use url::Url;
///
/// let base = Url::parse("https://huggingface.co/api/models").unwrap();
/// let next = parse_next_link(r#"<https://huggingface.co/api/models?cursor=abc>; rel="next""#, &base);
/// assert_eq!(next.unwrap().as_str(), "https://huggingface.co/api/models?cursor=abc");
/// ```
pub fn parse_next_link(value: &str, base: &Url) -> Option<Url> {
    let mut rest = value;
    loop {
        let open = rest.find('<')?;
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let after = &rest[close + 1..];
        // Parameters run to the next link, i.e. the next '<' (commas may appear inside quotes).
        let params_end = after.find('<').unwrap_or(after.len());
        let params = &after[..params_end];
        if is_next(params) {
            return base.join(target.trim()).ok();
        }
        rest = &after[params_end..];
    }
}

fn is_next(params: &str) -> bool {
    params.split(';').any(|param| {
        let Some((key, value)) = param.split_once('=') else {
            return false;
        };
        key.trim().eq_ignore_ascii_case("rel")
            && value
                .trim()
                .trim_end_matches(',')
                .trim()
                .trim_matches('"')
                .split_ascii_whitespace()
                .any(|rel| rel.eq_ignore_ascii_case("next"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn base() -> Url {
        Url::parse("https://huggingface.co/api/models?limit=5").unwrap()
    }

    #[test]
    fn link_header_forms() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                r#"<https://huggingface.co/api/models?cursor=eyJ9&limit=5>; rel="next""#,
                Some("https://huggingface.co/api/models?cursor=eyJ9&limit=5"),
            ),
            (
                r#"<https://huggingface.co/api/models?p=1>; rel=next"#,
                Some("https://huggingface.co/api/models?p=1"),
            ),
            (
                r#"<https://x.test/first>; rel="first", <https://x.test/2>; rel="next""#,
                Some("https://x.test/2"),
            ),
            (
                r#"</api/models?cursor=z>; rel="next""#,
                Some("https://huggingface.co/api/models?cursor=z"),
            ),
            (
                r#"<https://x.test/2>; title="a, b"; rel="prev next""#,
                Some("https://x.test/2"),
            ),
            (r#"<https://x.test/2>; rel="prev""#, None),
            (r#"<https://x.test/2>"#, None),
            ("", None),
            ("<", None),
            ("garbage; rel=next", None),
        ];
        for (input, expected) in cases {
            let got = parse_next_link(input, &base());
            assert_eq!(got.as_ref().map(Url::as_str), *expected, "{input}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(s in ".*") {
            let _ = parse_next_link(&s, &base());
        }

        #[test]
        fn never_panics_on_link_like_text(s in r#"[<>;=," a-z:/.?&]{0,80}"#) {
            let _ = parse_next_link(&s, &base());
        }
    }
}
