//! Tests for pull request composition.

use super::*;
use crate::advisories::AdvisoryDb;
use crate::analysis::analyze;
use crate::files::Snapshot;
use crate::plan::{plan, PlanOptions};
use crate::registry::StaticRegistry;

#[test]
fn branch_names_are_stable_and_safe() {
    assert_eq!(
        branch_name(Ecosystem::Npm, "@babel/core"),
        "gitproxy/security/npm-babel-core"
    );
    assert_eq!(
        branch_name(Ecosystem::Maven, "org.apache.logging.log4j:log4j-core"),
        "gitproxy/security/maven-org.apache.logging.log4j-log4j-core"
    );
    assert_eq!(
        branch_name(Ecosystem::Go, "github.com/gin-gonic/gin"),
        "gitproxy/security/go-github.com-gin-gonic-gin"
    );
    assert_eq!(
        branch_name(Ecosystem::PyPI, "Django"),
        branch_name(Ecosystem::PyPI, "django")
    );
}

#[test]
fn cvss3_base_scores_match_the_calculator() {
    // Values from the FIRST CVSS v3.1 calculator.
    let score = |v: &str| cvss3(v).unwrap().score;
    assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), 9.8);
    assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"), 10.0);
    assert_eq!(score("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"), 8.1);
    assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N"), 4.3);
    assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"), 7.2);
    assert_eq!(score("CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:N"), 0.0);
    assert_eq!(
        cvss3("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
            .unwrap()
            .rating,
        "Critical"
    );
    assert_eq!(
        cvss3("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N")
            .unwrap()
            .rating,
        "Medium"
    );
    assert!(cvss3("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").is_none());
    assert!(cvss3("CVSS:3.1/AV:N").is_none());
}

fn scenario(details: &str, advisories: usize) -> (Analysis, Vec<Finding>, crate::plan::Plan) {
    let mut db = AdvisoryDb::new();
    for n in 0..advisories {
        let json = format!(
            r#"{{"id": "GHSA-{n:04}-aaaa-bbbb", "aliases": ["CVE-2021-{n:05}"], "summary": "Prototype pollution {n}",
            "details": {details:?},
            "severity": [{{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}],
            "references": [{{"type": "WEB", "url": "https://example.invalid/{n}"}}],
            "affected": [{{"package": {{"ecosystem": "npm", "name": "lodash"}},
              "ranges": [{{"type": "SEMVER", "events": [{{"introduced": "0"}}, {{"fixed": "4.17.21"}}]}}]}}]}}"#
        );
        db.insert(crate::osv::Record::from_json("t", json.as_bytes()).unwrap());
    }
    let lock = r#"{"lockfileVersion": 3, "packages": {"": {"dependencies": {"lodash": "^4.17.0"}},
        "node_modules/lodash": {"version": "4.17.20"}}}"#;
    let analysis = analyze(&Snapshot::new().with("package-lock.json", lock));
    let findings = db.scan(&analysis);
    let reg = StaticRegistry::new().publish(Ecosystem::Npm, "lodash", "4.17.21", &[]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let plan = rt
        .block_on(plan(
            &analysis,
            &findings,
            &db,
            &reg,
            &PlanOptions::recommended(),
        ))
        .unwrap();
    (analysis, findings, plan)
}

#[test]
fn description_follows_renovate_security_prs() {
    let (analysis, findings, plan) = scenario("Line one.\n\nLine two.", 1);
    let fix = &plan.fixes[0];
    assert_eq!(title(fix), "Update dependency lodash to 4.17.21 [SECURITY]");
    let files = vec!["package-lock.json".to_string()];
    let text = description(
        fix,
        &analysis,
        &findings,
        &files,
        &["run npm ci".to_string()],
    );
    assert!(
        text.contains("| lodash (npm) | dependencies | patch | `4.17.20` -> `4.17.21` |"),
        "{text}"
    );
    assert!(text.contains("### Prototype pollution 0"));
    assert!(text.contains("[CVE-2021-00000](https://nvd.nist.gov/vuln/detail/CVE-2021-00000) / [GHSA-0000-aaaa-bbbb](https://github.com/advisories/GHSA-0000-aaaa-bbbb)"));
    assert!(text.contains(
        "CVSS Score: 9.8 / 10 (Critical), vector `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`"
    ));
    assert!(text.contains("#### Details\n\nLine one.\n\nLine two."));
    assert!(text.contains("#### Fixed in\n\n4.17.21"));
    assert!(text.contains("- https://example.invalid/0"));
    assert!(text.contains("- run npm ci"));
    assert!(text.contains("GitHub Advisory Database"));
    assert!(text.ends_with(MARKER));
}

#[test]
fn long_descriptions_stay_under_the_limit() {
    let (analysis, findings, plan) = scenario(&"x".repeat(5_000), 40);
    let text = description(&plan.fixes[0], &analysis, &findings, &[], &[]);
    assert!(text.len() <= DESCRIPTION_LIMIT, "{}", text.len());
    assert!(
        text.contains("### Prototype pollution 39"),
        "every advisory keeps its heading"
    );
    assert!(text.ends_with(MARKER));
    assert_eq!(truncate("héllo wörld", 8), "héllo w");
    assert_eq!(truncate("short", 8), "short");
    let cut = truncate(&"é".repeat(100), 41);
    assert!(cut.len() <= 41 && cut.ends_with(" [truncated]"), "{cut}");
}

#[test]
fn review_and_ci_comments_say_what_to_do() {
    let (_, findings, mut plan) = scenario("d", 1);
    let fix = &mut plan.fixes[0];
    fix.breaking = true;
    fix.to = "5.0.0".into();
    let text = review_comment(fix, &findings);
    assert!(text.starts_with("**lodash 4.17.20 is vulnerable.**"));
    assert!(text.contains("[GHSA-0000-aaaa-bbbb](https://github.com/advisories/GHSA-0000-aaaa-bbbb): Prototype pollution 0"));
    assert!(text.contains("moves it to 5.0.0"));
    assert!(text.contains("**Breaking:**"));
    assert!(text.contains("If you cannot take this upgrade"));
    let ci = ci_failure_comment(
        "0123456789abcdef",
        &[FailedBuild {
            key: "jenkins-1".into(),
            name: Some("unit tests".into()),
            url: "https://ci.example.invalid/1".into(),
            stopped: false,
            log: None,
        }],
    );
    assert!(ci.contains("commit `0123456789ab`"));
    assert!(ci.contains("- [unit tests](https://ci.example.invalid/1) failed"));
    assert!(ci.contains("does not make job logs available through its API"));
    assert!(ci.ends_with(&ci_marker("0123456789abcdef")));
}
