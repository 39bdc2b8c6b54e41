//! arXiv identifiers: new style (`2106.09685`, `0704.0001`) and old style (`hep-th/9901001`,
//! `math.GT/0309136`), with an optional version.

/// The archives of old-style arXiv identifiers (before April 2007), sorted.
pub const OLD_STYLE_ARCHIVES: &[&str] = &[
    "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an", "chao-dyn",
    "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an", "gr-qc", "hep-ex",
    "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th", "nlin", "nucl-ex", "nucl-th",
    "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio", "q-fin", "quant-ph", "solv-int", "stat",
    "supr-con",
];

/// A parsed arXiv identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArxivId {
    /// The identifier without version: `2106.09685`, `hep-th/9901001`, `math.GT/0309136`.
    pub id: String,
    /// The version, when one was given (`v2` → `2`).
    pub version: Option<u32>,
}

/// Parses an arXiv identifier at the start of `s`, returning it and the number of bytes it spans.
///
/// The identifier must end there: a following digit, letter or `/` rejects it, so `2106.096851`
/// or a version string such as `2023.1234` is not taken for a paper. Dates are checked
/// (month `01`–`12`, new style from `0704`, five digits from `1501`).
///
/// ```
/// use hf_identifiers::arxiv::parse_arxiv_id;
/// let (id, len) = parse_arxiv_id("2106.09685v2.pdf").unwrap();
/// assert_eq!((id.id.as_str(), id.version, len), ("2106.09685", Some(2), 16));
/// assert!(parse_arxiv_id("2023.1234").is_none());
/// ```
pub fn parse_arxiv_id(s: &str) -> Option<(ArxivId, usize)> {
    parse_new_style(s).or_else(|| parse_old_style(s))
}

/// Parses a whole string as an arXiv identifier (surrounding whitespace allowed).
pub fn parse_arxiv_exact(s: &str) -> Option<ArxivId> {
    let s = s.trim();
    let (id, len) = parse_arxiv_id(s)?;
    (len == s.len()).then_some(id)
}

fn digits(b: &[u8], from: usize) -> usize {
    b.get(from..)
        .map(|rest| rest.iter().take_while(|c| c.is_ascii_digit()).count())
        .unwrap_or(0)
}

fn two(b: &[u8], at: usize) -> Option<u32> {
    let hi = *b.get(at)?;
    let lo = *b.get(at + 1)?;
    Some(u32::from(hi - b'0') * 10 + u32::from(lo - b'0'))
}

/// Parses `vN` at `at`; returns the version and the bytes consumed.
fn version(b: &[u8], at: usize) -> (Option<u32>, usize) {
    if matches!(b.get(at), Some(b'v' | b'V')) {
        let n = digits(b, at + 1);
        if (1..=4).contains(&n)
            && let Some(text) = b.get(at + 1..at + 1 + n)
            && let Ok(text) = std::str::from_utf8(text)
            && let Ok(v) = text.parse::<u32>()
        {
            return (Some(v), 1 + n);
        }
    }
    (None, 0)
}

/// Whether the byte after an identifier lets it end there.
fn ends_cleanly(b: &[u8], at: usize) -> bool {
    match b.get(at) {
        None => true,
        Some(c) => !(c.is_ascii_alphanumeric() || *c == b'/' || *c == b'_' || *c == b'-'),
    }
}

fn parse_new_style(s: &str) -> Option<(ArxivId, usize)> {
    let b = s.as_bytes();
    if digits(b, 0) != 4 || b.get(4) != Some(&b'.') {
        return None;
    }
    let yy = two(b, 0)?;
    let mm = two(b, 2)?;
    if !(1..=12).contains(&mm) || yy < 7 || (yy == 7 && mm < 4) {
        return None;
    }
    let n = digits(b, 5);
    let want = if yy * 100 + mm >= 1501 { 5 } else { 4 };
    if n != want {
        return None;
    }
    let end = 5 + n;
    let (ver, vlen) = version(b, end);
    let mut stop = end + vlen;
    // A `.pdf` suffix (from `arxiv.org/pdf/…`) belongs to the link, not to the id.
    if b.get(stop..stop + 4)
        .is_some_and(|x| x.eq_ignore_ascii_case(b".pdf"))
        && ends_cleanly(b, stop + 4)
    {
        stop += 4;
    } else if !ends_cleanly(b, stop) {
        return None;
    }
    let id = s.get(..end)?.to_string();
    Some((ArxivId { id, version: ver }, stop))
}

fn parse_old_style(s: &str) -> Option<(ArxivId, usize)> {
    let b = s.as_bytes();
    let slash = b.iter().take(16).position(|c| *c == b'/')?;
    let head = s.get(..slash)?;
    let (archive, class) = match head.split_once('.') {
        Some((a, c)) => (a, Some(c)),
        None => (head, None),
    };
    let archive_lc = archive.to_ascii_lowercase();
    OLD_STYLE_ARCHIVES
        .binary_search(&archive_lc.as_str())
        .ok()?;
    if let Some(c) = class
        && !(c.len() == 2 && c.bytes().all(|x| x.is_ascii_alphabetic()))
    {
        return None;
    }
    let start = slash + 1;
    if digits(b, start) != 7 {
        return None;
    }
    let yy = two(b, start)?;
    let mm = two(b, start + 2)?;
    if !(1..=12).contains(&mm) || !(yy >= 91 || yy <= 7) {
        return None;
    }
    let end = start + 7;
    let (ver, vlen) = version(b, end);
    let mut stop = end + vlen;
    if b.get(stop..stop + 4)
        .is_some_and(|x| x.eq_ignore_ascii_case(b".pdf"))
        && ends_cleanly(b, stop + 4)
    {
        stop += 4;
    } else if !ends_cleanly(b, stop) {
        return None;
    }
    let class = class.map(|c| c.to_ascii_uppercase());
    let id = match class {
        Some(c) => format!("{archive_lc}.{c}/{}", s.get(start..end)?),
        None => format!("{archive_lc}/{}", s.get(start..end)?),
    };
    Some((ArxivId { id, version: ver }, stop))
}

#[cfg(test)]
#[allow(clippy::type_complexity)] // table-driven tests
mod tests {
    use super::*;

    #[test]
    fn archives_sorted_unique() {
        assert!(OLD_STYLE_ARCHIVES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn table() {
        let cases: &[(&str, Option<(&str, Option<u32>)>)] = &[
            ("2106.09685", Some(("2106.09685", None))),
            ("2106.09685v3", Some(("2106.09685", Some(3)))),
            ("2106.09685v3.pdf", Some(("2106.09685", Some(3)))),
            ("2106.09685.pdf", Some(("2106.09685", None))),
            ("0704.0001", Some(("0704.0001", None))),
            ("1412.6980", Some(("1412.6980", None))),
            ("1810.04805", Some(("1810.04805", None))),
            ("1810.0480", None),
            ("hep-th/9901001", Some(("hep-th/9901001", None))),
            ("hep-th/9901001v2", Some(("hep-th/9901001", Some(2)))),
            ("math.GT/0309136", Some(("math.GT/0309136", None))),
            ("math.gt/0309136", Some(("math.GT/0309136", None))),
            ("astro-ph/0601001", Some(("astro-ph/0601001", None))),
            ("2023.1234", None),
            ("0703.1234", None),
            ("1501.1234", None),
            ("1413.12345", None),
            ("2106.096851", None),
            ("2106.0968", None),
            ("1.2.3", None),
            ("foo/9901001", None),
            ("hep-th/990100", None),
            ("hep-th/9913001", None),
            ("2106.09685x", None),
            ("", None),
        ];
        for (input, expected) in cases {
            let got = parse_arxiv_exact(input).map(|a| (a.id, a.version));
            let expected = expected.map(|(i, v)| (i.to_string(), v));
            assert_eq!(got, expected, "input: {input:?}");
        }
    }
}
