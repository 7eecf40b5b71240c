//! Matching on the real OSV archives (Go, PyPI, crates.io) with known answers.

use gitproxy_remediation::analysis::analyze;
use gitproxy_remediation::files::Snapshot;
use gitproxy_remediation::Ecosystem;

fn ids(
    db: &gitproxy_remediation::advisories::AdvisoryDb,
    eco: Ecosystem,
    name: &str,
    version: &str,
) -> Vec<String> {
    let mut ids: Vec<String> = db
        .affecting(eco, name, version)
        .into_iter()
        .map(|h| h.record.id.clone())
        .collect();
    ids.sort();
    ids
}

#[test]
fn go_archive_known_answers() {
    let db = crate::load("Go");
    assert_eq!(db.len(), 4291);
    // gin 1.6.0 is the fix of GO-2020-0001; GO-2023-1737 starts at a pseudo-version.
    assert_eq!(
        ids(&db, Ecosystem::Go, "github.com/gin-gonic/gin", "v1.6.0"),
        ["GO-2021-0052", "GO-2023-1737"]
    );
    assert_eq!(
        ids(&db, Ecosystem::Go, "github.com/gin-gonic/gin", "v1.3.0"),
        ["GO-2020-0001", "GO-2021-0052"]
    );
    assert!(ids(&db, Ecosystem::Go, "github.com/gin-gonic/gin", "v1.9.1").is_empty());
    // A pseudo-version between 0.3.7 and 0.3.8 is fixed for GO-2021-0113 but not GO-2022-1059.
    let pseudo = "v0.3.8-0.20220124021120-d1c84af989ab";
    assert_eq!(
        ids(&db, Ecosystem::Go, "golang.org/x/text", pseudo),
        ["GO-2022-1059", "GO-2026-5970"]
    );
    // Scanning a go.mod end to end.
    let gomod = "module example.com/m\n\ngo 1.21\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.6.0\n\tgolang.org/x/text v0.3.5 // indirect\n)\n";
    let analysis = analyze(&Snapshot::new().with("go.mod", gomod));
    let findings = db.scan(&analysis);
    let got: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| {
            (
                analysis.dependencies[f.dependency].name.as_str(),
                f.id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("github.com/gin-gonic/gin", "GO-2021-0052"),
            ("github.com/gin-gonic/gin", "GO-2023-1737"),
            ("golang.org/x/text", "GO-2021-0113"),
            ("golang.org/x/text", "GO-2022-1059"),
            ("golang.org/x/text", "GO-2026-5970"),
        ]
    );
    let text = findings.iter().find(|f| f.id == "GO-2021-0113").unwrap();
    assert_eq!(text.fixed, ["0.3.7"]);
    assert!(text.aliases.contains(&"CVE-2021-38561".to_string()));
}

#[test]
fn pypi_archive_known_answers() {
    let db = crate::load("PyPI");
    assert_eq!(db.len(), 2661);
    assert_eq!(
        ids(&db, Ecosystem::PyPI, "requests", "2.25.1"),
        ["PYSEC-2023-74"]
    );
    assert_eq!(
        ids(&db, Ecosystem::PyPI, "Requests", "2.19.0").len(),
        2,
        "PEP 503 names"
    );
    assert!(ids(&db, Ecosystem::PyPI, "requests", "2.31.0").is_empty());
    assert_eq!(
        ids(&db, Ecosystem::PyPI, "jinja2", "2.10"),
        ["PYSEC-2019-217", "PYSEC-2021-66"]
    );
    // PYSEC-2022-42969 uses `last_affected: 1.11.0` (inclusive).
    assert_eq!(
        ids(&db, Ecosystem::PyPI, "py", "1.11.0"),
        ["PYSEC-2022-42969"]
    );
    assert!(ids(&db, Ecosystem::PyPI, "py", "1.11.1").is_empty());
    let reqs = "requests==2.25.1\njinja2==2.10.0\n";
    let analysis = analyze(&Snapshot::new().with("requirements.txt", reqs));
    let findings = db.scan(&analysis);
    let got: Vec<&str> = findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(got, ["PYSEC-2023-74", "PYSEC-2019-217", "PYSEC-2021-66"]);
    assert_eq!(findings[0].fixed, ["2.31.0"]);
}

#[test]
fn crates_io_archive_known_answers() {
    let db = crate::load("crates.io");
    assert_eq!(db.len(), 1206);
    assert_eq!(
        ids(&db, Ecosystem::CratesIo, "smallvec", "1.6.0"),
        ["RUSTSEC-2021-0003"]
    );
    assert!(ids(&db, Ecosystem::CratesIo, "smallvec", "1.6.1").is_empty());
    // RUSTSEC-2021-0135 (tower-http) is withdrawn and must not match.
    assert!(db.get("RUSTSEC-2021-0135").unwrap().withdrawn.is_some());
    assert!(!ids(&db, Ecosystem::CratesIo, "tower-http", "0.1.0")
        .contains(&"RUSTSEC-2021-0135".to_string()));
    let info = db.get("RUSTSEC-2024-0375").unwrap();
    assert_eq!(info.informational(), Some("unmaintained"));
}

#[test]
fn the_whole_shared_directory_loads() {
    let mut db = gitproxy_remediation::advisories::AdvisoryDb::new();
    let n = db.load_dir(&crate::shared().join("osv")).unwrap();
    assert_eq!(n, 1206 + 4291 + 2661);
}
