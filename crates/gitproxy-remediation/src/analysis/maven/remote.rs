//! Parent POMs and imported BOMs from outside the repository (a Spring Boot parent, a company
//! parent POM, `<scope>import</scope>` BOMs), fetched from the Maven registry into the
//! snapshot's external files so that the analysis reads the versions they manage.

use std::collections::BTreeSet;

use super::{read_model, Cache, Source, MAX_DEPTH};
use crate::analysis::file_name;
use crate::files::Snapshot;
use crate::registry::Registry;

/// At most this many POMs are fetched for one snapshot (Spring Boot's parent with the BOMs it
/// imports and their parents is about 60).
pub const MAX_FETCHED: usize = 256;

/// What fetching found: how many POMs were added, and the ones the registry could not give
/// (not published there, or the request failed), with why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fetched {
    /// POMs added to the snapshot.
    pub added: usize,
    /// `group:artifact:version` and the reason for each POM that is still missing.
    pub failed: Vec<(String, String)>,
}

/// The parent POMs and BOMs the repository's `pom.xml` files need and the snapshot lacks.
fn wanted(snapshot: &Snapshot) -> BTreeSet<String> {
    let cache = Cache::default();
    snapshot
        .paths()
        .filter(|p| file_name(p) == "pom.xml")
        .filter_map(|p| read_model(snapshot, Source::Repo(p), 0, &cache).ok())
        .flat_map(|pom| pom.missing)
        .collect()
}

/// Fetches, round by round, every parent POM and imported BOM the repository's POMs need (and
/// those the fetched ones need in turn, up to the analysis's depth), at most [`MAX_FETCHED`].
/// A POM the registry does not give stays missing: the dependencies whose versions it would give
/// are reported as unresolved, never clean.
pub async fn fetch_maven_parents(snapshot: &mut Snapshot, registry: &dyn Registry) -> Fetched {
    let mut out = Fetched::default();
    let mut tried = BTreeSet::new();
    for _ in 0..=2 * MAX_DEPTH {
        let round: Vec<String> = wanted(snapshot)
            .into_iter()
            .filter(|k| !tried.contains(k))
            .collect();
        if round.is_empty() {
            break;
        }
        for key in round {
            if tried.len() >= MAX_FETCHED {
                out.failed
                    .push((key, format!("more than {MAX_FETCHED} POMs to fetch")));
                continue;
            }
            tried.insert(key.clone());
            let Some((name, version)) = key.rsplit_once(':') else {
                continue;
            };
            match registry.maven_pom(name, version).await {
                Ok(Some(text)) => {
                    snapshot.insert_external(key, text);
                    out.added += 1;
                }
                Ok(None) => out
                    .failed
                    .push((key, "the Maven registry does not publish it".into())),
                Err(e) => out.failed.push((key, e.to_string())),
            }
        }
    }
    out
}
