//! NuGet over the v3 flat container (`PackageBaseAddress`): `{id}/index.json` lists the
//! versions, `{id}/{version}/{id}.{version}.nupkg` is hashed for the lockfile's `contentHash`
//! and `{id}/{version}/{id}.nuspec` gives the version's dependencies. Ids and versions are
//! requested in lower case, versions in NuGet's normalised form, as the protocol requires.

use base64::Engine as _;
use hyper_util::client::legacy::connect::Connect;
use serde::Deserialize;
use sha2::{Digest as _, Sha512};

use super::{decode_error, HttpRegistry};
use crate::registry::{Digest, RegistryVersion};
use crate::version::nuget;
use crate::{Ecosystem, Error};

#[derive(Deserialize)]
struct VersionIndex {
    #[serde(default)]
    versions: Vec<String>,
}

/// The lower-case id and normalised lower-case version the flat container's paths use.
fn flat_names(id: &str, version: &str) -> (String, String) {
    let normalized =
        nuget::Version::parse(version).map_or_else(|_| version.to_string(), |v| v.to_string());
    (id.to_ascii_lowercase(), normalized.to_ascii_lowercase())
}

/// `contentHash` as `packages.lock.json` records it: the base64 SHA-512 of the `.nupkg`.
pub fn nuget_content_hash(nupkg: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha512::digest(nupkg))
}

impl<C> HttpRegistry<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    pub(super) async fn nuget_versions(&self, id: &str) -> Result<Vec<RegistryVersion>, Error> {
        let eco = Ecosystem::NuGet;
        let url = self.join(eco, &format!("{}/index.json", id.to_ascii_lowercase()), id)?;
        let Some(body) = self.get(eco, id, url, "application/json").await? else {
            return Ok(Vec::new());
        };
        let index: VersionIndex =
            serde_json::from_slice(&body).map_err(|e| decode_error(eco, id, e))?;
        // The flat container lists unlisted versions too; it has no other signal.
        Ok(index
            .versions
            .into_iter()
            .map(|version| RegistryVersion {
                version,
                yanked: false,
            })
            .collect())
    }

    pub(super) async fn nuget_digests(
        &self,
        id: &str,
        version: &str,
    ) -> Result<Vec<Digest>, Error> {
        let eco = Ecosystem::NuGet;
        let (lower, ver) = flat_names(id, version);
        let path = format!("{lower}/{ver}/{lower}.{ver}.nupkg");
        let url = self.join(eco, &path, id)?;
        let Some(body) = self.get(eco, id, url, "application/octet-stream").await? else {
            return Ok(Vec::new());
        };
        Ok(vec![Digest {
            artifact: None,
            value: nuget_content_hash(&body),
        }])
    }

    pub(super) async fn nuget_nuspec_text(
        &self,
        id: &str,
        version: &str,
    ) -> Result<Option<String>, Error> {
        let eco = Ecosystem::NuGet;
        let (lower, ver) = flat_names(id, version);
        let url = self.join(eco, &format!("{lower}/{ver}/{lower}.nuspec"), id)?;
        let body = self.get(eco, id, url, "application/xml").await?;
        Ok(body.map(|b| String::from_utf8_lossy(&b).into_owned()))
    }
}
