//! Unit tests for the file-edit multipart body, parsed back with a real multipart parser.

use std::convert::Infallible;

use bytes::Bytes;

use super::*;

async fn parse(body: &MultipartBody) -> Vec<(String, Option<String>, Option<String>, Vec<u8>)> {
    let boundary = multer::parse_boundary(&body.content_type).expect("boundary in content type");
    let bytes = body.body.clone();
    let stream = futures_util::stream::once(async move { Ok::<Bytes, Infallible>(bytes) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    while let Some(field) = multipart.next_field().await.expect("well-formed multipart") {
        let name = field.name().expect("named part").to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(ToString::to_string);
        let data = field.bytes().await.expect("part body").to_vec();
        parts.push((name, file_name, content_type, data));
    }
    parts
}

#[tokio::test]
async fn all_fields_round_trip_with_exact_content_bytes() {
    // Binary content with CRLFs, a fake boundary line and invalid UTF-8.
    let content: Vec<u8> = b"line1\r\nline2\n--bitbucket-dc-0000\r\n\xff\x00end".to_vec();
    let edit = FileEdit::new("fix/cve-1", content.clone())
        .message("Bump log4j\n\nDetails")
        .source_commit_id("0123456789abcdef0123456789abcdef01234567")
        .source_branch("main");
    let mut rng = fastrand::Rng::with_seed(42);
    let body = file_edit(&edit, "pom.xml", &mut rng);
    assert!(body
        .content_type
        .starts_with("multipart/form-data; boundary=bitbucket-dc-"));
    assert!(!body.content_type.contains("json"));

    let parts = parse(&body).await;
    let names: Vec<&str> = parts.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "branch",
            "message",
            "sourceCommitId",
            "sourceBranch",
            "content"
        ]
    );
    assert_eq!(parts[0].3, b"fix/cve-1");
    assert_eq!(parts[1].3, b"Bump log4j\n\nDetails");
    assert_eq!(parts[2].3, b"0123456789abcdef0123456789abcdef01234567");
    assert_eq!(parts[3].3, b"main");
    let content_part = &parts[4];
    assert_eq!(content_part.1.as_deref(), Some("pom.xml"));
    assert_eq!(content_part.2.as_deref(), Some("application/octet-stream"));
    assert_eq!(content_part.3, content);
}

#[tokio::test]
async fn optional_fields_are_omitted() {
    let edit = FileEdit::new("main", "new file\n");
    let body = file_edit(&edit, "README.md", &mut fastrand::Rng::with_seed(1));
    let parts = parse(&body).await;
    let names: Vec<&str> = parts.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(names, ["branch", "content"]);
    assert_eq!(parts[1].3, b"new file\n");
}

#[test]
fn body_shape_is_crlf_delimited_and_terminated() {
    let edit = FileEdit::new("main", "x");
    let body = file_edit(&edit, "a.txt", &mut fastrand::Rng::with_seed(3));
    let text = String::from_utf8(body.body.to_vec()).unwrap();
    let boundary = &body.boundary;
    assert!(text.starts_with(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"branch\"\r\n\r\nmain\r\n"
    )));
    assert!(text.contains("Content-Disposition: form-data; name=\"content\"; filename=\"a.txt\"\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n"));
    assert!(text.ends_with(&format!("\r\n--{boundary}--\r\n")));
}

#[test]
fn boundaries_are_random_and_avoid_the_content() {
    let edit = FileEdit::new("main", "x");
    let mut rng = fastrand::Rng::new();
    let a = file_edit(&edit, "a", &mut rng).boundary;
    let b = file_edit(&edit, "a", &mut rng).boundary;
    assert_ne!(a, b);
    assert!(a.len() >= 40);

    // Content that contains the boundary the seeded generator would pick first.
    let first = file_edit(&edit, "a", &mut fastrand::Rng::with_seed(9)).boundary;
    let clashing = FileEdit::new("main", format!("prefix {first} suffix"));
    let chosen = file_edit(&clashing, "a", &mut fastrand::Rng::with_seed(9)).boundary;
    assert_ne!(chosen, first);
}

#[test]
fn file_names_are_sanitised() {
    assert_eq!(quote_file_name("a\"b\\c\r\nd.txt"), "a_b_c__d.txt");
    assert_eq!(quote_file_name("ünï.txt"), "ünï.txt");
    assert_eq!(quote_file_name(""), "content");
}
