//! What a certificate says about itself (subject, issuer, validity, names), for reports and CA checks.

use std::fmt;
use std::net::IpAddr;

use serde::Serialize;
use x509_parser::extensions::GeneralName;

/// The human-relevant fields of an X.509 certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CertInfo {
    /// The subject's distinguished name, e.g. `CN=bitbucket.corp, O=Corp`.
    pub subject: String,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// Start of validity, RFC 3339 UTC.
    pub not_before: String,
    /// End of validity, RFC 3339 UTC.
    pub not_after: String,
    /// DNS names of the subjectAltName extension.
    pub dns_names: Vec<String>,
    /// IP addresses of the subjectAltName extension.
    pub ip_addresses: Vec<String>,
    /// Whether basicConstraints says CA:TRUE; `None` when the extension is absent.
    pub is_ca: Option<bool>,
    #[serde(skip)]
    pub(crate) not_after_unix: i64,
}

impl CertInfo {
    /// Parses a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<CertInfo, String> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|err| err.to_string())?;
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(dns) => dns_names.push((*dns).to_owned()),
                    GeneralName::IPAddress(bytes) => {
                        if let Some(ip) = ip_from_bytes(bytes) {
                            ip_addresses.push(ip.to_string());
                        }
                    }
                    _ => {}
                }
            }
        }
        let is_ca = cert
            .basic_constraints()
            .ok()
            .flatten()
            .map(|ext| ext.value.ca);
        let validity = cert.validity();
        let not_before_unix = validity.not_before.timestamp();
        let not_after_unix = validity.not_after.timestamp();
        Ok(CertInfo {
            subject: name_or_empty(&cert.subject().to_string()),
            issuer: name_or_empty(&cert.issuer().to_string()),
            not_before: rfc3339(not_before_unix),
            not_after: rfc3339(not_after_unix),
            dns_names,
            ip_addresses,
            is_ca,
            not_after_unix,
        })
    }

    /// Whether the certificate's validity has ended at `now` (seconds since the epoch).
    pub(crate) fn expired_at(&self, now: i64) -> bool {
        now > self.not_after_unix
    }

    /// The names the certificate is valid for, DNS names first.
    pub fn names(&self) -> Vec<&str> {
        self.dns_names
            .iter()
            .chain(&self.ip_addresses)
            .map(String::as_str)
            .collect()
    }
}

impl fmt::Display for CertInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "subject `{}` issued by `{}`, valid {} to {}",
            self.subject, self.issuer, self.not_before, self.not_after
        )?;
        let names = self.names();
        if !names.is_empty() {
            write!(f, ", names {}", names.join(", "))?;
        }
        Ok(())
    }
}

fn name_or_empty(name: &str) -> String {
    if name.is_empty() {
        "(empty)".to_owned()
    } else {
        name.to_owned()
    }
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// Seconds since the epoch as now.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Formats seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil-from-days, after Howard Hinnant's algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests;
