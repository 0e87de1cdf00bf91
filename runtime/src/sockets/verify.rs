//! The TLS client settings of a Hyperdrive's database connection, one for
//! each of libpq's `sslmode`s that use TLS (see `motu_config::TlsMode`):
//!
//! - `require` and `prefer` encrypt without checking the certificate (the
//!   handshake's signatures are still checked against it, so the peer holds
//!   its key): a local database's self-signed certificate is accepted, as
//!   libpq and wrangler accept it;
//! - `verify-ca` checks that the certificate chains to a trusted root but
//!   not the name it is for;
//! - `verify-full` checks both, as any other TLS connection does.
//!
//! The trusted roots are the certificates of `sslrootcert`, else the Web
//! PKI roots.

use std::sync::Arc;

use motu_config::TlsMode;
use motu_engine::JsError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The roots `ca` (PEM) names, else the Web PKI roots.
pub(crate) fn roots(ca: Option<&str>) -> Result<RootCertStore, JsError> {
    use rustls::pki_types::pem::PemObject;
    let Some(pem) = ca else {
        return Ok(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        });
    };
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert
            .map_err(|e| JsError::type_error(format!("tls: a `ca` certificate is not PEM: {e}")))?;
        roots.add(cert).map_err(|e| {
            JsError::type_error(format!("tls: a `ca` certificate is not usable: {e}"))
        })?;
    }
    if roots.is_empty() {
        return Err(JsError::type_error("tls: `ca` holds no PEM certificate"));
    }
    Ok(roots)
}

/// Client settings that check the server against `roots`, as `verifier`
/// says.
fn config_with(verifier: Arc<dyn ServerCertVerifier>) -> Arc<rustls::ClientConfig> {
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Arc::new(config)
}

/// The client settings of `mode`, trusting `ca` (PEM) or the Web PKI roots.
pub(crate) fn database_config(
    mode: TlsMode,
    ca: Option<&str>,
) -> Result<Arc<rustls::ClientConfig>, JsError> {
    if matches!(mode, TlsMode::Prefer | TlsMode::Require) {
        return Ok(config_with(Arc::new(AnyCertificate)));
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots(ca)?), provider())
        .build()
        .map_err(|e| JsError::type_error(format!("tls: no usable root certificate: {e}")))?;
    Ok(match mode {
        TlsMode::VerifyCa => config_with(Arc::new(AnyName(webpki))),
        _ => config_with(webpki),
    })
}

/// Checks a handshake signature with the ring provider's algorithms.
fn signature(
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
    tls13: bool,
) -> Result<HandshakeSignatureValid, Error> {
    let algorithms = &rustls::crypto::ring::default_provider().signature_verification_algorithms;
    if tls13 {
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    } else {
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }
}

/// `require`: any certificate (its key must still sign the handshake).
#[derive(Debug)]
struct AnyCertificate;

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        signature(message, cert, dss, false)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        signature(message, cert, dss, true)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// `verify-ca`: a trusted chain, for whatever name.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(Error::InvalidCertificate(
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
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}
