//! PostgreSQL over TLS (rustls), with libpq's `sslmode` words, for a
//! database on its own machine.
//!
//! tokio-postgres reads only `disable`, `prefer` and `require` and no
//! `sslrootcert`, so both are taken out of the URL's query here:
//! - no `sslmode` or `disable`: plain TCP, as before (a database on the
//!   same host or a trusted network);
//! - `prefer`/`allow`: TLS when the server offers it, unverified;
//! - `require`: TLS, the certificate not verified (libpq's meaning:
//!   encrypted against a passive listener only) — unless `sslrootcert`
//!   is given, when it is `verify-ca`, as in libpq;
//! - `verify-ca`: the server's chain must lead to `sslrootcert` (or, with
//!   none, the system's CA bundle); any host name;
//! - `verify-full`: that, and the certificate names the host connected to.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

/// The system's CA bundle on Debian (package ca-certificates).
const SYSTEM_CAS: &str = "/etc/ssl/certs/ca-certificates.crt";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// What the URL asked for TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    pub mode: SslMode,
    pub root_cert: Option<PathBuf>,
}

/// Takes `sslmode` and `sslrootcert` out of a `postgres://` URL's query:
/// the URL tokio-postgres is given, and what TLS it asked for.
pub fn split_url(url: &str) -> Result<(String, Tls), String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => (url, ""),
    };
    let mut kept = Vec::new();
    let mut mode = None;
    let mut root_cert = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "sslmode" => {
                mode = Some(match v {
                    "disable" => SslMode::Disable,
                    "allow" | "prefer" => SslMode::Prefer,
                    "require" => SslMode::Require,
                    "verify-ca" => SslMode::VerifyCa,
                    "verify-full" => SslMode::VerifyFull,
                    other => {
                        return Err(format!(
                            "sslmode {other:?}: disable, allow, prefer, require, verify-ca or verify-full"
                        ))
                    }
                })
            }
            "sslrootcert" => root_cert = Some(PathBuf::from(percent_decode(v)?)),
            _ => kept.push(pair),
        }
    }
    let mode = match (mode, &root_cert) {
        (Some(SslMode::Require), Some(_)) => SslMode::VerifyCa,
        (Some(m), _) => m,
        (None, _) => SslMode::Disable,
    };
    let url = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
    Ok((url, Tls { mode, root_cert }))
}

/// `%2F` and the like in a query value (a file path).
fn percent_decode(v: &str) -> Result<String, String> {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = v.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
            out.push(hex.ok_or_else(|| format!("sslrootcert {v:?}: a bad %-escape"))?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("sslrootcert {v:?} is not UTF-8"))
}

/// The connector for `tls` (None: plain TCP).
pub fn connector(tls: &Tls) -> Result<Option<MakeRustlsConnect>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let verifier: Arc<dyn ServerCertVerifier> = match tls.mode {
        SslMode::Disable => return Ok(None),
        SslMode::Prefer | SslMode::Require => Arc::new(Unverified(provider)),
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let path = tls.root_cert.clone().unwrap_or_else(|| PathBuf::from(SYSTEM_CAS));
            let roots = Arc::new(roots(&path)?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            if tls.mode == SslMode::VerifyCa {
                Arc::new(AnyName(webpki))
            } else {
                webpki
            }
        }
    };
    let config = builder.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth();
    Ok(Some(MakeRustlsConnect::new(config)))
}

/// The CA certificates in a PEM file.
fn roots(path: &Path) -> Result<RootCertStore, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
    let mut store = RootCertStore::empty();
    let (added, _) = store.add_parsable_certificates(certs);
    if added == 0 {
        return Err(format!("sslrootcert {}: no CA certificate in it", path.display()));
    }
    Ok(store)
}

/// `require`: any certificate, but the handshake's signatures are still
/// checked (the key exchange is with whoever holds that certificate).
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain checked, the host name not.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_sslrootcert_are_taken_out_of_the_url() {
        let (url, tls) = split_url(
            "postgres://u@db.example:5432/dc?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x",
        )
        .unwrap();
        assert_eq!(url, "postgres://u@db.example:5432/dc?application_name=x");
        assert_eq!(tls, Tls { mode: SslMode::VerifyFull, root_cert: Some("/etc/ca.pem".into()) });
        let (url, tls) = split_url("postgres://u@h/dc").unwrap();
        assert_eq!((url.as_str(), tls.mode), ("postgres://u@h/dc", SslMode::Disable));
        // As libpq: require with a root certificate verifies the chain.
        assert_eq!(split_url("postgres://h/d?sslmode=require&sslrootcert=/ca.pem").unwrap().1.mode, SslMode::VerifyCa);
        assert_eq!(split_url("postgres://h/d?sslmode=require").unwrap().1.mode, SslMode::Require);
        assert!(split_url("postgres://h/d?sslmode=verify_full").unwrap_err().contains("verify-full"));
        assert!(split_url("postgres://h/d?sslmode=require&sslrootcert=%zz").is_err());
        // A CA file that is not one is said, with its path.
        let err =
            connector(&Tls { mode: SslMode::VerifyFull, root_cert: Some("/nonexistent/ca.pem".into()) }).err().unwrap();
        assert!(err.contains("/nonexistent/ca.pem"), "{err}");
    }
}
