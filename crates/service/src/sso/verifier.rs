//! The SAML response check, through samael and xmlsec1 (the signature verified against the
//! pinned certificate only, and the claims read from the part the signature covers), with the
//! gaps samael leaves closed here: no certificate is never "accept", an assertion without an
//! audience or NameID is refused, RSA-SHA1 only when the administrator allows it, and the
//! shapes of known attacks (a second assertion, a duplicate ID, a comment, a DTD) are refused
//! before any parsing with a reason the administrator can read. Each refusal says why.
//!
//! Blocking (libxml2 and RSA): callers run it in `spawn_blocking`.

#[cfg(not(feature = "saml-xmlsec"))]
compile_error!(
    "the service checks SAML signatures with xmlsec1: without samael's xmlsec feature it would accept anything"
);

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use samael::crypto::AllowedSignatureAlgorithm;
use samael::key_info::{KeyInfo, X509Data};
use samael::metadata::{Endpoint, EntityDescriptor, HTTP_REDIRECT_BINDING, IdpSsoDescriptor, KeyDescriptor};
use samael::schema::Assertion;
use samael::service_provider::{Error as SamlError, ServiceProvider, ServiceProviderBuilder};
use samael::traits::ToXml;

use super::Settings;
use super::certificate::Certificate;

/// The largest `SAMLResponse` read (base64); IdPs send a few kilobytes.
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;
/// Clock difference tolerated between the IdP and this service.
const CLOCK_SKEW_S: i64 = 120;
/// How old a response may be (its IssueInstant).
const MAX_ISSUE_DELAY_S: i64 = 300;

/// Initialises libxml2 and xmlsec1 once, here, before requests verify responses on worker
/// threads: samael initialises them lazily, and only after its first parse.
pub fn warm_up() {
    use samael::crypto::{CertificateDer, Crypto, CryptoProvider};
    // A certificate made here loads without complaint (xmlsec1 prints every error it meets to
    // stderr), and the document, which has no signature, fails the check quietly.
    let Some(der) = throwaway_certificate() else { return };
    let _ = Crypto::verify_signed_xml("<x/>", &CertificateDer::from(der), None);
}

/// A self-signed P-256 certificate's DER, made for [`warm_up`] alone.
fn throwaway_certificate() -> Option<Vec<u8>> {
    use openssl::{asn1, ec, hash, nid, pkey, x509};
    let group = ec::EcGroup::from_curve_name(nid::Nid::X9_62_PRIME256V1).ok()?;
    let key = pkey::PKey::from_ec_key(ec::EcKey::generate(&group).ok()?).ok()?;
    let mut builder = x509::X509::builder().ok()?;
    builder.set_pubkey(&key).ok()?;
    let (from, until) = (asn1::Asn1Time::days_from_now(0).ok()?, asn1::Asn1Time::days_from_now(1).ok()?);
    builder.set_not_before(&from).ok()?;
    builder.set_not_after(&until).ok()?;
    builder.sign(&key, hash::MessageDigest::sha256()).ok()?;
    builder.build().to_der().ok()
}

/// Why a response is refused, in words an administrator can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not base64, not UTF-8, too large.
    #[error("the SAMLResponse is not a base64 SAML response of at most 256 KiB")]
    Encoding,
    /// A DOCTYPE or entity declaration.
    #[error("the response declares a DTD or entities, which SAML never needs")]
    Dtd,
    /// An XML comment anywhere (the NameID truncation attack).
    #[error("the response holds an XML comment, a known way to alter a signed NameID")]
    Comment,
    /// Not exactly one assertion (signature wrapping).
    #[error("the response holds {0} assertions; exactly one signed assertion is accepted (signature wrapping?)")]
    AssertionCount(usize),
    /// An encrypted assertion.
    #[error("the assertion is encrypted; turn assertion encryption off at the identity provider")]
    Encrypted,
    /// Two elements with one ID (signature wrapping).
    #[error("two elements carry the ID {0:?} (signature wrapping)")]
    DuplicateId(String),
    /// No signature at all.
    #[error("the response and its assertion are unsigned: the identity provider must sign the assertion")]
    Unsigned,
    /// SHA-1 while the settings refuse it.
    #[error(
        "the identity provider signs with SHA-1 (RSA-SHA1), which is refused: have it sign with SHA-256, or allow SHA-1 in the settings"
    )]
    Sha1,
    /// The IdP said no (the user cancelled, or is not assigned to the application).
    #[error("the identity provider did not sign the person in ({0})")]
    IdpStatus(String),
    /// Another issuer than the settings'.
    #[error(
        "the response comes from issuer {got:?}, but the settings expect {expected:?} (the identity provider's own entity id)"
    )]
    Issuer {
        /// The settings' IdP entity id.
        expected: String,
        /// The response's.
        got: String,
    },
    /// The signature does not verify against the pinned certificate.
    #[error(
        "the signature does not verify against the pinned certificate (another certificate, or a response altered after signing)"
    )]
    Signature,
    /// Sent to another ACS.
    #[error("the response is addressed to another service (Destination or Recipient is not this reply URL)")]
    Destination,
    /// Not an answer to a request of ours (or to one already answered).
    #[error("the response answers no sign-in request of this service that is still open (InResponseTo)")]
    InResponseTo,
    /// Too old.
    #[error("the response has expired (check the clocks of the identity provider and this service)")]
    Expired,
    /// From the future.
    #[error("the response is not valid yet (check the clocks of the identity provider and this service)")]
    NotYetValid,
    /// For another service provider.
    #[error("the assertion is for another service provider (its Audience is not {0:?}, this service's entity id)")]
    Audience(String),
    /// No NameID.
    #[error("the assertion names no one (no NameID)")]
    NoNameId,
    /// Seen before.
    #[error("this assertion was already used to sign in (a replay)")]
    Replayed,
    /// Anything else samael refuses.
    #[error("the response is not a valid SAML response ({0})")]
    Malformed(String),
}

/// A verified sign-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    /// The NameID: the username.
    pub name_id: String,
    /// Every attribute by name (the part after the last `/`, so Entra's claim URIs read as
    /// their short names), with its values.
    pub attributes: Vec<(String, Vec<String>)>,
    /// The assertion's ID, for the replay cache.
    pub assertion_id: String,
    /// Until when the assertion is valid (ms since 1970): its ID is kept that long.
    pub valid_until_ms: i64,
}

impl Login {
    /// The first value of attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        let found = self.attributes.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))?;
        found.1.first().map(String::as_str).filter(|v| !v.trim().is_empty())
    }
}

/// This service as a SAML service provider for one scope's settings.
pub struct ServiceProviderFor {
    sp: ServiceProvider,
    settings: Settings,
}

impl ServiceProviderFor {
    /// The service provider at `acs_url` (its metadata at `metadata_url`), trusting only
    /// `certificate` for the IdP of `settings`.
    pub fn new(
        settings: &Settings,
        certificate: &Certificate,
        acs_url: &str,
        metadata_url: &str,
    ) -> Result<Self, Refusal> {
        let idp = EntityDescriptor {
            entity_id: Some(settings.idp_entity_id.clone()),
            idp_sso_descriptors: Some(vec![IdpSsoDescriptor {
                id: None,
                valid_until: None,
                cache_duration: None,
                protocol_support_enumeration: Some("urn:oasis:names:tc:SAML:2.0:protocol".into()),
                error_url: None,
                signature: None,
                key_descriptors: vec![KeyDescriptor {
                    key_use: Some("signing".into()),
                    key_info: KeyInfo {
                        id: None,
                        x509_data: Some(X509Data { certificates: vec![certificate.der_base64.clone()] }),
                    },
                    encryption_methods: None,
                }],
                organization: None,
                contact_people: vec![],
                artifact_resolution_service: vec![],
                single_logout_services: vec![],
                manage_name_id_services: vec![],
                name_id_formats: vec![],
                want_authn_requests_signed: None,
                single_sign_on_services: vec![Endpoint {
                    binding: HTTP_REDIRECT_BINDING.into(),
                    location: settings.idp_sso_url.clone(),
                    response_location: None,
                }],
                name_id_mapping_services: vec![],
                assertion_id_request_services: vec![],
                attribute_profiles: vec![],
                attributes: vec![],
            }]),
            ..EntityDescriptor::default()
        };
        let algorithms = if settings.allow_sha1 {
            None
        } else {
            Some(vec![
                AllowedSignatureAlgorithm::RsaSha256,
                AllowedSignatureAlgorithm::RsaSha384,
                AllowedSignatureAlgorithm::RsaSha512,
                AllowedSignatureAlgorithm::EcdsaSha256,
                AllowedSignatureAlgorithm::EcdsaSha384,
                AllowedSignatureAlgorithm::EcdsaSha512,
            ])
        };
        let sp = ServiceProviderBuilder::default()
            .entity_id(settings.sp_entity_id.clone())
            .acs_url(acs_url.to_owned())
            .metadata_url(metadata_url.to_owned())
            // Required by samael's metadata; removed from the metadata served (no single logout).
            .slo_url(acs_url.to_owned())
            .idp_metadata(idp)
            .allow_idp_initiated(settings.allow_idp_initiated)
            .allowed_signature_algorithms(algorithms)
            .max_clock_skew(chrono::Duration::seconds(CLOCK_SKEW_S))
            .max_issue_delay(chrono::Duration::seconds(MAX_ISSUE_DELAY_S))
            .build()
            .map_err(|e| Refusal::Malformed(e.to_string()))?;
        // samael parses unverified when it finds no certificate: never here.
        if sp.idp_signing_certs().ok().flatten().is_none_or(|certs| certs.is_empty()) {
            return Err(Refusal::Signature);
        }
        Ok(ServiceProviderFor { sp, settings: settings.clone() })
    }

    /// An AuthnRequest for the IdP (HTTP-Redirect binding) with ID `request_id`: the URL to send
    /// the browser to.
    pub fn sign_in_url(&self, request_id: &str, relay_state: &str) -> Result<String, Refusal> {
        let mut request = self
            .sp
            .make_authentication_request(&self.settings.idp_sso_url)
            .map_err(|e| Refusal::Malformed(e.to_string()))?;
        request.id = request_id.to_owned();
        let url = request.redirect(relay_state).map_err(|e| Refusal::Malformed(e.to_string()))?;
        url.map(|u| u.to_string()).ok_or_else(|| Refusal::Malformed("no sign-on URL".into()))
    }

    /// This service provider's metadata, for the IdP's administrator.
    pub fn metadata(&self) -> Result<String, Refusal> {
        let mut metadata = self.sp.metadata().map_err(|e| Refusal::Malformed(e.to_string()))?;
        metadata.valid_until = None;
        for descriptor in metadata.sp_sso_descriptors.iter_mut().flatten() {
            descriptor.valid_until = None;
            descriptor.single_logout_services = None;
        }
        metadata.to_string().map_err(|e| Refusal::Malformed(e.to_string()))
    }

    /// Checks a base64 `SAMLResponse` that answers one of `request_ids` (none: an unasked
    /// response, which the settings must allow).
    pub fn verify(&self, saml_response: &str, request_ids: &[&str]) -> Result<Login, Refusal> {
        let xml = decode(saml_response)?;
        screen(&xml, &self.settings)?;
        let ids = (!request_ids.is_empty()).then_some(request_ids);
        let assertion = self.sp.parse_xml_response(&xml, ids).map_err(|e| self.refusal(e))?;
        self.read(assertion)
    }

    fn refusal(&self, error: SamlError) -> Refusal {
        match error {
            SamlError::FailedToValidateSignature => Refusal::Signature,
            SamlError::DestinationValidationError { .. } | SamlError::AssertionRecipientMismatch { .. } => {
                Refusal::Destination
            }
            SamlError::ResponseInResponseToInvalid { .. } | SamlError::AssertionInResponseToInvalid { .. } => {
                Refusal::InResponseTo
            }
            SamlError::ResponseExpired { .. }
            | SamlError::AssertionExpired { .. }
            | SamlError::AssertionConditionExpired { .. }
            | SamlError::AssertionSubjectConfirmationExpired { .. } => Refusal::Expired,
            SamlError::AssertionConditionExpiredBefore { .. }
            | SamlError::AssertionSubjectConfirmationExpiredBefore { .. } => Refusal::NotYetValid,
            SamlError::AssertionConditionAudienceRestrictionFailed { .. } => {
                Refusal::Audience(self.settings.sp_entity_id.clone())
            }
            SamlError::ResponseIssuerMismatch { .. } | SamlError::AssertionIssuerMismatch { .. } => {
                Refusal::Issuer { expected: self.settings.idp_entity_id.clone(), got: "another issuer".into() }
            }
            other => Refusal::Malformed(other.to_string().chars().take(200).collect()),
        }
    }

    /// The claims of a verified assertion, after the checks samael leaves out.
    fn read(&self, assertion: Assertion) -> Result<Login, Refusal> {
        let audience = Refusal::Audience(self.settings.sp_entity_id.clone());
        let conditions = assertion.conditions.as_ref().ok_or(audience.clone())?;
        let audiences: Vec<&String> =
            conditions.audience_restrictions.iter().flatten().flat_map(|r| r.audience.iter()).collect();
        if !audiences.iter().any(|a| **a == self.settings.sp_entity_id) {
            return Err(audience);
        }
        let valid_until = conditions.not_on_or_after.ok_or(Refusal::Expired)?;
        let name_id = assertion
            .subject
            .as_ref()
            .and_then(|s| s.name_id.as_ref())
            .map(|n| n.value.trim().to_owned())
            .filter(|n| !n.is_empty())
            .ok_or(Refusal::NoNameId)?;
        let attributes = assertion
            .attribute_statements
            .iter()
            .flatten()
            .flat_map(|s| s.attributes.iter())
            .filter_map(|a| {
                let name = a.name.as_deref()?;
                let short = name.rsplit('/').next().unwrap_or(name).to_owned();
                Some((short, a.values.iter().filter_map(|v| v.value.clone()).collect()))
            })
            .collect();
        Ok(Login {
            name_id,
            attributes,
            assertion_id: assertion.id,
            valid_until_ms: valid_until.timestamp_millis() + CLOCK_SKEW_S * 1_000,
        })
    }
}

/// The response's XML from its base64 (line breaks allowed, as some IdPs wrap it).
fn decode(saml_response: &str) -> Result<String, Refusal> {
    if saml_response.len() > MAX_RESPONSE_BYTES {
        return Err(Refusal::Encoding);
    }
    let compact: String = saml_response.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = STANDARD.decode(compact).map_err(|_| Refusal::Encoding)?;
    String::from_utf8(bytes).map_err(|_| Refusal::Encoding)
}

/// Refuses the shapes of known attacks before any XML parser sees the text, with their reason.
/// What it reads unverified serves the reason only; the claims come from samael's verified part.
fn screen(xml: &str, settings: &Settings) -> Result<(), Refusal> {
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        return Err(Refusal::Dtd);
    }
    if xml.contains("<!--") {
        return Err(Refusal::Comment);
    }
    if elements(xml, "EncryptedAssertion") > 0 {
        return Err(Refusal::Encrypted);
    }
    let assertions = elements(xml, "Assertion");
    if assertions != 1 {
        // A response the IdP refused carries no assertion: its status says why.
        if assertions == 0
            && let Some(status) = status_code(xml).filter(|s| !s.ends_with(":Success"))
        {
            return Err(Refusal::IdpStatus(status));
        }
        return Err(Refusal::AssertionCount(assertions));
    }
    let mut ids = attribute_values(xml, "ID");
    ids.sort_unstable();
    if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(Refusal::DuplicateId(pair[0].to_owned()));
    }
    if elements(xml, "Signature") == 0 {
        return Err(Refusal::Unsigned);
    }
    if !settings.allow_sha1 && (xml.contains("xmldsig#rsa-sha1") || xml.contains("xmldsig#sha1")) {
        return Err(Refusal::Sha1);
    }
    if let Some(issuer) = assertion_issuer(xml).filter(|i| *i != settings.idp_entity_id) {
        return Err(Refusal::Issuer {
            expected: settings.idp_entity_id.clone(),
            got: issuer.chars().take(200).collect(),
        });
    }
    Ok(())
}

/// Where the text opens an element named `local`, whatever its namespace prefix.
fn openings<'a>(xml: &'a str, local: &'a str) -> impl Iterator<Item = usize> + 'a {
    xml.match_indices('<').map(|(i, _)| i).filter(move |i| {
        let name = xml[i + 1..].split(|c: char| c.is_whitespace() || c == '>' || c == '/').next().unwrap_or("");
        name.rsplit(':').next() == Some(local)
    })
}

/// How many elements named `local` the text opens.
fn elements(xml: &str, local: &str) -> usize {
    openings(xml, local).count()
}

/// The values of every attribute named `name` (`ID="…"`).
fn attribute_values<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    xml.match_indices(&format!(" {name}="))
        .filter_map(|(i, m)| {
            let rest = &xml[i + m.len()..];
            let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
            rest[1..].split(quote).next()
        })
        .collect()
}

/// The top-level StatusCode's value.
fn status_code(xml: &str) -> Option<String> {
    let at = xml.find("StatusCode ")?;
    attribute_values(&xml[at..], "Value").first().map(|v| (*v).to_owned())
}

/// The text of the first Issuer inside the first Assertion.
fn assertion_issuer(xml: &str) -> Option<String> {
    let assertion = &xml[openings(xml, "Assertion").next()?..];
    let text = &assertion[openings(assertion, "Issuer").next()?..];
    let start = text.find('>')? + 1;
    let end = text[start..].find('<')? + start;
    Some(text[start..end].trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_are_counted_by_local_name_whatever_the_prefix() {
        let xml = r#"<samlp:Response><saml:Assertion ID="a"><saml:Issuer>x</saml:Issuer></saml:Assertion><Assertion ID="b"/></samlp:Response>"#;
        assert_eq!(elements(xml, "Assertion"), 2);
        assert_eq!(elements(xml, "Issuer"), 1);
        assert_eq!(elements(xml, "Response"), 1);
        assert_eq!(attribute_values(xml, "ID"), ["a", "b"]);
        assert_eq!(assertion_issuer(xml).as_deref(), Some("x"));
    }
}
