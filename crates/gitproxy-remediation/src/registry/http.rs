//! Package registries over HTTP: npm registry metadata, the crates.io sparse index, the PyPI
//! JSON API (`http/pypi.rs`), the Go module proxy, Maven repository metadata, the NuGet flat container
//! (`http/nuget.rs`), RubyGems (`http/rubygems.rs`) and Composer repositories
//! (`http/packagist.rs`), each implementing [`Registry`].
//! Wrap the result in [`CachedRegistry`](super::CachedRegistry) to ask each question once per run;
//! give it a [`ReleaseCache`] to keep the answers that never change across runs.

use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, Limited};
use hyper_util::client::legacy::connect::Connect;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use url::Url;

use super::lasting::{looks_like_pom, maven_version_is_release};
use super::registry_name;
use super::urls::redact;
use super::{ComposerRelease, Digest, GemBuild, IndexEntry, PypiDist, PypiRelease};
use super::{Registry, RegistryUrls, RegistryVersion, ReleaseCache};
use crate::{Ecosystem, Error};

mod nuget;
mod packagist;
mod pypi;
mod rubygems;

pub use nuget::nuget_content_hash;

/// Responses larger than this are refused (npm packuments of huge packages stay below it).
const MAX_RESPONSE: usize = 64 * 1024 * 1024;

/// [`Registry`] over HTTP for every ecosystem.
///
/// Each URL is fetched once for the registry's lifetime (a packument answers both the versions and
/// the digests question), so make one per run: a long-lived one would never see new releases.
pub struct HttpRegistry<C> {
    client: Client<C, Empty<Bytes>>,
    urls: RegistryUrls,
    timeout: Duration,
    /// Answers by URL; `None` for 404 and 410.
    fetched: std::sync::Mutex<std::collections::HashMap<Url, Option<Bytes>>>,
    observer: Option<ResponseObserver>,
    /// Immutable answers kept across runs (released Maven POMs).
    lasting: Option<ReleaseCache>,
}

/// Called once per HTTP request a registry sends: the ecosystem and the answer's status (`None`
/// when no response arrived), e.g. to count registry calls in metrics.
pub type ResponseObserver =
    std::sync::Arc<dyn Fn(Ecosystem, Option<http::StatusCode>) + Send + Sync>;

impl<C> std::fmt::Debug for HttpRegistry<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRegistry")
            .field("urls", &self.urls)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<C> HttpRegistry<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    /// A registry client over `connector` with a 30 s timeout per request.
    pub fn new(connector: C, urls: RegistryUrls) -> HttpRegistry<C> {
        HttpRegistry {
            client: Client::builder(TokioExecutor::new()).build(connector),
            urls,
            timeout: Duration::from_secs(30),
            fetched: std::sync::Mutex::new(std::collections::HashMap::new()),
            observer: None,
            lasting: None,
        }
    }

    /// This registry keeping the answers that never change (the POM of a released Maven
    /// version) in `cache`, which outlives it: the next run that shares `cache` does not ask
    /// again. Snapshots and "not found" answers are asked anew each run.
    pub fn with_release_cache(mut self, cache: ReleaseCache) -> HttpRegistry<C> {
        self.lasting = Some(cache);
        self
    }

    /// This registry with `observer` told about every HTTP request it sends (not about answers
    /// served from its per-run cache or its [`ReleaseCache`]).
    pub fn on_response(mut self, observer: ResponseObserver) -> HttpRegistry<C> {
        self.observer = Some(observer);
        self
    }

    /// `GET url`, once per URL; `None` for 404 and 410 (no such package or version).
    async fn get(
        &self,
        ecosystem: Ecosystem,
        package: &str,
        url: Url,
        accept: &str,
    ) -> Result<Option<Bytes>, Error> {
        let cached = self
            .fetched
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&url)
            .cloned();
        if let Some(answer) = cached {
            return Ok(answer);
        }
        let answer = self.fetch(ecosystem, package, &url, accept).await;
        if let Some(observer) = &self.observer {
            let status = match &answer {
                Ok((status, _)) => Some(*status),
                Err((status, _)) => *status,
            };
            observer(ecosystem, status);
        }
        let answer = answer.map(|(_, body)| body).map_err(|(_, e)| e)?;
        self.fetched
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(url, answer.clone());
        Ok(answer)
    }

    /// One `GET`: the status and the body (`None` for 404 and 410), or the error and the status
    /// if one arrived.
    async fn fetch(
        &self,
        ecosystem: Ecosystem,
        package: &str,
        url: &Url,
        accept: &str,
    ) -> Result<(http::StatusCode, Option<Bytes>), (Option<http::StatusCode>, Error)> {
        let fail = |reason: String| Error::Registry {
            ecosystem,
            package: package.to_string(),
            reason,
        };
        let request = http::Request::get(url.as_str())
            .header(http::header::ACCEPT, accept)
            .header(http::header::USER_AGENT, "gitproxy-remediation")
            .body(Empty::new())
            .map_err(|e| (None, fail(format!("invalid request: {e}"))))?;
        let response = tokio::time::timeout(self.timeout, self.client.request(request))
            .await
            .map_err(|_| {
                let reason = format!("no answer from {} within {:?}", redact(url), self.timeout);
                (None, fail(reason))
            })?
            .map_err(|e| {
                let reason = format!("GET {} failed: {}", redact(url), error_chain(&e));
                (None, fail(reason))
            })?;
        let status = response.status();
        tracing::debug!(%ecosystem, package, url = %redact(url), %status, "registry lookup");
        if status == http::StatusCode::NOT_FOUND || status == http::StatusCode::GONE {
            return Ok((status, None));
        }
        if !status.is_success() {
            let reason = format!("GET {} answered {status}", redact(url));
            return Err((Some(status), fail(reason)));
        }
        let body = tokio::time::timeout(
            self.timeout,
            Limited::new(response.into_body(), MAX_RESPONSE).collect(),
        )
        .await
        .map_err(|_| {
            let reason = format!(
                "the body of {} did not arrive within {:?}",
                redact(url),
                self.timeout
            );
            (Some(status), fail(reason))
        })?
        .map_err(|e| {
            let reason = format!("reading {} failed: {e}", redact(url));
            (Some(status), fail(reason))
        })?;
        Ok((status, Some(body.to_bytes())))
    }

    fn join(&self, ecosystem: Ecosystem, path: &str, package: &str) -> Result<Url, Error> {
        let base = self.urls.get(ecosystem).ok_or_else(|| Error::Registry {
            ecosystem,
            package: package.to_string(),
            reason: format!(
                "no {} registry is configured; add one to the agent's registries setting",
                registry_name(ecosystem)
            ),
        })?;
        base.join(path).map_err(|e| Error::Registry {
            ecosystem,
            package: package.to_string(),
            reason: format!("cannot build the URL: {e}"),
        })
    }
}

/// An error and its sources, `: `-separated (hyper's client error alone only says "Connect").
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

/// Whether `name` is one path segment (a gem name, a Composer vendor or package) the registry
/// paths can carry as it is.
fn valid_segment(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn decode_error(ecosystem: Ecosystem, package: &str, e: impl std::fmt::Display) -> Error {
    Error::Registry {
        ecosystem,
        package: package.to_string(),
        reason: format!("unexpected metadata: {e}"),
    }
}

// === npm ===

#[derive(Deserialize)]
struct Packument {
    #[serde(default)]
    versions: std::collections::BTreeMap<String, NpmVersion>,
}

#[derive(Deserialize)]
struct NpmVersion {
    #[serde(default)]
    dist: Option<NpmDist>,
    #[serde(default)]
    deprecated: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct NpmDist {
    #[serde(default)]
    integrity: Option<String>,
    #[serde(default)]
    shasum: Option<String>,
}

/// `@scope/name` is requested as `@scope%2fname`.
pub(super) fn npm_path(name: &str) -> String {
    name.replace('/', "%2f")
}

// === crates.io sparse index ===

/// The sparse index path of a crate: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd...`.
pub fn crates_index_path(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    match n.len() {
        1 => format!("1/{n}"),
        2 => format!("2/{n}"),
        3 => format!("3/{}/{n}", &n[..1]),
        _ => format!("{}/{}/{n}", &n[..2], &n[2..4]),
    }
}

// === Go ===

/// The module proxy's case encoding: each upper-case letter becomes `!` and its lower case.
pub fn go_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The `h1:` hash `go.sum` records: SHA-256 over the sorted lines `"<sha256 hex>  <name>\n"`.
pub fn go_hash1(files: &mut [(String, Vec<u8>)]) -> Result<String, String> {
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut summary = Sha256::new();
    for (name, content) in files.iter() {
        if name.contains('\n') {
            return Err(format!("file name `{name}` contains a newline"));
        }
        let digest = Sha256::digest(content);
        let hex = crate::lower_hex(&digest);
        summary.update(format!("{hex}  {name}\n").as_bytes());
    }
    Ok(format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(summary.finalize())
    ))
}

// === Maven ===

pub(super) fn maven_path(name: &str) -> Option<String> {
    let (group, artifact) = name.split_once(':')?;
    Some(format!("{}/{artifact}/", group.replace('.', "/")))
}

#[async_trait]
impl<C> Registry for HttpRegistry<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    async fn versions(
        &self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Vec<RegistryVersion>, Error> {
        match ecosystem {
            Ecosystem::Npm => {
                let url = self.join(ecosystem, &npm_path(name), name)?;
                let Some(body) = self
                    .get(ecosystem, name, url, "application/vnd.npm.install-v1+json")
                    .await?
                else {
                    return Ok(Vec::new());
                };
                let doc: Packument =
                    serde_json::from_slice(&body).map_err(|e| decode_error(ecosystem, name, e))?;
                Ok(doc
                    .versions
                    .into_iter()
                    .map(|(version, v)| RegistryVersion {
                        version,
                        // A deprecated release is not proposed as a fix.
                        yanked: v
                            .deprecated
                            .is_some_and(|d| !matches!(d, serde_json::Value::Bool(false))),
                    })
                    .collect())
            }
            Ecosystem::CratesIo => Ok(self
                .crate_lines(name)
                .await?
                .into_iter()
                .map(|l| RegistryVersion {
                    version: l.version,
                    yanked: l.yanked,
                })
                .collect()),
            Ecosystem::PyPI => {
                let project = self.pypi(name).await?;
                Ok(project
                    .releases
                    .into_iter()
                    .map(|(version, files)| RegistryVersion {
                        version,
                        yanked: !files.is_empty() && files.iter().all(|f| f.yanked),
                    })
                    .collect())
            }
            Ecosystem::Go => {
                let url = self.join(ecosystem, &format!("{}/@v/list", go_escape(name)), name)?;
                let Some(body) = self.get(ecosystem, name, url, "text/plain").await? else {
                    return Ok(Vec::new());
                };
                let text = String::from_utf8_lossy(&body);
                Ok(text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|v| RegistryVersion {
                        version: v.to_string(),
                        yanked: false,
                    })
                    .collect())
            }
            Ecosystem::RubyGems => self.gem_versions(name).await,
            Ecosystem::Packagist => self.composer_versions(name).await,
            Ecosystem::Maven => {
                let path = maven_path(name)
                    .ok_or_else(|| decode_error(ecosystem, name, "expected groupId:artifactId"))?;
                let url = self.join(ecosystem, &format!("{path}maven-metadata.xml"), name)?;
                let Some(body) = self.get(ecosystem, name, url, "application/xml").await? else {
                    return Ok(Vec::new());
                };
                let text = String::from_utf8_lossy(&body);
                let root =
                    crate::xml::parse(&text).map_err(|(_, e)| decode_error(ecosystem, name, e))?;
                let versions = root
                    .path(&["versioning", "versions"])
                    .map(|v| {
                        v.children_named("version")
                            .map(|e| RegistryVersion {
                                version: e.text.clone(),
                                yanked: false,
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                Ok(versions)
            }
            Ecosystem::NuGet => self.nuget_versions(name).await,
        }
    }

    async fn digests(
        &self,
        ecosystem: Ecosystem,
        name: &str,
        version: &str,
    ) -> Result<Vec<Digest>, Error> {
        match ecosystem {
            Ecosystem::Npm => {
                let url = self.join(ecosystem, &npm_path(name), name)?;
                let Some(body) = self
                    .get(ecosystem, name, url, "application/vnd.npm.install-v1+json")
                    .await?
                else {
                    return Ok(Vec::new());
                };
                let doc: Packument =
                    serde_json::from_slice(&body).map_err(|e| decode_error(ecosystem, name, e))?;
                let dist = doc.versions.get(version).and_then(|v| v.dist.as_ref());
                let value = dist.and_then(|d| {
                    d.integrity.clone().or_else(|| {
                        // Old packages only have a SHA-1 `shasum`; npm writes it as an SRI string.
                        let hex = d.shasum.as_deref()?;
                        let bytes: Option<Vec<u8>> = (0..hex.len())
                            .step_by(2)
                            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
                            .collect();
                        Some(format!(
                            "sha1-{}",
                            base64::engine::general_purpose::STANDARD.encode(bytes?)
                        ))
                    })
                });
                Ok(value
                    .map(|value| Digest {
                        artifact: None,
                        value,
                    })
                    .into_iter()
                    .collect())
            }
            Ecosystem::CratesIo => Ok(self
                .crate_lines(name)
                .await?
                .into_iter()
                .find(|l| l.version == version)
                .and_then(|l| l.checksum)
                .map(|value| Digest {
                    artifact: None,
                    value,
                })
                .into_iter()
                .collect()),
            Ecosystem::PyPI => {
                let project = self.pypi(name).await?;
                let files = project
                    .releases
                    .get(version)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                Ok(files
                    .iter()
                    .filter_map(|f| {
                        Some(Digest {
                            artifact: Some(f.filename.clone()),
                            value: format!("sha256:{}", f.digests.get("sha256")?),
                        })
                    })
                    .collect())
            }
            Ecosystem::Go => {
                let base = format!("{}/@v/{}", go_escape(name), go_escape(version));
                let mod_url = self.join(ecosystem, &format!("{base}.mod"), name)?;
                let zip_url = self.join(ecosystem, &format!("{base}.zip"), name)?;
                let (Some(gomod), Some(zip)) = (
                    self.get(ecosystem, name, mod_url, "text/plain").await?,
                    self.get(ecosystem, name, zip_url, "application/zip")
                        .await?,
                ) else {
                    return Ok(Vec::new());
                };
                let mod_hash = go_hash1(&mut [("go.mod".to_string(), gomod.to_vec())])
                    .map_err(|e| decode_error(ecosystem, name, e))?;
                let label = format!("{name}@{version}.zip");
                let mut files = Vec::new();
                for member in crate::zip::zip_members(&zip, &label)? {
                    let content = member.contents(&label)?;
                    files.push((member.name.clone(), content));
                }
                let zip_hash =
                    go_hash1(&mut files).map_err(|e| decode_error(ecosystem, name, e))?;
                Ok(vec![
                    Digest {
                        artifact: None,
                        value: zip_hash,
                    },
                    Digest {
                        artifact: Some("go.mod".into()),
                        value: mod_hash,
                    },
                ])
            }
            // Maven builds verify nothing against a lockfile: no digest is needed. A gem's SHA-256
            // and a Composer dist come with the rest of the entry (`gem_release`,
            // `composer_release`).
            Ecosystem::Maven | Ecosystem::RubyGems | Ecosystem::Packagist => Ok(Vec::new()),
            Ecosystem::NuGet => self.nuget_digests(name, version).await,
        }
    }

    async fn index_entries(
        &self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Option<Vec<IndexEntry>>, Error> {
        match ecosystem {
            // The same fetch (and per-run cache) as the versions and digests questions.
            Ecosystem::CratesIo if self.urls.get(ecosystem).is_some() => {
                Ok(Some(self.crate_lines(name).await?))
            }
            _ => Ok(None),
        }
    }

    async fn npm_manifest(&self, name: &str, version: &str) -> Result<Option<String>, Error> {
        let ecosystem = Ecosystem::Npm;
        if self.urls.get(ecosystem).is_none() {
            return Ok(None);
        }
        let url = self.join(ecosystem, &npm_path(name), name)?;
        let Some(body) = self
            .get(ecosystem, name, url, "application/vnd.npm.install-v1+json")
            .await?
        else {
            return Ok(None);
        };
        let text = std::str::from_utf8(&body).map_err(|e| decode_error(ecosystem, name, e))?;
        let doc = crate::json::parse(text).map_err(|(_, e)| decode_error(ecosystem, name, e))?;
        Ok(doc
            .get("versions")
            .and_then(|v| v.get(version))
            .map(|v| text[v.start..v.end].to_string()))
    }

    async fn pypi_release(&self, name: &str, version: &str) -> Result<Option<PypiRelease>, Error> {
        self.pypi_release_of(name, version).await
    }

    async fn pypi_files(&self, name: &str, version: &str) -> Result<Option<Vec<PypiDist>>, Error> {
        self.pypi_files_of(name, version).await
    }

    async fn go_mod(&self, module: &str, version: &str) -> Result<Option<String>, Error> {
        let eco = Ecosystem::Go;
        let path = format!("{}/@v/{}.mod", go_escape(module), go_escape(version));
        let url = self.join(eco, &path, module)?;
        let body = self.get(eco, module, url, "text/plain").await?;
        Ok(body.map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    async fn nuget_nuspec(&self, id: &str, version: &str) -> Result<Option<String>, Error> {
        if self.urls.get(Ecosystem::NuGet).is_none() {
            return Ok(None);
        }
        self.nuget_nuspec_text(id, version).await
    }

    async fn maven_pom(&self, name: &str, version: &str) -> Result<Option<String>, Error> {
        let eco = Ecosystem::Maven;
        let (Some(path), Some((_, artifact))) = (maven_path(name), name.split_once(':')) else {
            return Ok(None);
        };
        if version.is_empty() || version.contains(['/', '\\', '?', '#']) || version == ".." {
            return Ok(None);
        }
        let url = self.join(
            eco,
            &format!("{path}{version}/{artifact}-{version}.pom"),
            name,
        )?;
        let lasting = self
            .lasting
            .as_ref()
            .filter(|_| maven_version_is_release(version));
        if let Some(kept) = lasting.and_then(|cache| cache.get(&url)) {
            return Ok(Some(String::from_utf8_lossy(&kept).into_owned()));
        }
        let body = self.get(eco, name, url.clone(), "application/xml").await?;
        if let (Some(cache), Some(body)) = (lasting, &body) {
            // Larger answers are not kept: no need to look through them.
            if body.len() <= super::MAX_KEPT_ANSWER && looks_like_pom(body) {
                cache.insert(url, body.clone());
            }
        }
        Ok(body.map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    async fn gem_release(&self, name: &str, version: &str) -> Result<Option<Vec<GemBuild>>, Error> {
        self.gem_builds(name, version).await
    }

    async fn composer_release(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<ComposerRelease>, Error> {
        self.composer_release_of(name, version).await
    }
}

impl<C> HttpRegistry<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    async fn crate_lines(&self, name: &str) -> Result<Vec<IndexEntry>, Error> {
        let eco = Ecosystem::CratesIo;
        let url = self.join(eco, &crates_index_path(name), name)?;
        let Some(body) = self.get(eco, name, url, "text/plain").await? else {
            return Ok(Vec::new());
        };
        IndexEntry::from_index_file(&String::from_utf8_lossy(&body))
            .map_err(|e| decode_error(eco, name, e))
    }
}
