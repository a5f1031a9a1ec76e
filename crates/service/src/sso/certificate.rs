//! The IdP's signing certificate as the administrator pastes it (PEM): checked, and described
//! for the admin UI by its SHA-256 fingerprint, subject and expiry. Only this certificate is
//! trusted: never a certificate inside a message.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use crate::accounts::FieldError;

/// The admin UI warns this long before the certificate expires.
pub const WARN_BEFORE_MS: i64 = 30 * 24 * 3_600_000;

/// A pinned signing certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    /// The DER bytes, base64 (what SAML metadata's `X509Certificate` holds).
    pub der_base64: String,
    /// What the admin UI shows.
    pub summary: Summary,
}

/// What the admin UI shows of a certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// SHA-256 of the DER, upper-case hex pairs with colons (as Entra and Okta show it).
    pub fingerprint_sha256: String,
    /// The subject, one line.
    pub subject: String,
    /// Not valid before (ms since 1970).
    pub not_before: i64,
    /// Not valid after (ms since 1970).
    pub not_after: i64,
}

impl Summary {
    /// Whether it expires within [`WARN_BEFORE_MS`] of `now` (or has expired).
    pub fn expires_soon(&self, now: i64) -> bool {
        self.not_after - now < WARN_BEFORE_MS
    }
}

impl Certificate {
    /// Reads one PEM certificate; the error says what is wrong in the administrator's terms.
    pub fn parse(pem: &str) -> Result<Certificate, FieldError> {
        let refused = |why: &str| FieldError::new("idpCertificate", why);
        let pem = pem.trim();
        if pem.is_empty() {
            return Err(refused(
                "is required: single sign-on is never enabled without the identity provider's signing certificate",
            ));
        }
        if pem.len() > 64 * 1024 || pem.matches("-----BEGIN CERTIFICATE-----").count() != 1 {
            return Err(refused(
                "must be one PEM certificate, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE----- \
                 (Entra: Certificate (Base64); Okta: the X.509 certificate)",
            ));
        }
        let x509 = openssl::x509::X509::from_pem(pem.as_bytes())
            .map_err(|_| refused("is not a readable PEM certificate (copy it whole, with its BEGIN and END lines)"))?;
        let der = x509.to_der().map_err(|_| refused("cannot be encoded again"))?;
        let digest = openssl::sha::sha256(&der);
        let fingerprint_sha256 = digest.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":");
        let subject = x509
            .subject_name()
            .entries()
            .filter_map(|e| Some(format!("{}={}", e.object().nid().short_name().ok()?, e.data().to_string().ok()?)))
            .collect::<Vec<_>>()
            .join(", ");
        let summary = Summary {
            fingerprint_sha256,
            subject,
            not_before: asn1_ms(x509.not_before()).ok_or_else(|| refused("has an unreadable validity period"))?,
            not_after: asn1_ms(x509.not_after()).ok_or_else(|| refused("has an unreadable validity period"))?,
        };
        Ok(Certificate { der_base64: STANDARD.encode(der), summary })
    }
}

/// An ASN.1 time as ms since 1970.
fn asn1_ms(time: &openssl::asn1::Asn1TimeRef) -> Option<i64> {
    let epoch = openssl::asn1::Asn1Time::from_unix(0).ok()?;
    let diff = epoch.diff(time).ok()?;
    Some((i64::from(diff.days) * 86_400 + i64::from(diff.secs)) * 1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A certificate made here, valid for `days`.
    pub(crate) fn self_signed(days: u32) -> String {
        let rsa = openssl::rsa::Rsa::generate(2048).expect("key");
        let key = openssl::pkey::PKey::from_rsa(rsa).expect("pkey");
        let mut name = openssl::x509::X509NameBuilder::new().expect("name");
        name.append_entry_by_text("CN", "Test IdP").expect("cn");
        let name = name.build();
        let mut builder = openssl::x509::X509::builder().expect("builder");
        builder.set_version(2).expect("version");
        builder.set_subject_name(&name).expect("subject");
        builder.set_issuer_name(&name).expect("issuer");
        builder.set_pubkey(&key).expect("pubkey");
        builder.set_not_before(&openssl::asn1::Asn1Time::days_from_now(0).expect("now")).expect("nb");
        builder.set_not_after(&openssl::asn1::Asn1Time::days_from_now(days).expect("later")).expect("na");
        builder.sign(&key, openssl::hash::MessageDigest::sha256()).expect("sign");
        String::from_utf8(builder.build().to_pem().expect("pem")).expect("utf-8")
    }

    #[test]
    fn a_pem_certificate_is_described_by_fingerprint_subject_and_expiry() {
        let pem = self_signed(10);
        let certificate = Certificate::parse(&pem).expect("parsed");
        assert_eq!(certificate.summary.fingerprint_sha256.len(), 32 * 3 - 1);
        assert_eq!(certificate.summary.subject, "CN=Test IdP");
        let now = crate::clock::now_ms();
        assert!(certificate.summary.expires_soon(now), "10 days left: warned");
        assert!(!Certificate::parse(&self_signed(400)).expect("parsed").summary.expires_soon(now));
    }

    #[test]
    fn anything_but_one_certificate_is_refused() {
        let pem = self_signed(10);
        for bad in ["", "MIIC…", &format!("{pem}{pem}"), &pem.replace("MII", "XXX")] {
            assert_eq!(Certificate::parse(bad).unwrap_err().field, "idpCertificate", "{bad:.40}");
        }
    }
}
