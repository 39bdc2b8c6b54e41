//! Licenses: all 83 of the Hub's license ids (`spdx/hf-hub-license-ids.csv`) against the embedded
//! SPDX list and against the recorded SPDX `licenses.json` served by a mock server.

use hf_client::licenses::{LicenseKind, LicenseRecord, LicenseResolver, SpdxListSource};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{builder, client, sample};

/// One row of the CSV: the Hub id, its full name, the SPDX id it equals up to case (if any), and
/// whether that SPDX id is deprecated.
struct Row {
    id: String,
    fullname: String,
    spdx: Option<String>,
    deprecated: bool,
}

/// A CSV line split into fields (double quotes quote, `""` is a quote).
fn fields(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(String::new()),
            (c, _) => out.last_mut().unwrap().push(c),
        }
    }
    out
}

fn hub_license_ids() -> Vec<Row> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/hub-samples/spdx/hf-hub-license-ids.csv"
    ))
    .unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "hf_license_id,fullname,spdx_exact_case_insensitive,spdx_deprecated,doc_comment"
    );
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f = fields(line);
            assert_eq!(f.len(), 5, "{line}");
            Row {
                id: f[0].clone(),
                fullname: f[1].clone(),
                spdx: (!f[2].is_empty()).then(|| f[2].clone()),
                deprecated: f[3] == "true",
            }
        })
        .collect()
}

/// The ids the embedded SPDX 3.29.0 list knows but the 3.27.0 list of the CSV did not.
const ADOPTED_BY_SPDX_3_29: &[(&str, &str)] = &[("openmdw-1.0", "OpenMDW-1.0")];

fn check(row: &Row, rec: &LicenseRecord) {
    let id = row.id.as_str();
    assert_eq!(rec.id, id);
    match (&row.spdx, row.deprecated) {
        (Some(spdx), false) => {
            assert_eq!(rec.kind, LicenseKind::Spdx, "{id}");
            assert_eq!(rec.spdx_id.as_deref(), Some(spdx.as_str()), "{id}");
            assert!(!rec.is_deprecated && rec.deprecated_id.is_none(), "{id}");
            assert!(rec.name.as_deref().is_some_and(|n| !n.is_empty()), "{id}");
            let page = format!("https://spdx.org/licenses/{spdx}.html");
            assert_eq!(rec.url.as_deref(), Some(page.as_str()), "{id}");
        }
        (Some(spdx), true) => {
            assert_eq!(rec.kind, LicenseKind::SpdxDeprecated, "{id}");
            assert_eq!(rec.deprecated_id.as_deref(), Some(spdx.as_str()), "{id}");
            let current = format!("{spdx}-only");
            assert_eq!(rec.spdx_id.as_deref(), Some(current.as_str()), "{id}");
            assert!(rec.is_deprecated, "{id}");
        }
        (None, _) => {
            let kind = match id {
                "other" => LicenseKind::Other,
                "unknown" => LicenseKind::Unknown,
                _ => LicenseKind::HubSpecific,
            };
            assert_eq!(rec.kind, kind, "{id}");
            assert_eq!(rec.spdx_id, None, "{id}");
            assert_eq!(rec.name.as_deref(), Some(row.fullname.as_str()), "{id}");
        }
    }
}

#[test]
fn the_csv_has_the_documented_counts() {
    let rows = hub_license_ids();
    assert_eq!(rows.len(), 83);
    assert_eq!(rows.iter().filter(|r| r.spdx.is_some()).count(), 49);
    assert_eq!(rows.iter().filter(|r| r.deprecated).count(), 5);
    assert_eq!(rows.iter().filter(|r| r.spdx.is_none()).count(), 34);
}

#[test]
fn all_83_hub_ids_resolve_with_the_embedded_list() {
    let resolver = LicenseResolver::embedded();
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for row in hub_license_ids() {
        let rec = resolver.resolve(&row.id, None, None);
        *kinds.entry(format!("{:?}", rec.kind)).or_default() += 1;
        if let Some((_, spdx)) = ADOPTED_BY_SPDX_3_29.iter().find(|(id, _)| *id == row.id) {
            assert_eq!(rec.kind, LicenseKind::Spdx, "{}", row.id);
            assert_eq!(rec.spdx_id.as_deref(), Some(*spdx));
            continue;
        }
        check(&row, &rec);
    }
    let expected = [
        ("HubSpecific", 31),
        ("Other", 1),
        ("Spdx", 45),
        ("SpdxDeprecated", 5),
        ("Unknown", 1),
    ];
    let expected: std::collections::BTreeMap<String, usize> =
        expected.iter().map(|(k, n)| (k.to_string(), *n)).collect();
    assert_eq!(kinds, expected);
}

#[test]
fn exact_values() {
    let r = LicenseResolver::embedded();

    let apache = r.resolve("apache-2.0", None, None);
    assert_eq!(apache.kind, LicenseKind::Spdx);
    assert_eq!(apache.spdx_id.as_deref(), Some("Apache-2.0"));
    assert_eq!(apache.name.as_deref(), Some("Apache License 2.0"));
    assert!(apache.osi_approved && apache.fsf_libre && !apache.is_deprecated);

    let gpl = r.resolve("gpl-3.0", None, None);
    assert_eq!(gpl.kind, LicenseKind::SpdxDeprecated);
    assert_eq!(gpl.spdx_id.as_deref(), Some("GPL-3.0-only"));
    assert_eq!(gpl.deprecated_id.as_deref(), Some("GPL-3.0"));
    assert!(gpl.is_deprecated);

    let llama = r.resolve("llama3.1", None, None);
    assert_eq!(llama.kind, LicenseKind::HubSpecific);
    assert_eq!(llama.spdx_id, None);
    assert_eq!(
        llama.name.as_deref(),
        Some("Llama 3.1 Community License Agreement")
    );
    assert_eq!(
        llama.url.as_deref(),
        Some("https://huggingface.co/meta-llama/Meta-Llama-3.1-70B-Instruct/blob/main/LICENSE")
    );

    let other = r.resolve("other", Some("Acme Research License"), Some("LICENSE"));
    assert_eq!(other.kind, LicenseKind::Other);
    assert_eq!(other.license_name.as_deref(), Some("Acme Research License"));
    assert_eq!(other.license_link.as_deref(), Some("LICENSE"));
    assert_eq!(other.name.as_deref(), Some("Acme Research License"));

    let nope = r.resolve("not-a-license", None, None);
    assert_eq!(nope.kind, LicenseKind::Unresolved);
    assert!(!nope.is_resolved());
    assert_eq!(nope.id, "not-a-license");
    assert_eq!(nope.name, None);
}

#[tokio::test]
async fn all_83_hub_ids_resolve_with_a_fetched_spdx_list() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/spdx/licenses.json"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(sample("spdx/licenses.json"), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let url = url::Url::parse(&format!("{}/spdx/licenses.json", server.uri())).unwrap();
    let list = client.licenses().spdx_list(url).send().await.unwrap();
    assert_eq!(list.license_list_version, "3.27.0");
    assert_eq!(list.licenses.len(), 699);
    let resolver = LicenseResolver::from_spdx_list(&list);
    assert_eq!(resolver.source(), SpdxListSource::Fetched);
    assert_eq!(resolver.list_version(), "3.27.0");
    // The CSV was derived from this very list: every id matches its classification.
    for row in hub_license_ids() {
        check(&row, &resolver.resolve(&row.id, None, None));
    }
}

#[tokio::test]
async fn the_configured_list_is_used_and_a_failed_refresh_falls_back() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/licenses.json"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(sample("spdx/licenses.json"), "application/json"),
        )
        .mount(&server)
        .await;
    let configured = builder(&server)
        .with_spdx_licenses_url(format!("{}/licenses.json", server.uri()))
        .build()
        .unwrap();
    let resolver = configured.licenses().resolver().await;
    assert_eq!(resolver.source(), SpdxListSource::Fetched);
    assert_eq!(resolver.list_version(), "3.27.0");

    // A 404 (and a body that is not a license list) fall back to the embedded list.
    let missing = builder(&server)
        .with_spdx_licenses_url(format!("{}/nowhere.json", server.uri()))
        .build()
        .unwrap();
    let resolver = missing.licenses().resolver().await;
    assert_eq!(resolver.source(), SpdxListSource::Embedded);
    assert_eq!(
        resolver.resolve("mit", None, None).spdx_id.as_deref(),
        Some("MIT")
    );

    // Without a configured URL nothing is fetched.
    let plain = client(&server);
    assert_eq!(
        plain.licenses().resolver().await.source(),
        SpdxListSource::Embedded
    );
}

#[tokio::test]
async fn a_malformed_list_is_a_decode_error_naming_the_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/licenses.json"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"licenseListVersion":"x","licenses":[{"licenseId":7}]}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let client = client(&server);
    let url = url::Url::parse(&format!("{}/licenses.json", server.uri())).unwrap();
    let err = client.licenses().spdx_list(url).send().await.unwrap_err();
    match err {
        hf_client::Error::Decode { path, .. } => assert_eq!(path, "licenses[0].licenseId"),
        other => panic!("{other}"),
    }
    assert!(LicenseResolver::from_spdx_json(b"[]").is_err());
}
