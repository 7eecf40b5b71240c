//! Credentials carried in a URL's query, which would be printed wherever the URL is: the agent
//! refuses such URLs for the servers it contacts (Bitbucket, the cloud, package registries).

use url::Url;

/// Query parameters that carry credentials.
const SECRET_QUERY_KEYS: &[&str] = &[
    "token",
    "access_token",
    "auth",
    "authorization",
    "key",
    "api_key",
    "apikey",
    "secret",
    "client_secret",
    "password",
    "passwd",
    "pwd",
    "sig",
    "signature",
    "x-amz-signature",
    "x-amz-credential",
    "sas",
];

/// The first query parameter of `url` that looks like a credential, by name (lower-cased), e.g.
/// `token`, `access_token`, `sig` or anything ending in `_token`, `-token`, `_key` or `_secret`.
pub fn credential_query_key(url: &Url) -> Option<String> {
    url.query_pairs()
        .map(|(k, _)| k.to_ascii_lowercase())
        .find(|k| {
            SECRET_QUERY_KEYS.contains(&k.as_str())
                || k.ends_with("_token")
                || k.ends_with("-token")
                || k.ends_with("_key")
                || k.ends_with("_secret")
        })
}

#[cfg(test)]
mod tests;
