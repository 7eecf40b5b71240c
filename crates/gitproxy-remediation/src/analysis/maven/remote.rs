//! Parent POMs and imported BOMs from outside the repository (a Spring Boot parent, a company
//! parent POM, `<scope>import</scope>` BOMs), fetched from the Maven registry into the
//! snapshot's external files so that the analysis reads the versions they manage.

use std::collections::{BTreeSet, HashSet};

use futures_util::stream::{self, StreamExt as _};

use super::resolve::{tree, versions_key, VERSIONS};
use super::{read_model, Cache, Source};
use crate::analysis::file_name;
use crate::files::Snapshot;
use crate::registry::Registry;

/// At most this many POMs are fetched for one snapshot (Spring Boot's parent with the BOMs it
/// imports and their parents is about 60; a web application's dependency tree a few hundred).
pub const MAX_FETCHED: usize = 1024;

/// A fetched POM larger than this is not kept (the largest published ones, Spring Boot's
/// dependencies POM among them, are a few hundred KiB).
pub const MAX_POM_BYTES: usize = 1024 * 1024;

/// The POMs kept for one repository take at most this much memory in all.
pub const MAX_FETCHED_BYTES: usize = 32 * 1024 * 1024;

/// How many POM requests of a round are in flight at once (a registry behind a corporate
/// proxy answers in tens of milliseconds; a tree is hundreds of POMs).
pub const IN_FLIGHT: usize = 8;

/// Each round fetches what the POMs fetched so far name: one level of the dependency tree, or
/// one more parent.
const ROUNDS: usize = 64;

/// What fetching found: how many POMs were added, and the ones the registry could not give
/// (not published there, or the request failed), with why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fetched {
    /// POMs added to the snapshot.
    pub added: usize,
    /// `group:artifact:version` and the reason for each POM that is still missing.
    pub failed: Vec<(String, String)>,
}

/// The parent POMs, BOMs and POMs of dependencies the repository's `pom.xml` files need and
/// the snapshot lacks.
fn wanted(snapshot: &Snapshot) -> BTreeSet<String> {
    let cache = Cache::default();
    let poms: Vec<_> = snapshot
        .paths()
        .filter(|p| file_name(p) == "pom.xml")
        .filter_map(|p| read_model(snapshot, Source::Repo(p), 0, &cache).ok())
        .collect();
    let modules: HashSet<&str> = poms
        .iter()
        .filter_map(|p| p.coordinates.as_deref())
        .collect();
    let mut out = BTreeSet::new();
    for pom in &poms {
        out.extend(pom.missing.iter().cloned());
        let t = tree(snapshot, pom, &modules, &cache);
        out.extend(t.missing);
        out.extend(t.ranges.iter().map(|name| versions_key(name)));
    }
    out
}

/// Fetches, round by round, every parent POM and imported BOM the repository's POMs need, the
/// POMs of the modules their dependency trees bring, and those the fetched ones need in turn
/// (at most [`MAX_FETCHED`], in [`ROUNDS`] rounds). A POM the registry does not give stays
/// missing and is recorded with why: the dependencies whose versions it would give, or the part
/// of the tree it would bring, are reported as unresolved, never clean.
pub async fn fetch_maven_poms(snapshot: &mut Snapshot, registry: &dyn Registry) -> Fetched {
    fetch_maven_poms_in_flight(snapshot, registry, IN_FLIGHT).await
}

/// [`fetch_maven_poms`] with `in_flight` requests of a round at once (at least one).
pub async fn fetch_maven_poms_in_flight(
    snapshot: &mut Snapshot,
    registry: &dyn Registry,
    in_flight: usize,
) -> Fetched {
    let mut out = Fetched::default();
    let mut tried = BTreeSet::new();
    let mut kept = 0usize;
    for _ in 0..ROUNDS {
        let round: Vec<String> = wanted(snapshot)
            .into_iter()
            .filter(|k| !tried.contains(k))
            .collect();
        if round.is_empty() {
            break;
        }
        // The round's budget, then its requests, several in flight at once.
        let mut batch = Vec::new();
        for key in round {
            if tried.len() >= MAX_FETCHED {
                let why = format!("more than {MAX_FETCHED} POMs to fetch for one repository");
                snapshot.insert_external_failure(key.clone(), why.clone());
                out.failed.push((key, why));
                continue;
            }
            tried.insert(key.clone());
            batch.push(key);
        }
        let answers: Vec<(String, Result<Option<String>, crate::Error>)> =
            stream::iter(batch.into_iter().map(|key| async move {
                let answer = if let Some(name) = key.strip_prefix(VERSIONS) {
                    // A range's module: its published versions, one per line.
                    registry
                        .versions(crate::Ecosystem::Maven, name)
                        .await
                        .map(|vs| {
                            let list: Vec<String> = vs.into_iter().map(|v| v.version).collect();
                            (!list.is_empty()).then(|| list.join("\n"))
                        })
                } else {
                    match key.rsplit_once(':') {
                        Some((name, version)) => registry.maven_pom(name, version).await,
                        None => Ok(None),
                    }
                };
                (key, answer)
            }))
            .buffered(in_flight.max(1))
            .collect()
            .await;
        for (key, answer) in answers {
            let why = match answer {
                Ok(Some(text)) => {
                    let why = if text.len() > MAX_POM_BYTES {
                        Some(format!(
                            "its {} bytes exceed the limit of {MAX_POM_BYTES} bytes for one POM",
                            text.len()
                        ))
                    } else if kept + text.len() > MAX_FETCHED_BYTES {
                        Some(format!(
                            "the POMs fetched for this repository would exceed {MAX_FETCHED_BYTES} bytes"
                        ))
                    } else if key.starts_with(VERSIONS) {
                        None
                    } else {
                        // A POM that does not parse is said so here, not taken for a module
                        // without dependencies.
                        crate::xml::parse(&text)
                            .err()
                            .map(|(_, e)| format!("the registry's POM is not XML Maven reads: {e}"))
                    };
                    if why.is_none() {
                        kept += text.len();
                        snapshot.insert_external(key, text);
                        out.added += 1;
                        continue;
                    }
                    why
                }
                Ok(None) => Some("the Maven registry does not publish it".to_owned()),
                Err(e) => Some(e.to_string()),
            };
            if let Some(why) = why {
                snapshot.insert_external_failure(key.clone(), why.clone());
                out.failed.push((key, why));
            }
        }
    }
    out
}
