//! A version written once for several modules (a Maven property, a Gradle catalog `[versions]`
//! entry or script variable): whether the fix may move all of them, or must give the vulnerable
//! module a version of its own.

use std::collections::BTreeSet;

use crate::analysis::{Analysis, Dependency, Location};
use crate::registry::Registry;
use crate::{Ecosystem, Error};

/// Whether `name` must get `to` in its own declaration: true when the place its version is
/// written also sets modules that do not publish `to` (moving them would break the build, as
/// `jackson.version` moving jackson-core to a jackson-databind patch release that jackson-core
/// never had). Adds a note saying which modules share the version and what happens to them.
pub(super) async fn own_version(
    analysis: &Analysis,
    occurrences: &[&Dependency],
    name: &str,
    to: &str,
    registry: &dyn Registry,
    notes: &mut Vec<String>,
) -> Result<bool, Error> {
    // Only a version written apart from the declaration (a property, a catalog entry, a
    // variable) is shared; a module the tree brings, or one inherited from a parent outside the
    // repository, is located at the declaration that brings it.
    let sites: BTreeSet<&Location> = occurrences
        .iter()
        .filter(|d| d.direct && d.declared_in.as_ref() != Some(&d.location))
        .map(|d| &d.location)
        .collect();
    let others: BTreeSet<&str> = analysis
        .dependencies
        .iter()
        .filter(|d| d.ecosystem == Ecosystem::Maven && d.direct && d.name != name)
        .filter(|d| sites.contains(&d.location))
        .map(|d| d.name.as_str())
        .collect();
    if others.is_empty() {
        return Ok(false);
    }
    let mut missing = Vec::new();
    for other in &others {
        let published = registry.versions(Ecosystem::Maven, other).await?;
        if !published.iter().any(|v| v.version == to) {
            missing.push(*other);
        }
    }
    let at: Vec<String> = sites.iter().map(ToString::to_string).collect();
    let at = at.join(", ");
    let others: Vec<&str> = others.into_iter().collect();
    if missing.is_empty() {
        notes.push(format!(
            "the version written at {at} also sets {}, which move{} to {to} with {name} (the registry publishes {to} of each)",
            others.join(", "),
            if others.len() == 1 { "s" } else { "" },
        ));
        return Ok(false);
    }
    notes.push(format!(
        "{name} gets {to} in its own declaration rather than at {at}, which also sets {}: the registry publishes no {to} of {}, so moving it would break the build; the others keep their version",
        others.join(", "),
        missing.join(", "),
    ));
    Ok(true)
}
