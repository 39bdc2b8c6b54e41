//! Pagination by the `Link` header (RFC 8288), followed exactly as the Hub gives it.
//!
//! Every list page is a bare JSON array; the next page's URL comes in
//! `Link: <https://huggingface.co/api/models?...&cursor=...>; rel="next"` and already carries every
//! query parameter, so it is requested verbatim. The last page has no `rel="next"` link.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
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

/// The items of a stream of pages, fetching the next page while the current one's items are
/// served: a consumer that fans items out (one card request each) never waits for a page with
/// nothing in flight. At most one page is held ahead. An error ends the items after the pages
/// before it.
pub(crate) fn items_one_page_ahead<'a, T: Send + 'a>(
    pages: impl Stream<Item = crate::Result<Page<T>>> + Send + 'a,
) -> impl Stream<Item = crate::Result<T>> + Send + 'a {
    OnePageAhead {
        pages: Box::pin(pages),
        ahead: None,
        current: Vec::new().into_iter(),
        pages_done: false,
    }
}

struct OnePageAhead<'a, T> {
    pages: Pin<Box<dyn Stream<Item = crate::Result<Page<T>>> + Send + 'a>>,
    /// The next page, fetched while `current` is served.
    ahead: Option<crate::Result<Page<T>>>,
    current: std::vec::IntoIter<T>,
    pages_done: bool,
}

// Nothing is pinned in place: the page stream is boxed.
impl<T> Unpin for OnePageAhead<'_, T> {}

impl<T> Stream for OnePageAhead<'_, T> {
    type Item = crate::Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            // Keep the next page coming, whatever is left of the current one.
            if this.ahead.is_none() && !this.pages_done {
                match this.pages.as_mut().poll_next(cx) {
                    Poll::Ready(Some(page)) => this.ahead = Some(page),
                    Poll::Ready(None) => this.pages_done = true,
                    Poll::Pending => {}
                }
            }
            if let Some(item) = this.current.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            match this.ahead.take() {
                Some(Ok(page)) => this.current = page.items.into_iter(),
                Some(Err(e)) => {
                    this.pages_done = true;
                    return Poll::Ready(Some(Err(e)));
                }
                None if this.pages_done => return Poll::Ready(None),
                None => return Poll::Pending,
            }
        }
    }
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

    /// Pages of two items (`10n`, `10n + 1`); page `fail` is an error. Counts the pages asked.
    fn pages(
        count: usize,
        fail: Option<usize>,
        asked: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    ) -> impl Stream<Item = crate::Result<Page<usize>>> + Send {
        futures::stream::unfold(0, move |n| {
            let asked = asked.clone();
            async move {
                if n == count {
                    return None;
                }
                asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let page = if Some(n) == fail {
                    Err(crate::Error::Config(format!("page {n}")))
                } else {
                    Ok(Page {
                        items: vec![10 * n, 10 * n + 1],
                        next: None,
                        url: base(),
                    })
                };
                Some((page, n + 1))
            }
        })
    }

    #[tokio::test]
    async fn the_next_page_is_asked_while_the_current_one_is_served() {
        use futures::StreamExt;
        let asked = std::sync::Arc::<std::sync::atomic::AtomicUsize>::default();
        let mut items = std::pin::pin!(items_one_page_ahead(pages(3, None, asked.clone())));
        assert_eq!(items.next().await.unwrap().unwrap(), 0);
        assert_eq!(
            asked.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "page 1 is asked before page 0 is used up"
        );
        let rest: Vec<usize> = items.map(|i| i.unwrap()).collect().await;
        assert_eq!(rest, [1, 10, 11, 20, 21]);

        // A failed page ends the items after the pages before it.
        let items: Vec<_> = items_one_page_ahead(pages(3, Some(1), Default::default()))
            .collect()
            .await;
        assert_eq!(items.len(), 3);
        assert!(items[..2].iter().all(|i| i.is_ok()));
        assert!(items[2].is_err());
    }

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
