//! Tests of certificate field extraction and date formatting, on certificates minted by the test PKI.

use gitproxy_test_support::{unix_time, Pki};

use super::{rfc3339, CertInfo};

#[test]
fn rfc3339_formats_known_instants() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
}

#[test]
fn fields_of_a_minted_certificate() {
    let ca = Pki::new("Corp Root CA").unwrap();
    let leaf = ca
        .issue_valid(&["bitbucket.corp", "10.1.2.3"], (2024, 1, 2), (2030, 3, 4))
        .unwrap();
    let info = CertInfo::from_der(&leaf.cert_der()).unwrap();
    assert_eq!(info.subject, "CN=bitbucket.corp");
    assert_eq!(info.issuer, "CN=Corp Root CA");
    assert_eq!(info.not_before, "2024-01-02T00:00:00Z");
    assert_eq!(info.not_after, "2030-03-04T00:00:00Z");
    assert_eq!(info.dns_names, ["bitbucket.corp"]);
    assert_eq!(info.ip_addresses, ["10.1.2.3"]);
    assert_eq!(info.is_ca, Some(false));
    assert!(info.expired_at(unix_time((2031, 1, 1))));
    assert!(!info.expired_at(unix_time((2029, 1, 1))));
    assert_eq!(
        info.to_string(),
        "subject `CN=bitbucket.corp` issued by `CN=Corp Root CA`, valid 2024-01-02T00:00:00Z to 2030-03-04T00:00:00Z, names bitbucket.corp, 10.1.2.3"
    );

    let ca_info = CertInfo::from_der(&ca.ca_der()).unwrap();
    assert_eq!(ca_info.is_ca, Some(true));
    assert_eq!(
        (ca_info.subject.as_str(), ca_info.issuer.as_str()),
        ("CN=Corp Root CA", "CN=Corp Root CA")
    );
}

#[test]
fn garbage_is_an_error() {
    assert!(CertInfo::from_der(b"not a certificate").is_err());
}
