//! Articles: arXiv papers and DOIs, from `arxiv:` / `doi:` tags and from the card text
//! (`arxiv.org/abs|pdf/…`, `arXiv:ID`, `huggingface.co/papers/…`, `doi.org/…`, BibTeX `eprint`,
//! and arXiv DOIs — `10.48550/arXiv.ID` — in every written form: `doi:`, `DOI:`, `doi.org` and
//! `dx.doi.org` links, bare, BibTeX `doi = {…}`).

use serde::{Deserialize, Serialize};

use crate::arxiv::parse_arxiv_exact;
use crate::card_text::{doi_article, parse_doi};
use crate::collect::{Collector, Mergeable, merge_provenance};
use crate::{EntityIdentifier, EntityKind, Evidence, Provenance};

/// What kind of identifier an article has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ArticleKind {
    /// An arXiv identifier (`2106.09685`, `hep-th/9901001`).
    Arxiv,
    /// A DOI (`10.57967/hf/0181`); arXiv DOIs (`10.48550/arXiv.…`) are reported as [`ArticleKind::Arxiv`].
    Doi,
}

/// An article (paper) the model points to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ArticleRef {
    /// The arXiv id without version, or the DOI.
    pub id: String,
    /// The text it came from (`arxiv:2106.09685`, `arxiv.org/abs/2106.09685v2`, `eprint={2106.09685}`).
    pub raw: String,
    /// Where it was found.
    pub provenance: Vec<Provenance>,
    /// arXiv or DOI.
    pub kind: ArticleKind,
    /// The arXiv version, when one was given (the highest one seen).
    pub version: Option<u32>,
}

impl Mergeable for ArticleRef {
    fn key(&self) -> String {
        self.id.to_ascii_lowercase()
    }
    fn sort_id(&self) -> &str {
        &self.id
    }
    fn merge(&mut self, other: Self) {
        merge_provenance(&mut self.provenance, &other.provenance);
        self.version = self.version.max(other.version);
    }
}

/// Finds articles.
#[derive(Debug, Clone, Copy, Default)]
pub struct ArticleIdentifier;

impl EntityIdentifier for ArticleIdentifier {
    type Ref = ArticleRef;
    const KIND: EntityKind = EntityKind::Articles;

    fn identify(&self, ev: &Evidence<'_>) -> Vec<ArticleRef> {
        let mut out = Collector::new();
        for (tag, p) in ev.all_tags() {
            if let Some(value) = tag.strip_prefix("arxiv:") {
                if let Some(a) = parse_arxiv_exact(value) {
                    out.add(ArticleRef {
                        id: a.id,
                        raw: tag.to_string(),
                        provenance: vec![p],
                        kind: ArticleKind::Arxiv,
                        version: a.version,
                    });
                }
            } else if let Some(value) = tag.strip_prefix("doi:")
                && let Some(doi) = parse_doi(value.trim())
            {
                let a = doi_article(doi, tag.to_string());
                out.add(ArticleRef {
                    id: a.id,
                    raw: a.raw,
                    provenance: vec![p],
                    kind: a.kind,
                    version: a.version,
                });
            }
        }
        for a in &ev.scan().articles {
            out.add(ArticleRef {
                id: a.id.clone(),
                raw: a.raw.clone(),
                provenance: vec![Provenance::CardText],
                kind: a.kind,
                version: a.version,
            });
        }
        out.finish()
    }
}

/// Whether a tag is claimed by the article identifier (`arxiv:` and `doi:` tags, valid or not).
pub(crate) fn claims_tag(tag: &str) -> bool {
    tag.starts_with("arxiv:") || tag.starts_with("doi:")
}

#[cfg(test)]
#[allow(clippy::type_complexity)] // table-driven tests
mod tests {
    use super::*;
    use crate::ModelView;

    fn text_ids(text: &str) -> Vec<(String, Option<u32>, ArticleKind)> {
        let view = ModelView {
            card_text: Some(text),
            ..ModelView::new("x/y")
        };
        ArticleIdentifier
            .identify(&Evidence::new(&view))
            .into_iter()
            .map(|a| (a.id, a.version, a.kind))
            .collect()
    }

    #[test]
    fn card_text_table() {
        use ArticleKind::{Arxiv, Doi};
        let cases: &[(&str, &[(&str, Option<u32>, ArticleKind)])] = &[
            (
                "see https://arxiv.org/abs/2106.09685",
                &[("2106.09685", None, Arxiv)],
            ),
            (
                "[pdf](https://arxiv.org/pdf/2106.09685v2.pdf)",
                &[("2106.09685", Some(2), Arxiv)],
            ),
            (
                "[pdf](https://arxiv.org/pdf/2106.09685v2)",
                &[("2106.09685", Some(2), Arxiv)],
            ),
            ("arXiv:1810.04805.", &[("1810.04805", None, Arxiv)]),
            (
                "arXiv preprint arXiv: 1810.04805v1,",
                &[("1810.04805", Some(1), Arxiv)],
            ),
            (
                "ARXIV.ORG/ABS/hep-th/9901001v3",
                &[("hep-th/9901001", Some(3), Arxiv)],
            ),
            (
                "arxiv.org/abs/math.GT/0309136",
                &[("math.GT/0309136", None, Arxiv)],
            ),
            ("arxiv.org/abs/0704.0001", &[("0704.0001", None, Arxiv)]),
            (
                "https://huggingface.co/papers/2305.18290",
                &[("2305.18290", None, Arxiv)],
            ),
            (
                "https://doi.org/10.48550/arXiv.2106.09685",
                &[("2106.09685", None, Arxiv)],
            ),
            (
                "[paper](https://doi.org/10.1145/3404835.3462804)",
                &[("10.1145/3404835.3462804", None, Doi)],
            ),
            (
                "@misc{x,\n eprint={2306.02707},\n archivePrefix={arXiv},\n}",
                &[("2306.02707", None, Arxiv)],
            ),
            ("@misc{x,\n eprint = \"2306.02707\",\n}", &[]),
            ("version 2023.1234 and 2106.09685 and v1.2.3", &[]),
            ("arXiv: 2023.1234", &[]),
            ("arxiv.org/list/cs.CL/recent", &[]),
            ("https://arxiv.org/abs/2106.096851", &[]),
        ];
        for (input, expected) in cases {
            let expected: Vec<_> = expected
                .iter()
                .map(|(i, v, k)| (i.to_string(), *v, *k))
                .collect();
            assert_eq!(text_ids(input), expected, "input: {input:?}");
        }
    }

    #[test]
    fn tags_and_text_merge() {
        let tags = vec![
            "arxiv:2106.09685".to_string(),
            "doi:10.57967/hf/0181".to_string(),
            "arxiv:junk".to_string(),
        ];
        let text = "LoRA ([paper](https://arxiv.org/abs/2106.09685v2)) and the DOI https://doi.org/10.57967/hf/0181.";
        let view = ModelView {
            tags: &tags,
            card_text: Some(text),
            ..ModelView::new("x/y")
        };
        let got = ArticleIdentifier.identify(&Evidence::new(&view));
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].id, "10.57967/hf/0181");
        assert_eq!(got[0].kind, ArticleKind::Doi);
        assert_eq!(
            got[0].provenance,
            vec![Provenance::Tag, Provenance::CardText]
        );
        assert_eq!(got[1].id, "2106.09685");
        assert_eq!(got[1].version, Some(2));
        assert_eq!(got[1].raw, "arxiv:2106.09685");
    }
}
