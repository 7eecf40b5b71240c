//! Unit tests for `/scm` path parsing and CGI header parsing.

use super::*;

#[test]
fn scm_paths_split_into_project_repository_and_service() {
    assert_eq!(
        parse_scm_path("/scm/prj/repo.git/info/refs"),
        Some(ScmPath {
            project: "prj".into(),
            repo: "repo".into(),
            rest: "/info/refs".into()
        })
    );
    assert_eq!(
        parse_scm_path("/scm/~alice/r/git-upload-pack").map(|p| (p.project, p.repo)),
        Some(("~alice".into(), "r".into()))
    );
    assert_eq!(parse_scm_path("/scm/prj"), None);
    assert_eq!(parse_scm_path("/rest/x"), None);
}

#[test]
fn cgi_status_header_becomes_the_http_status() {
    let (status, headers) = parse_cgi_headers(
        b"Status: 403 Forbidden\r\nContent-Type: text/plain\r\nCache-Control: no-cache",
    );
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        headers,
        vec![
            ("Content-Type".to_owned(), "text/plain".to_owned()),
            ("Cache-Control".to_owned(), "no-cache".to_owned())
        ]
    );
    let (ok, _) = parse_cgi_headers(b"Content-Type: application/x-git-upload-pack-advertisement");
    assert_eq!(ok, StatusCode::OK);
    assert_eq!(header_end(b"A: b\r\n\r\nbody"), Some((4, 8)));
    assert_eq!(header_end(b"A: b\n\nbody"), Some((4, 6)));
    assert_eq!(header_end(b"A: b\r\n"), None);
}
