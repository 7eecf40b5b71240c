//! Tests of certificate field extraction and date formatting, on rcgen-minted certificates.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

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
    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(vec!["bitbucket.corp".to_owned(), "10.1.2.3".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "bitbucket.corp");
    params.not_before = rcgen::date_time_ymd(2024, 1, 2);
    params.not_after = rcgen::date_time_ymd(2030, 3, 4);
    let cert = params.self_signed(&key).unwrap();
    let info = CertInfo::from_der(cert.der()).unwrap();
    assert_eq!(info.subject, "CN=bitbucket.corp");
    assert_eq!(info.issuer, "CN=bitbucket.corp");
    assert_eq!(info.not_before, "2024-01-02T00:00:00Z");
    assert_eq!(info.not_after, "2030-03-04T00:00:00Z");
    assert_eq!(info.dns_names, ["bitbucket.corp"]);
    assert_eq!(info.ip_addresses, ["10.1.2.3"]);
    assert_eq!(info.is_ca, None);
    assert!(info.expired_at(rcgen::date_time_ymd(2031, 1, 1).unix_timestamp()));
    assert!(!info.expired_at(rcgen::date_time_ymd(2029, 1, 1).unix_timestamp()));
    assert_eq!(
        info.to_string(),
        "subject `CN=bitbucket.corp` issued by `CN=bitbucket.corp`, valid 2024-01-02T00:00:00Z to 2030-03-04T00:00:00Z, names bitbucket.corp, 10.1.2.3"
    );

    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = params.self_signed(&key).unwrap();
    assert_eq!(CertInfo::from_der(ca.der()).unwrap().is_ca, Some(true));
}

#[test]
fn garbage_is_an_error() {
    assert!(CertInfo::from_der(b"not a certificate").is_err());
}
