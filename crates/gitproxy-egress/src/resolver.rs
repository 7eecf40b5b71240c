//! Name resolution for outbound connections: the system resolver, or a fixed table (tests, host aliases).

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Turns host names into addresses. IP literals never reach the resolver.
#[derive(Clone, Default)]
pub struct Resolver {
    fixed: Option<Arc<HashMap<String, Vec<IpAddr>>>>,
}

impl Resolver {
    /// The operating system's resolver (`getaddrinfo`, via tokio).
    pub fn system() -> Resolver {
        Resolver::default()
    }

    /// Only the given names, each to its addresses; any other name fails to resolve.
    ///
    /// Useful for tests (no DNS traffic at all) and for pinning names like Kubernetes `hostAliases`.
    pub fn fixed<I, S>(entries: I) -> Resolver
    where
        I: IntoIterator<Item = (S, IpAddr)>,
        S: AsRef<str>,
    {
        let mut table: HashMap<String, Vec<IpAddr>> = HashMap::new();
        for (name, ip) in entries {
            let name = crate::no_proxy::normalize_host(name.as_ref());
            table.entry(name).or_default().push(ip);
        }
        Resolver {
            fixed: Some(Arc::new(table)),
        }
    }

    /// The socket addresses of `host` on `port`, in the resolver's order.
    pub async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        let host = crate::no_proxy::normalize_host(host);
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        let addrs: Vec<SocketAddr> = match &self.fixed {
            Some(table) => table
                .get(&host)
                .map(|ips| ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect())
                .unwrap_or_default(),
            None => tokio::net::lookup_host((host.as_str(), port))
                .await?
                .collect(),
        };
        if addrs.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no address found for `{host}`"),
            ));
        }
        Ok(addrs)
    }
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.fixed {
            None => f.write_str("Resolver::System"),
            Some(table) => f.debug_tuple("Resolver::Fixed").field(table).finish(),
        }
    }
}
