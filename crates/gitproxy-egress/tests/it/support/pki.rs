//! Test PKI minted with rcgen: a CA and leaf certificates (valid, expired, future, other host).

use base64::Engine as _;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate authority that issues server certificates.
pub(crate) struct TestCa {
    cert: rcgen::Certificate,
    key: KeyPair,
}

/// A server certificate chain and its key.
pub(crate) struct Leaf {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) key: PrivateKeyDer<'static>,
}

impl TestCa {
    /// A CA whose subject is `CN=<common_name>`.
    pub(crate) fn new(common_name: &str) -> TestCa {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2090, 1, 1);
        let cert = params.self_signed(&key).expect("self-sign CA");
        TestCa { cert, key }
    }

    /// The CA certificate as PEM.
    pub(crate) fn pem(&self) -> String {
        self.cert.pem()
    }

    /// The PEM base64-encoded on a single line: what `customCaCert` carries.
    pub(crate) fn base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.pem())
    }

    /// A currently valid server certificate for `names` (DNS names or IP addresses).
    pub(crate) fn issue(&self, names: &[&str]) -> Leaf {
        self.issue_valid(names, (2000, 1, 1), (2090, 1, 1))
    }

    /// A server certificate valid between two dates `(year, month, day)`.
    pub(crate) fn issue_valid(
        &self,
        names: &[&str],
        not_before: (i32, u8, u8),
        not_after: (i32, u8, u8),
    ) -> Leaf {
        let key = KeyPair::generate().expect("leaf key");
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names.clone()).expect("leaf params");
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().cloned().unwrap_or_default(),
        );
        params.not_before = rcgen::date_time_ymd(not_before.0, not_before.1, not_before.2);
        params.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .expect("sign leaf");
        Leaf {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }
}
