//! arXiv: every recorded feed parsed to the right fields; batching, splitting on a rejected id,
//! not-found ids, the pacer and the token, against a mock export API.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hf_client::HfClient;
use hf_client::arxiv::{ArxivError, ArxivFeed, ArxivId, ArxivPaper, parse_feed};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::{builder, sample, samples_dir};

fn feed(file: &str) -> ArxivFeed {
    parse_feed(&sample(&format!("arxiv/{file}"))).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn names(paper: &ArxivPaper) -> Vec<&str> {
    paper.authors.iter().map(|a| a.name.as_str()).collect()
}

const SINGLE: &str = "id_1605.08386_s0_m100_199195aa31ad.xml";
const MANY_AUTHORS: &str = "id_1707.08567_s0_m100_6a1afebfc6a3.xml";
const ONE_UNKNOWN: &str = "id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.xml";
const UNKNOWN: &str = "id_0808.05394_s0_m100_7b0c7d0a7cdd.xml";
const ZEROS: &str = "id_0000.0000_s0_m100_8b51d9633a68.xml";
const ERROR_400: &str = "id_abc_s0_m100_b79c8dcf6bc3.xml";
const VERSIONED: &str = "id_2104.12255v1_s0_m100_6ae69987ffe1.xml";
const OLD_STYLE: &str = "id_astro-ph_0601001_s0_m100_3150dca9dc76.xml";
const OLD_VERSIONED: &str = "id_quant-ph_0201082v1_s0_m100_86989fe779ef.xml";
const QUERY_10: &str = "q_testing_s0_m10_bc5a6c384fe9.xml";
const QUERY_PAGE_2: &str = "q_testing_s10_m10_34e56e15aaac.xml";
const QUERY_100: &str = "q_testing_s0_m100_cfe7536492ca.xml";
const LEGACY: &str = "usermanual__typical-response-legacy-format.xml";
const LEGACY_ERROR: &str = "usermanual__error-malformed-id-legacy-format.xml";

#[test]
fn every_recorded_feed_is_covered_and_parses() {
    let mut files: Vec<String> = std::fs::read_dir(samples_dir().join("arxiv"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".xml"))
        .collect();
    files.sort();
    let mut covered = vec![
        SINGLE,
        MANY_AUTHORS,
        ONE_UNKNOWN,
        UNKNOWN,
        ZEROS,
        ERROR_400,
        VERSIONED,
        OLD_STYLE,
        OLD_VERSIONED,
        QUERY_10,
        QUERY_PAGE_2,
        QUERY_100,
        LEGACY,
        LEGACY_ERROR,
    ];
    covered.sort();
    assert_eq!(files, covered);
    for file in &files {
        let feed = feed(file);
        for paper in &feed.papers {
            // Every recorded paper has the basics, normalised.
            assert!(!paper.id.is_empty() && !paper.title.is_empty(), "{file}");
            assert!(!paper.title.contains("  ") && !paper.title.contains('\n'));
            assert!(!paper.summary.starts_with(' ') && !paper.summary.contains('\n'));
            assert!(!paper.authors.is_empty(), "{file} {}", paper.id);
            assert!(paper.primary_category.is_some(), "{file} {}", paper.id);
            assert!(
                paper.published.as_ref().unwrap().timestamp().is_some(),
                "{file}"
            );
            assert!(paper.abs_url.is_some() && paper.pdf_url.is_some(), "{file}");
            // And it goes into a run folder and back unchanged.
            let json = serde_json::to_string(paper).unwrap();
            assert_eq!(&serde_json::from_str::<ArxivPaper>(&json).unwrap(), paper);
        }
    }
}

#[test]
fn a_single_paper() {
    let feed = feed(SINGLE);
    assert_eq!(feed.total_results, Some(1));
    assert_eq!(feed.items_per_page, Some(100));
    assert!(feed.errors.is_empty());
    let [p] = feed.papers.as_slice() else {
        panic!("{:?}", feed.papers)
    };
    assert_eq!(p.id, "1605.08386");
    assert_eq!(p.version, Some(1));
    assert_eq!(p.entry_id, "http://arxiv.org/abs/1605.08386v1");
    assert_eq!(p.title, "Heat-bath random walks with Markov bases");
    assert!(
        p.summary
            .starts_with("Graphs on lattice points are studied whose edges")
    );
    assert!(p.summary.ends_with("is an expander in fixed dimension."));
    assert_eq!(names(p), ["Caprice Stanley", "Tobias Windisch"]);
    assert!(p.authors.iter().all(|a| a.affiliations.is_empty()));
    assert_eq!(p.categories, ["math.CO", "math.ST"]);
    assert_eq!(p.primary_category.as_deref(), Some("math.CO"));
    assert_eq!(p.comment.as_deref(), Some("20 pages, 3 figures"));
    assert_eq!(p.journal_ref, None);
    assert_eq!(p.doi, None);
    assert_eq!(
        p.published.as_ref().unwrap().as_str(),
        "2016-05-26T17:59:46Z"
    );
    assert_eq!(p.updated.as_ref().unwrap().as_str(), "2016-05-26T17:59:46Z");
    assert_eq!(
        p.abs_url.as_deref(),
        Some("https://arxiv.org/abs/1605.08386v1")
    );
    assert_eq!(
        p.pdf_url.as_deref(),
        Some("https://arxiv.org/pdf/1605.08386v1")
    );
    assert_eq!(p.links.len(), 2);
}

#[test]
fn many_authors_with_non_ascii_names() {
    let p = &feed(MANY_AUTHORS).papers[0];
    assert_eq!(p.id, "1707.08567");
    assert_eq!(
        p.title,
        "Proceedings of Workshop AEW10: Concepts in Information Theory and Communications"
    );
    // 34 `<author>` elements in the file (SOURCES.md says 33).
    assert_eq!(p.authors.len(), 34);
    assert_eq!(p.authors[0].name, "Kees A. Schouhamer Immink");
    assert_eq!(p.authors[33].name, "Hirosuke Yamamoto");
    assert!(names(p).contains(&"Dirk Wübben"));
    assert_eq!(p.categories, ["cs.IT"]);
    assert_eq!(
        p.comment.as_deref(),
        Some("44 pages, editors for the proceedings: Yanling Chen and A. J. Han Vinck")
    );
}

#[test]
fn unknown_ids_are_silently_dropped_by_arxiv() {
    let f = feed(ONE_UNKNOWN);
    assert_eq!(f.total_results, Some(1));
    assert_eq!(f.papers.len(), 1);
    assert_eq!(f.papers[0].id, "1707.08567");
    for file in [UNKNOWN, ZEROS] {
        let f = feed(file);
        assert_eq!(f.total_results, Some(0), "{file}");
        assert!(f.papers.is_empty() && f.errors.is_empty(), "{file}");
    }
}

#[test]
fn the_400_error_feed_names_the_bad_id() {
    for (file, bad) in [(ERROR_400, "abc"), (LEGACY_ERROR, "1234.12345")] {
        let f = feed(file);
        assert!(f.papers.is_empty(), "{file}");
        let [e] = f.errors.as_slice() else {
            panic!("{file}: {:?}", f.errors)
        };
        assert_eq!(e.bad_id.as_deref(), Some(bad));
        assert_eq!(e.message, format!("incorrect id format for {bad}"));
        assert!(
            e.entry_id
                .ends_with(&format!("#incorrect_id_format_for_{bad}"))
        );
    }
}

#[test]
fn versioned_and_old_style_ids() {
    let p = &feed(VERSIONED).papers[0];
    assert_eq!((p.id.as_str(), p.version), ("2104.12255", Some(1)));
    assert_eq!(p.title, "0");
    assert_eq!(names(p), ["Quan Thoi Minh Nguyen"]);
    assert_eq!(p.categories, ["cs.CR"]);
    assert_eq!(p.comment, None);

    let p = &feed(OLD_VERSIONED).papers[0];
    assert_eq!((p.id.as_str(), p.version), ("quant-ph/0201082", Some(1)));
    assert_eq!(p.categories, ["quant-ph", "cs.PL"]);
    assert_eq!(p.primary_category.as_deref(), Some("quant-ph"));
    assert_eq!(p.comment.as_deref(), Some("32 pages"));
    assert!(p.summary.starts_with("We show a representation"));
}

#[test]
fn old_style_with_journal_ref_and_affiliations() {
    let p = &feed(OLD_STYLE).papers[0];
    assert_eq!((p.id.as_str(), p.version), ("astro-ph/0601001", Some(1)));
    assert_eq!(
        p.title,
        "Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III Transit Surveys Toward the Galactic Bulge and Carina"
    );
    assert_eq!(p.journal_ref.as_deref(), Some("ActaAstron.56:1-50,2006"));
    let affiliations: Vec<(&str, Vec<&str>)> = p
        .authors
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                a.affiliations.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        affiliations,
        [
            ("Andrew Gould", vec!["Ohio State"]),
            ("Susan Dorsher", vec!["Ohio State"]),
            ("B. Scott Gaudi", vec!["CfA"]),
            ("Andrzej Udalski", vec!["Warsaw University Observatory"]),
        ]
    );
    // Leading spaces gone, entities resolved.
    assert!(p.summary.starts_with("We derive the frequencies"));
    assert!(p.summary.contains("Gould & Morgan (2003)"));
    assert!(p.summary.contains("V_max<17.5"));
    assert_eq!(p.categories, ["astro-ph"]);
    assert_eq!(
        p.pdf_url.as_deref(),
        Some("https://arxiv.org/pdf/astro-ph/0601001v1")
    );
}

#[test]
fn search_pages_with_doi_journal_ref_and_affiliations() {
    let f = feed(QUERY_10);
    assert_eq!(f.papers.len(), 10);
    let p = &f.papers[0];
    assert_eq!((p.id.as_str(), p.version), ("2202.12139", Some(1)));
    assert_eq!(
        p.title,
        "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
    );
    assert_eq!(
        names(p),
        ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"]
    );
    assert_eq!(p.doi.as_deref(), Some("10.1109/ICSTW55395.2022.00035"));
    assert_eq!(
        p.doi_url.as_deref(),
        Some("https://doi.org/10.1109/ICSTW55395.2022.00035")
    );
    assert!(p.journal_ref.as_deref().unwrap().starts_with(
        "Artificial Intelligence in Software Testing @ 2022 IEEE International Conference"
    ));
    assert_eq!(f.papers.iter().filter(|p| p.doi.is_some()).count(), 6);
    assert_eq!(
        f.papers.iter().filter(|p| p.journal_ref.is_some()).count(),
        6
    );
    assert!(names(&f.papers[1]).contains(&"Aurora Ramírez"));

    let f = feed(QUERY_PAGE_2);
    assert_eq!(f.start_index, Some(10));
    assert_eq!(f.papers.len(), 10);
    assert_eq!(f.papers[0].id, "2403.16981");
    assert_eq!(f.papers[0].version, Some(2));
    assert_eq!(f.papers.iter().filter(|p| p.doi.is_some()).count(), 1);

    let f = feed(QUERY_100);
    assert_eq!(f.papers.len(), 100);
    assert_eq!(f.papers.iter().filter(|p| p.doi.is_some()).count(), 32);
    assert_eq!(
        f.papers.iter().filter(|p| p.journal_ref.is_some()).count(),
        18
    );
    let p = f.papers.iter().find(|p| p.id == "0804.0970").unwrap();
    assert_eq!(p.authors[0].name, "Marie-Claude Gaudel");
    assert_eq!(p.authors[0].affiliations, ["LRI"]);
    assert_eq!(p.authors[1].name, "Pascale Le Gall");
    assert_eq!(p.authors[1].affiliations, ["IBISC"]);
}

#[test]
fn the_legacy_serializer_parses_the_same_way() {
    let f = feed(LEGACY);
    assert_eq!(f.total_results, Some(1000));
    let p = &f.papers[0];
    assert_eq!(p.id, "hep-ex/0307015");
    // The legacy `<id>` has no version; the abstract link has.
    assert_eq!(p.version, Some(1));
    assert_eq!(
        p.title,
        "Multi-Electron Production at High Transverse Momenta in ep Collisions at HERA"
    );
    assert!(
        p.summary
            .starts_with("Multi-electron production is studied")
    );
    assert!(p.summary.ends_with("0.23 \\pm 0.04, respectively."));
    assert_eq!(names(p), ["H1 Collaboration"]);
    assert_eq!(
        p.journal_ref.as_deref(),
        Some("Eur.Phys.J. C31 (2003) 17-29")
    );
    assert_eq!(
        p.comment.as_deref(),
        Some("23 pages, 8 figures and 4 tables")
    );
    assert_eq!(p.primary_category.as_deref(), Some("hep-ex"));
    assert_eq!(p.categories, ["hep-ex"]);
    let published = p.published.as_ref().unwrap();
    assert_eq!(published.as_str(), "2003-07-07T13:46:39-04:00");
    assert_eq!(
        published.timestamp().unwrap().to_string(),
        "2003-07-07T17:46:39Z"
    );
    assert_eq!(
        p.pdf_url.as_deref(),
        Some("http://arxiv.org/pdf/hep-ex/0307015v1")
    );
}

// ---------------------------------------------------------------------------------------------
// Over HTTP.

/// A client for the Hub mock `hub` whose arXiv endpoint is `arxiv`, with no pause and a token.
fn arxiv_client(hub: &MockServer, arxiv: &MockServer, delay: Duration) -> HfClient {
    builder(hub)
        .with_token("hf_secret_token")
        .with_arxiv_endpoint(arxiv.uri())
        .with_arxiv_delay(delay)
        .build()
        .unwrap()
}

fn atom(status: u16, body: String) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body, "application/atom+xml; charset=utf-8")
}

fn id_list(request: &Request) -> Vec<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == "id_list")
        .map(|(_, v)| v.split(',').map(str::to_owned).collect())
        .unwrap_or_default()
}

fn max_results(request: &Request) -> Option<usize> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == "max_results")
        .and_then(|(_, v)| v.parse().ok())
}

/// The real 400 error feed, naming `id` instead of `abc`.
fn error_feed(id: &str) -> String {
    sample(&format!("arxiv/{ERROR_400}")).replace("abc", id)
}

/// A fake export API: knows every id except those starting with `0808.`, and rejects with HTTP
/// 400 any list holding one of `rejected` (naming it when `name_it`, else naming `abc`, like
/// an error about something else). Entries come back in reverse order, at the version asked or
/// `v2`, with old-style subject classes dropped, as arXiv does.
#[derive(Clone)]
struct FakeArxiv {
    rejected: Vec<&'static str>,
    name_it: bool,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl FakeArxiv {
    fn new(rejected: &[&'static str], name_it: bool) -> Self {
        Self {
            rejected: rejected.to_vec(),
            name_it,
            arrivals: Arc::default(),
        }
    }
}

impl Respond for FakeArxiv {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.arrivals.lock().unwrap().push(Instant::now());
        let ids = id_list(request);
        if let Some(bad) = ids.iter().find(|id| self.rejected.contains(&id.as_str())) {
            return atom(
                400,
                error_feed(if self.name_it { bad.as_str() } else { "abc" }),
            );
        }
        let mut entries = String::new();
        for raw in ids.iter().rev() {
            if raw.starts_with("0808.") {
                continue;
            }
            let id = ArxivId::parse(raw).unwrap();
            let v = id.version().unwrap_or(2);
            let canonical = id.canonical();
            entries.push_str(&format!(
                r#"<entry><id>http://arxiv.org/abs/{canonical}v{v}</id><title>Paper
                   {canonical}</title><summary> About {canonical}. </summary>
                   <published>2024-01-01T00:00:00Z</published><updated>2024-02-01T00:00:00Z</updated>
                   <link href="https://arxiv.org/abs/{canonical}v{v}" rel="alternate" type="text/html"/>
                   <link href="https://arxiv.org/pdf/{canonical}v{v}" rel="related" type="application/pdf" title="pdf"/>
                   <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
                   <arxiv:primary_category term="cs.LG"/>
                   <author><name>Ada Lovelace</name></author></entry>"#
            ));
        }
        atom(
            200,
            format!(
                r#"<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
<opensearch:totalResults>{}</opensearch:totalResults>{entries}</feed>"#,
                ids.len()
            ),
        )
    }
}

async fn mount(server: &MockServer, fake: FakeArxiv) {
    Mock::given(method("GET"))
        .and(path("/api/query"))
        .respond_with(fake)
        .mount(server)
        .await;
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

#[tokio::test]
async fn a_recorded_answer_over_http_without_the_token() {
    let (hub, arxiv) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("GET"))
        .and(path("/api/query"))
        .and(query_param("id_list", "1605.08386"))
        .and(query_param("max_results", "1"))
        .respond_with(atom(200, sample(&format!("arxiv/{SINGLE}"))))
        .expect(1)
        .mount(&arxiv)
        .await;
    let client = arxiv_client(&hub, &arxiv, Duration::ZERO);
    let found = client.arxiv().fetch(["arXiv:1605.08386"]).await;
    assert_eq!(found.requests, 1);
    let paper = found.get("1605.08386").unwrap().as_ref().unwrap();
    assert_eq!(paper.title, "Heat-bath random walks with Markov bases");
    for request in requests(&arxiv).await {
        assert!(
            !request.headers.contains_key("authorization"),
            "the Hub token leaked to arXiv"
        );
    }
    assert!(requests(&hub).await.is_empty());
}

#[tokio::test]
async fn ids_arxiv_does_not_know_are_not_found() {
    let (hub, arxiv) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("GET"))
        .and(path("/api/query"))
        .and(query_param("id_list", "0808.05394,1707.08567"))
        .and(query_param("max_results", "2"))
        .respond_with(atom(200, sample(&format!("arxiv/{ONE_UNKNOWN}"))))
        .mount(&arxiv)
        .await;
    let client = arxiv_client(&hub, &arxiv, Duration::ZERO);
    let found = client.arxiv().fetch(["0808.05394", "1707.08567"]).await;
    assert_eq!(found.len(), 2);
    assert_eq!(found.papers().count(), 1);
    assert_eq!(found.not_found().collect::<Vec<_>>(), ["0808.05394"]);
    assert!(matches!(
        found.get("0808.05394"),
        Some(Err(ArxivError::NotFound { id })) if id == "0808.05394"
    ));
}

#[tokio::test]
async fn invalid_ids_cost_no_request_and_duplicates_are_asked_once() {
    let (hub, arxiv) = (MockServer::start().await, MockServer::start().await);
    mount(&arxiv, FakeArxiv::new(&[], true)).await;
    let client = arxiv_client(&hub, &arxiv, Duration::ZERO);
    let found = client
        .arxiv()
        .fetch([
            "abc",
            "0000.0000",
            "",
            "1605.08386",
            " arXiv:1605.08386 ",
            "1605.08386",
        ])
        .await;
    assert_eq!(found.requests, 1);
    let asked = requests(&arxiv).await;
    assert_eq!(id_list(&asked[0]), ["1605.08386"]);
    assert_eq!(max_results(&asked[0]), Some(1));
    assert_eq!(found.len(), 4);
    for bad in ["abc", "0000.0000", ""] {
        assert!(
            matches!(found.results.get(bad), Some(Err(ArxivError::InvalidId(_)))),
            "{bad:?}"
        );
    }
    assert!(found.get("1605.08386").unwrap().is_ok());
}

#[tokio::test]
async fn versions_and_subject_classes_are_matched_back() {
    let (hub, arxiv) = (MockServer::start().await, MockServer::start().await);
    mount(&arxiv, FakeArxiv::new(&[], true)).await;
    let client = arxiv_client(&hub, &arxiv, Duration::ZERO);
    let found = client
        .arxiv()
        .fetch(["2104.12255v1", "math.GT/0309136", "hep-th/9901001v3"])
        .await;
    let p = found.get("2104.12255v1").unwrap().as_ref().unwrap();
    assert_eq!((p.id.as_str(), p.version), ("2104.12255", Some(1)));
    let p = found.get("math.GT/0309136").unwrap().as_ref().unwrap();
    assert_eq!((p.id.as_str(), p.version), ("math/0309136", Some(2)));
    let p = found.get("hep-th/9901001v3").unwrap().as_ref().unwrap();
    assert_eq!((p.id.as_str(), p.version), ("hep-th/9901001", Some(3)));
    assert_eq!(p.title, "Paper hep-th/9901001");
    assert_eq!(p.summary, "About hep-th/9901001.");
}

#[tokio::test]
async fn two_hundred_fifty_ids_with_one_rejected_cost_three_requests_plus_the_split() {
    let (hub, arxiv) = (MockServer::start().await, MockServer::start().await);
    // `2401.99999` passes local validation; the fake arXiv answers 400 naming it.
    const BAD: &str = "2401.99999";
    mount(&arxiv, FakeArxiv::new(&[BAD], true)).await;
    let client = arxiv_client(&hub, &arxiv, Duration::ZERO);
    let mut ids: Vec<String> = (1..=249).map(|n| format!("2401.{n:05}")).collect();
    ids.insert(150, BAD.to_owned());
    assert_eq!(ids.len(), 250);

    let found = client.arxiv().fetch(&ids).await;

    // Batches of 100, 100 and 50; the second is rejected and asked again without the bad id.
    assert_eq!(found.requests, 4);
    let asked = requests(&arxiv).await;
    let sizes: Vec<_> = asked.iter().map(|r| id_list(r).len()).collect();
    assert_eq!(sizes, [100, 100, 99, 50]);
    assert!(
        asked
            .iter()
            .all(|r| max_results(r) == Some(id_list(r).len()))
    );
    assert!(id_list(&asked[1]).contains(&BAD.to_owned()));
    assert!(!id_list(&asked[2]).contains(&BAD.to_owned()));

    assert_eq!(found.len(), 250);
    assert_eq!(found.papers().count(), 249);
    let errors: Vec<_> = found.errors().collect();
    assert_eq!(errors.len(), 1);
    let (id, error) = errors[0];
    assert_eq!(id, BAD);
    match error {
        ArxivError::Rejected { id, message } => {
            assert_eq!(id, BAD);
            assert_eq!(message, "incorrect id format for 2401.99999");
        }
        other => panic!("expected Rejected, got {other}"),
    }
    assert!(error.to_string().contains("2401.99999"));
    for id in &ids {
        if id != BAD {
            assert_eq!(found.get(id).unwrap().as_ref().unwrap().id, *id);
        }
    }
}

#[tokio::test]
async fn a_400_naming_no_asked_id_bisects_the_batch() {
    let (hub, arxiv) = (MockServer::start().await, MockServer::start().await);
    mount(&arxiv, FakeArxiv::new(&["2401.99999"], false)).await;
    let client = arxiv_client(&hub, &arxiv, Duration::ZERO);
    let found = client
        .arxiv()
        .fetch(["2401.00001", "2401.00002", "2401.00003", "2401.99999"])
        .await;
    // [1 2 3 bad] 400 → [1 2] ok, [3 bad] 400 → [3] ok, [bad] 400.
    let sizes: Vec<_> = requests(&arxiv)
        .await
        .iter()
        .map(|r| id_list(r).len())
        .collect();
    assert_eq!(sizes, [4, 2, 2, 1, 1]);
    assert_eq!(found.requests, 5);
    assert_eq!(found.papers().count(), 3);
    assert!(matches!(
        found.get("2401.99999"),
        Some(Err(ArxivError::Rejected { message, .. })) if message == "incorrect id format for abc"
    ));
}

#[tokio::test]
async fn a_failed_request_fails_its_ids_only() {
    let (hub, arxiv) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("GET"))
        .and(path("/api/query"))
        .and(query_param("id_list", "2401.00003"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&arxiv)
        .await;
    mount(&arxiv, FakeArxiv::new(&[], true)).await;
    let client = arxiv_client(&hub, &arxiv, Duration::ZERO);
    let found = client
        .arxiv()
        .fetch(["2401.00001", "2401.00002", "2401.00003"])
        .batch_size(1)
        .send()
        .await;
    assert_eq!(found.papers().count(), 2);
    match found.get("2401.00003") {
        Some(Err(ArxivError::Failed { id, source })) => {
            assert_eq!(id, "2401.00003");
            assert_eq!(source.status().map(|s| s.as_u16()), Some(503));
        }
        other => panic!("{other:?}"),
    }
    // Two good requests, and the bad one with its retries (quick_retry: 4).
    assert_eq!(found.requests, 2 + 5);
}

#[tokio::test]
async fn a_200_that_is_not_atom_is_a_decode_error() {
    let (hub, arxiv) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("GET"))
        .and(path("/api/query"))
        .respond_with(atom(200, "<html><body>maintenance</p></html>".into()))
        .mount(&arxiv)
        .await;
    let client = arxiv_client(&hub, &arxiv, Duration::ZERO);
    let found = client.arxiv().fetch(["2401.00001"]).await;
    assert!(matches!(
        found.get("2401.00001"),
        Some(Err(ArxivError::Failed { source, .. })) if matches!(**source, hf_client::Error::Decode { .. })
    ));
}

fn gaps(arrivals: &[Instant]) -> Vec<Duration> {
    arrivals.windows(2).map(|w| w[1] - w[0]).collect()
}

#[tokio::test]
async fn the_pacer_spaces_requests_by_the_configured_interval() {
    let (hub, arxiv) = (MockServer::start().await, MockServer::start().await);
    let fake = FakeArxiv::new(&[], true);
    let arrivals = fake.arrivals.clone();
    mount(&arxiv, fake).await;
    let interval = Duration::from_millis(300);
    let client = arxiv_client(&hub, &arxiv, interval);
    assert_eq!(client.config().arxiv_delay, interval);

    // One fetch of three batches, and two more fetches on clones at the same time: five
    // requests, one at a time, each at least the interval after the previous one.
    let first = client
        .arxiv()
        .fetch(["2401.00001", "2401.00002", "2401.00003"])
        .batch_size(1);
    let (c2, c3) = (client.clone(), client.clone());
    let started = Instant::now();
    let (a, b, c) = tokio::join!(
        first.send(),
        async move { c2.arxiv().fetch(["2401.00004"]).await },
        async move { c3.arxiv().fetch(["2401.00005"]).await },
    );
    assert_eq!(
        a.papers().count() + b.papers().count() + c.papers().count(),
        5
    );
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 5);
    for gap in gaps(&arrivals) {
        assert!(gap >= interval, "requests {gap:?} apart: {arrivals:?}");
    }
    assert!(started.elapsed() >= interval * 4);
}

#[tokio::test]
async fn a_zero_interval_does_not_wait() {
    let (hub, arxiv) = (MockServer::start().await, MockServer::start().await);
    mount(&arxiv, FakeArxiv::new(&[], true)).await;
    let client = arxiv_client(&hub, &arxiv, Duration::ZERO);
    let started = Instant::now();
    let ids: Vec<String> = (1..=5).map(|n| format!("2401.{n:05}")).collect();
    let found = client.arxiv().fetch(&ids).batch_size(1).await;
    assert_eq!(found.requests, 5);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn retries_of_a_failed_arxiv_request_keep_the_interval() {
    let (hub, arxiv) = (MockServer::start().await, MockServer::start().await);
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let seen = arrivals.clone();
    Mock::given(method("GET"))
        .and(path("/api/query"))
        .respond_with(move |_: &Request| {
            seen.lock().unwrap().push(Instant::now());
            ResponseTemplate::new(503)
        })
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&arxiv)
        .await;
    let fake = FakeArxiv::new(&[], true);
    let answered = fake.arrivals.clone();
    mount(&arxiv, fake).await;
    let interval = Duration::from_millis(300);
    let client = arxiv_client(&hub, &arxiv, interval);
    let found = client.arxiv().fetch(["2401.00001"]).await;
    assert_eq!(found.papers().count(), 1);
    assert_eq!(found.requests, 3, "two 503s, then the answer");
    let mut all = arrivals.lock().unwrap().clone();
    all.extend(answered.lock().unwrap().iter().copied());
    assert_eq!(all.len(), 3);
    for gap in gaps(&all) {
        assert!(
            gap >= interval,
            "retry {gap:?} after the failure, under the interval"
        );
    }
}
