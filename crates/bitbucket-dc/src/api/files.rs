//! Files handler: raw read, recursive listing, directory browse, line browse, one-file commit.

use bytes::Bytes;
use serde::Deserialize;

use crate::api::RepoApi;
use crate::client::Req;
use crate::encode::file_path;
use crate::error::Error;
use crate::models::{Commit, DirEntry, FileEdit};
use crate::multipart;
use crate::page::{DecodeFn, Page, Paged};

/// Files of a repository.
///
/// ```no_run
/// # async fn demo(client: bitbucket_dc::Client) -> Result<(), bitbucket_dc::Error> {
/// use bitbucket_dc::{Error, FileEdit};
/// let files = client.repo("PROJ", "app").files();
/// let head = "0123456789abcdef0123456789abcdef01234567";
/// let pom = files.raw("pom.xml", Some(head)).await?; // exact bytes
/// let all_paths = files.list("", Some(head)).collect_all().await?;
/// let edit = FileEdit::new("fix/cve-1", b"<project/>\n".to_vec())
///     .message("Bump log4j")
///     .source_commit_id(head)
///     .source_branch("main");
/// match files.edit("pom.xml", &edit).await {
///     Ok(commit) => println!("new commit {}", commit.id),
///     Err(Error::FileContentUnmodified { .. }) => println!("nothing to change"),
///     Err(err) => return Err(err),
/// }
/// # let _ = (pom, all_paths); Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct FilesApi {
    repo: RepoApi,
}

impl FilesApi {
    pub(crate) fn new(repo: RepoApi) -> Self {
        FilesApi { repo }
    }

    /// `GET …/raw/{path}?at=`: the file's exact bytes at `at` (a commit id or ref; the default
    /// branch when `None`).
    pub async fn raw(&self, path: &str, at: Option<&str>) -> Result<Bytes, Error> {
        let req =
            Req::get(format!("{}/raw/{}", self.repo.path, file_path(path)?)).query_opt("at", at);
        Ok(self.repo.client.send(req).await?.body)
    }

    /// [`raw`](Self::raw), reading at most `max_bytes` of the file: a larger file is
    /// [`Error::ResponseTooLarge`] (with the size the server announced, when it did) and is never
    /// held in memory beyond `max_bytes`, whatever the client's response size limit.
    pub async fn raw_at_most(
        &self,
        path: &str,
        at: Option<&str>,
        max_bytes: usize,
    ) -> Result<Bytes, Error> {
        let req = Req::get(format!("{}/raw/{}", self.repo.path, file_path(path)?))
            .query_opt("at", at)
            .max_body(max_bytes);
        Ok(self.repo.client.send(req).await?.body)
    }

    /// `GET …/files[/{path}]?at=`: every file path below `path` (`""` for the whole
    /// repository), recursively, relative to `path` (paged).
    pub fn list(&self, path: &str, at: Option<&str>) -> Paged<String> {
        self.paged("files", path, at, Page::<String>::decode)
    }

    /// `GET …/browse[/{path}]?at=` of a directory: its children (paged under `children`).
    /// Browsing a file yields a decode error.
    pub fn directory(&self, path: &str, at: Option<&str>) -> Paged<DirEntry> {
        self.paged("browse", path, at, decode_directory)
    }

    /// `GET …/browse/{path}?at=` of a file: its lines (paged, capped by the server; line
    /// endings and a trailing newline are lost — use [`raw`](Self::raw) for exact content).
    pub fn lines(&self, path: &str, at: Option<&str>) -> Paged<String> {
        self.paged("browse", path, at, decode_lines)
    }

    /// `PUT …/browse/{path}` (multipart/form-data): commits `edit.content` as the whole new
    /// content of `path` on `edit.branch` and returns the new commit. See [`FileEdit`] for the
    /// fields; 409 answers map to [`Error::FileContentUnmodified`] (identical content) or
    /// [`Error::Conflict`] (stale `sourceCommitId`, file exists when creating, archived);
    /// project/repository access tokens get [`Error::Forbidden`]. Only 429 and 503 answers
    /// are retried automatically (a commit is not idempotent).
    pub async fn edit(&self, path: &str, edit: &FileEdit) -> Result<Commit, Error> {
        let encoded = file_path(path)?;
        let file_name = path
            .rsplit('/')
            .find(|part| !part.is_empty())
            .unwrap_or("content");
        let mut rng = fastrand::Rng::new();
        let body = multipart::file_edit(edit, file_name, &mut rng);
        let req = Req::put(format!("{}/browse/{encoded}", self.repo.path))
            .multipart(body.content_type, body.body)
            .retry_rejected_only();
        self.repo.client.json(req).await
    }

    fn paged<T>(
        &self,
        endpoint: &str,
        path: &str,
        at: Option<&str>,
        decode: DecodeFn<T>,
    ) -> Paged<T>
    where
        T: serde::de::DeserializeOwned + Send + 'static,
    {
        let client = self.repo.client.clone();
        let url = if path.trim_matches('/').is_empty() {
            format!("{}/{endpoint}", self.repo.path)
        } else {
            match file_path(path) {
                Ok(encoded) => format!("{}/{endpoint}/{encoded}", self.repo.path),
                Err(err) => {
                    return Paged::failed(client, format!("{}/{endpoint}", self.repo.path), err)
                }
            }
        };
        let query = at
            .map(|at| vec![("at".to_owned(), at.to_owned())])
            .unwrap_or_default();
        Paged::new(client, url, query, decode)
    }
}

#[derive(Deserialize)]
struct DirectoryBody {
    #[serde(default)]
    children: Option<Page<DirEntry>>,
}

fn decode_directory(body: &[u8]) -> Result<Page<DirEntry>, serde_json::Error> {
    let parsed: DirectoryBody = serde_json::from_slice(body)?;
    parsed.children.ok_or_else(|| {
        <serde_json::Error as serde::de::Error>::custom(
            "the browse response has no `children`: the path is a file, not a directory",
        )
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LinesBody {
    #[serde(default)]
    lines: Option<Vec<Line>>,
    #[serde(default)]
    size: u32,
    #[serde(default)]
    limit: u32,
    #[serde(default)]
    start: u64,
    #[serde(default)]
    is_last_page: bool,
    #[serde(default)]
    next_page_start: Option<u64>,
}

#[derive(Deserialize)]
struct Line {
    #[serde(default)]
    text: String,
}

fn decode_lines(body: &[u8]) -> Result<Page<String>, serde_json::Error> {
    let parsed: LinesBody = serde_json::from_slice(body)?;
    let lines = parsed.lines.ok_or_else(|| {
        <serde_json::Error as serde::de::Error>::custom(
            "the browse response has no `lines`: the path is a directory, not a file",
        )
    })?;
    let next_page_start = parsed.next_page_start.or_else(|| {
        // Browse pages of a file often omit nextPageStart: continue after this page.
        (!parsed.is_last_page).then(|| parsed.start + u64::from(parsed.size))
    });
    let page = Page {
        values: lines.into_iter().map(|line| line.text).collect(),
        size: parsed.size,
        limit: parsed.limit,
        start: parsed.start,
        is_last_page: parsed.is_last_page,
        next_page_start,
    };
    Ok(page)
}
