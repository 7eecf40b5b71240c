//! The registries' base URLs, one per ecosystem, validated, with credentials kept out of `Debug`;
//! parsed from the agent's `registries` setting, which refuses credentials outright.

use std::str::FromStr;

use url::Url;

use super::registry_name;
use crate::{Ecosystem, Error};

/// Base URLs of the registries, one per ecosystem; an ecosystem without one is never asked.
/// `Debug` leaves out user info and queries, which may carry mirror credentials.
#[derive(Clone, Default)]
pub struct RegistryUrls {
    npm: Option<Url>,
    crates_index: Option<Url>,
    pypi: Option<Url>,
    go_proxy: Option<Url>,
    maven: Option<Url>,
    nuget: Option<Url>,
    rubygems: Option<Url>,
    packagist: Option<Url>,
}

impl std::fmt::Debug for RegistryUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |url: &Option<Url>| url.as_ref().map(redact);
        f.debug_struct("RegistryUrls")
            .field("npm", &shown(&self.npm))
            .field("crates_index", &shown(&self.crates_index))
            .field("pypi", &shown(&self.pypi))
            .field("go_proxy", &shown(&self.go_proxy))
            .field("maven", &shown(&self.maven))
            .field("nuget", &shown(&self.nuget))
            .field("rubygems", &shown(&self.rubygems))
            .field("packagist", &shown(&self.packagist))
            .finish()
    }
}

impl RegistryUrls {
    /// The public registries of every ecosystem.
    pub fn public() -> RegistryUrls {
        Ecosystem::ALL
            .into_iter()
            .try_fold(RegistryUrls::none(), |urls, e| {
                urls.with(e, RegistryUrls::public_url(e))
            })
            .expect("the public registry URLs are valid")
    }

    /// The public registry of one ecosystem.
    pub fn public_url(ecosystem: Ecosystem) -> &'static str {
        match ecosystem {
            Ecosystem::Npm => "https://registry.npmjs.org/",
            Ecosystem::CratesIo => "https://index.crates.io/",
            Ecosystem::PyPI => "https://pypi.org/",
            Ecosystem::Go => "https://proxy.golang.org/",
            Ecosystem::Maven => "https://repo.maven.apache.org/maven2/",
            Ecosystem::NuGet => "https://api.nuget.org/v3-flatcontainer/",
            Ecosystem::RubyGems => "https://rubygems.org/",
            Ecosystem::Packagist => "https://repo.packagist.org/",
        }
    }

    /// Mirrors or stand-ins for the npm, crates.io, PyPI, Go and Maven registries; each must be an
    /// `http` or `https` URL (add others with [`RegistryUrls::with`]).
    pub fn new(
        npm: &str,
        crates_index: &str,
        pypi: &str,
        go_proxy: &str,
        maven: &str,
    ) -> Result<RegistryUrls, Error> {
        RegistryUrls::none()
            .with(Ecosystem::Npm, npm)?
            .with(Ecosystem::CratesIo, crates_index)?
            .with(Ecosystem::PyPI, pypi)?
            .with(Ecosystem::Go, go_proxy)?
            .with(Ecosystem::Maven, maven)
    }

    /// No registry at all: every lookup fails with [`Error::Registry`] saying none is configured.
    pub fn none() -> RegistryUrls {
        RegistryUrls::default()
    }

    /// These URLs with `url` as the registry of `ecosystem` (replacing any earlier one): the npm
    /// registry, the crates.io sparse index, the PyPI JSON API base, the Go module proxy or a
    /// Maven repository, the NuGet v3 flat container (`PackageBaseAddress`), a RubyGems server
    /// (`api/v1/versions` and the compact index `info/`) or a Composer repository (`p2/`). It
    /// must be an `http` or `https` URL.
    pub fn with(mut self, ecosystem: Ecosystem, url: &str) -> Result<RegistryUrls, Error> {
        let what = registry_name(ecosystem);
        let mut parsed = Url::parse(url.trim()).map_err(|e| Error::InvalidRegistryUrl {
            registry: what.to_string(),
            reason: e.to_string(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::InvalidRegistryUrl {
                registry: what.to_string(),
                reason: format!("scheme `{}` is not http or https", parsed.scheme()),
            });
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(Error::InvalidRegistryUrl {
                registry: what.to_string(),
                reason: "the URL has no host".to_string(),
            });
        }
        if !parsed.path().ends_with('/') {
            let path = format!("{}/", parsed.path());
            parsed.set_path(&path);
        }
        *self.slot(ecosystem) = Some(parsed);
        Ok(self)
    }

    /// The registry configured for `ecosystem`, if any.
    pub fn get(&self, ecosystem: Ecosystem) -> Option<&Url> {
        match ecosystem {
            Ecosystem::Npm => self.npm.as_ref(),
            Ecosystem::CratesIo => self.crates_index.as_ref(),
            Ecosystem::PyPI => self.pypi.as_ref(),
            Ecosystem::Go => self.go_proxy.as_ref(),
            Ecosystem::Maven => self.maven.as_ref(),
            Ecosystem::NuGet => self.nuget.as_ref(),
            Ecosystem::RubyGems => self.rubygems.as_ref(),
            Ecosystem::Packagist => self.packagist.as_ref(),
        }
    }

    /// The configured registries, in [`Ecosystem::ALL`] order.
    pub fn configured(&self) -> impl Iterator<Item = (Ecosystem, &Url)> + '_ {
        Ecosystem::ALL
            .into_iter()
            .filter_map(|e| self.get(e).map(|url| (e, url)))
    }

    /// Whether no registry is configured.
    pub fn is_empty(&self) -> bool {
        self.configured().next().is_none()
    }

    /// Where the URL of `ecosystem` goes.
    fn slot(&mut self, ecosystem: Ecosystem) -> &mut Option<Url> {
        match ecosystem {
            Ecosystem::Npm => &mut self.npm,
            Ecosystem::CratesIo => &mut self.crates_index,
            Ecosystem::PyPI => &mut self.pypi,
            Ecosystem::Go => &mut self.go_proxy,
            Ecosystem::Maven => &mut self.maven,
            Ecosystem::NuGet => &mut self.nuget,
            Ecosystem::RubyGems => &mut self.rubygems,
            Ecosystem::Packagist => &mut self.packagist,
        }
    }
}

/// The agent's registries list: comma-separated `ECOSYSTEM=URL` entries, `public` for every
/// public registry, `none` for no registry; a later entry replaces an earlier one. A URL
/// carrying credentials (user info or a credential query parameter) is refused, and messages
/// never show them.
impl FromStr for RegistryUrls {
    type Err = Error;

    fn from_str(list: &str) -> Result<RegistryUrls, Error> {
        let mut urls = RegistryUrls::none();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match entry.to_ascii_lowercase().as_str() {
                // `public` names every ecosystem, so it replaces whatever came before it.
                "public" => urls = RegistryUrls::public(),
                "none" => urls = RegistryUrls::none(),
                _ => urls = urls.with_entry(entry)?,
            }
        }
        Ok(urls)
    }
}

impl RegistryUrls {
    /// These URLs with one `ECOSYSTEM=URL` entry of a registries list.
    fn with_entry(self, entry: &str) -> Result<RegistryUrls, Error> {
        let Some((name, url)) = entry.split_once('=') else {
            // The entry may be a bare URL with a password in it: show it without user info.
            let shown = match entry.rsplit_once('@') {
                Some((before, after)) => match before.split_once("://") {
                    Some((scheme, _)) => format!("{scheme}://***@{after}"),
                    None => format!("***@{after}"),
                },
                None => match entry.split_once(['?', '#']) {
                    Some((base, _)) => format!("{base}?..."),
                    None => entry.to_owned(),
                },
            };
            return Err(Error::InvalidRegistryEntry { entry: shown });
        };
        let ecosystem: Ecosystem = name
            .trim()
            .parse()
            .map_err(|_| Error::UnknownRegistryEcosystem(name.trim().to_owned()))?;
        if let Ok(parsed) = Url::parse(url.trim()) {
            let user_info = !parsed.username().is_empty() || parsed.password().is_some();
            let query_key = gitproxy_egress::credential_query_key(&parsed);
            if user_info || query_key.is_some() {
                return Err(Error::RegistryCredentials {
                    ecosystem,
                    query_key: if user_info { None } else { query_key },
                });
            }
        }
        self.with(ecosystem, url)
    }
}

/// A URL without user info or query, for messages.
pub(crate) fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.to_string()
}
