//! arXiv identifiers: validated locally before anything is asked.
//!
//! Two schemes exist (arXiv help, "Understanding the arXiv identifier"):
//!
//! * **new style** (since April 2007): `YYMM.NNNN` (until 1412) or `YYMM.NNNNN` (since 1501),
//!   optionally followed by a version `vN`: `1706.03762`, `2104.12255v1`;
//! * **old style** (until March 2007): `archive(.SUBJ)/YYMMNNN`, optionally versioned:
//!   `hep-th/9901001`, `math.GT/0309136`, `quant-ph/0201082v1`.
//!
//! The checks are syntactic: the month must be `01`–`12`, but the number of digits after the dot
//! is not tied to the month (a 5-digit number in 2008 passes here; arXiv answers such an id with
//! an empty result, which [`crate::arxiv`] reports as not found).

use std::fmt;

/// A syntactically valid arXiv identifier, split into the id and its version.
///
/// ```
/// use hf_client::arxiv::ArxivId;
///
/// let id: ArxivId = "arXiv:2104.12255v1".parse()?;
/// assert_eq!(id.id(), "2104.12255");
/// assert_eq!(id.version(), Some(1));
/// assert_eq!(id.to_string(), "2104.12255v1");
///
/// let old: ArxivId = "math.GT/0309136".parse()?;
/// assert_eq!(old.canonical(), "math/0309136");
/// assert!("abc".parse::<ArxivId>().is_err());
/// # Ok::<(), hf_client::arxiv::InvalidArxivId>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArxivId {
    id: String,
    version: Option<u32>,
    old_style: bool,
}

/// Why a text is not an arXiv identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an arXiv id: {input:?} ({reason})")]
pub struct InvalidArxivId {
    /// The text as given.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl ArxivId {
    /// Parse and validate an identifier. Surrounding whitespace and an `arXiv:` prefix (any
    /// case) are ignored.
    pub fn parse(input: &str) -> Result<Self, InvalidArxivId> {
        let invalid = |reason| InvalidArxivId {
            input: input.to_owned(),
            reason,
        };
        let text = input.trim();
        let text = match text.get(..6) {
            Some(prefix) if prefix.eq_ignore_ascii_case("arxiv:") => text.get(6..).unwrap_or(""),
            _ => text,
        };
        if text.is_empty() {
            return Err(invalid("empty"));
        }
        let (body, version) = split_version(text).map_err(invalid)?;
        let old_style = match body.split_once('/') {
            Some((archive, number)) => {
                check_archive(archive).map_err(invalid)?;
                check_old_number(number).map_err(invalid)?;
                true
            }
            None => {
                check_new(body).map_err(invalid)?;
                false
            }
        };
        Ok(Self {
            id: body.to_owned(),
            version,
            old_style,
        })
    }

    /// The identifier without version, as given (`math.GT/0309136`, `2104.12255`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The version, if one was given (`2` for `1706.03762v2`).
    pub fn version(&self) -> Option<u32> {
        self.version
    }

    /// True for an old-style identifier (`archive/YYMMNNN`).
    pub fn is_old_style(&self) -> bool {
        self.old_style
    }

    /// The identifier as arXiv itself writes it, without version: an old-style subject class is
    /// dropped (`math.GT/0309136` → `math/0309136`), since arXiv's answers never carry it.
    pub fn canonical(&self) -> String {
        match self.id.split_once('/') {
            Some((archive, number)) if self.old_style => {
                let archive = archive.split_once('.').map_or(archive, |(a, _)| a);
                format!("{archive}/{number}")
            }
            _ => self.id.clone(),
        }
    }
}

impl std::str::FromStr for ArxivId {
    type Err = InvalidArxivId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ArxivId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)?;
        if let Some(v) = self.version {
            write!(f, "v{v}")?;
        }
        Ok(())
    }
}

/// `body` and the version of `text` (`1706.03762v2` → (`1706.03762`, 2)).
fn split_version(text: &str) -> Result<(&str, Option<u32>), &'static str> {
    let Some(pos) = text.rfind('v') else {
        return Ok((text, None));
    };
    let (body, rest) = (&text[..pos], &text[pos + 1..]);
    // A `v` inside the archive name (`solv-int/9901001`) is not a version.
    if body.is_empty() || rest.contains('/') || rest.contains('.') {
        return Ok((text, None));
    }
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return Err("the version must be `v` followed by digits");
    }
    match rest.parse::<u32>() {
        Ok(0) | Err(_) => Err("the version must be a number from 1"),
        Ok(v) => Ok((body, Some(v))),
    }
}

fn check_month(yymm: &str) -> Result<(), &'static str> {
    match yymm.get(2..4).and_then(|m| m.parse::<u8>().ok()) {
        Some(1..=12) => Ok(()),
        _ => Err("the month (digits 3-4) must be 01-12"),
    }
}

/// `YYMM.NNNN` or `YYMM.NNNNN`.
fn check_new(body: &str) -> Result<(), &'static str> {
    let Some((yymm, number)) = body.split_once('.') else {
        return Err("expected YYMM.NNNN(N) or archive/YYMMNNN");
    };
    if yymm.len() != 4 || !yymm.bytes().all(|b| b.is_ascii_digit()) {
        return Err("expected four digits YYMM before the dot");
    }
    if !matches!(number.len(), 4 | 5) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err("expected four or five digits after the dot");
    }
    check_month(yymm)
}

/// `hep-th`, `astro-ph`, `math.GT`, `cs.AI`: lowercase letters and hyphens, then an optional
/// subject class of letters after a dot.
fn check_archive(archive: &str) -> Result<(), &'static str> {
    let (name, subject) = match archive.split_once('.') {
        Some((name, subject)) => (name, Some(subject)),
        None => (archive, None),
    };
    let name_ok = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if !name_ok {
        return Err("the archive must be lowercase letters and hyphens (hep-th, math)");
    }
    if let Some(subject) = subject
        && (subject.is_empty() || !subject.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        return Err("the subject class must be letters (math.GT)");
    }
    Ok(())
}

/// `YYMMNNN`.
fn check_old_number(number: &str) -> Result<(), &'static str> {
    if number.len() != 7 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err("expected seven digits YYMMNNN after the archive");
    }
    check_month(number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid_ids() {
        let cases: &[(&str, &str, Option<u32>, &str)] = &[
            ("1706.03762", "1706.03762", None, "1706.03762"),
            ("2104.12255v1", "2104.12255", Some(1), "2104.12255"),
            (
                "  arXiv:2401.00001v12 ",
                "2401.00001",
                Some(12),
                "2401.00001",
            ),
            ("ARXIV:0704.0001", "0704.0001", None, "0704.0001"),
            ("0808.05394", "0808.05394", None, "0808.05394"),
            ("hep-th/9901001", "hep-th/9901001", None, "hep-th/9901001"),
            ("math.GT/0309136", "math.GT/0309136", None, "math/0309136"),
            (
                "quant-ph/0201082v1",
                "quant-ph/0201082",
                Some(1),
                "quant-ph/0201082",
            ),
            (
                "solv-int/9901001",
                "solv-int/9901001",
                None,
                "solv-int/9901001",
            ),
            (
                "astro-ph/0601001",
                "astro-ph/0601001",
                None,
                "astro-ph/0601001",
            ),
        ];
        for &(input, id, version, canonical) in cases {
            let parsed = ArxivId::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(parsed.id(), id, "{input}");
            assert_eq!(parsed.version(), version, "{input}");
            assert_eq!(parsed.canonical(), canonical, "{input}");
        }
    }

    #[test]
    fn invalid_ids() {
        for input in [
            "",
            "   ",
            "abc",
            "arXiv:",
            "1706.037",
            "1706.037621",
            "1713.03762",
            "0000.0000",
            "17063.3762",
            "1706.03762v",
            "1706.03762v0",
            "1706.03762vx",
            "1706.03762 v2",
            "HEP-TH/9901001",
            "hep-th/990100",
            "hep-th/9913001",
            "math./0309136",
            "math.G1/0309136",
            "/9901001",
            "hep-th/",
            "1706.03762,1706.03763",
            "1706.03762&max_results=1",
        ] {
            assert!(ArxivId::parse(input).is_err(), "{input:?} accepted");
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_round_trips(s in "\\PC{0,24}") {
            if let Ok(id) = ArxivId::parse(&s) {
                let again = ArxivId::parse(&id.to_string()).unwrap();
                prop_assert_eq!(again, id);
            }
        }

        #[test]
        fn generated_new_ids_parse(yy in 7u32..99, mm in 1u32..=12, n in 0u32..99999, v in proptest::option::of(1u32..40)) {
            let text = format!("{yy:02}{mm:02}.{n:05}{}", v.map(|v| format!("v{v}")).unwrap_or_default());
            let id = ArxivId::parse(&text).unwrap();
            prop_assert_eq!(id.version(), v);
            prop_assert_eq!(id.to_string(), text);
        }
    }
}
