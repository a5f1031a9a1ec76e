//! SAML responses made at test time: an IdP key and certificate made with `openssl req -x509`
//! in a temporary directory (never a committed key), response templates, and `xmlsec1 --sign`.

use std::path::PathBuf;
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// An identity provider's key pair in a directory of its own.
pub struct TestIdp {
    dir: PathBuf,
    /// Its certificate, PEM.
    pub certificate: String,
}

impl TestIdp {
    /// A new key pair named `name`.
    pub fn new(name: &str) -> TestIdp {
        let dir = std::env::temp_dir().join(format!("framephone-saml-{name}-{}", service::random::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let status = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", &format!("/CN={name}")])
            .arg("-keyout")
            .arg(dir.join("idp.key"))
            .arg("-out")
            .arg(dir.join("idp.crt"))
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl runs (package openssl)");
        assert!(status.success(), "openssl req");
        let certificate = std::fs::read_to_string(dir.join("idp.crt")).expect("certificate");
        TestIdp { dir, certificate }
    }

    /// `template` (holding one empty `ds:Signature`) signed by xmlsec1 with this key.
    pub fn sign(&self, template: &str) -> String {
        let input = self.dir.join(format!("{}.xml", service::random::id()));
        let output = input.with_extension("signed.xml");
        std::fs::write(&input, template).expect("template");
        let key = format!("{},{}", self.dir.join("idp.key").display(), self.dir.join("idp.crt").display());
        let result = Command::new("xmlsec1")
            .args(["--sign", "--privkey-pem", &key])
            .args(["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"])
            .args(["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response"])
            .arg("--output")
            .arg(&output)
            .arg(&input)
            .output()
            .expect("xmlsec1 runs (package xmlsec1)");
        assert!(result.status.success(), "xmlsec1 --sign: {}", String::from_utf8_lossy(&result.stderr));
        std::fs::read_to_string(&output).expect("signed")
    }
}

impl Drop for TestIdp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An empty signature over `#id`, with RSA-SHA256 (or RSA-SHA1) and exclusive C14N.
pub fn signature_template(id: &str, sha1: bool) -> String {
    let (method, digest) = if sha1 {
        ("http://www.w3.org/2000/09/xmldsig#rsa-sha1", "http://www.w3.org/2000/09/xmldsig#sha1")
    } else {
        ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmlenc#sha256")
    };
    format!(
        r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="{method}"/><ds:Reference URI="#{id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue></ds:Signature>"##
    )
}

/// What a response says; each field can be made wrong.
#[derive(Clone, Debug)]
pub struct Response {
    pub response_id: String,
    pub assertion_id: String,
    pub in_response_to: Option<String>,
    pub destination: String,
    pub issuer: String,
    pub audience: String,
    pub name_id: String,
    /// Seconds from now.
    pub not_before: i64,
    pub not_on_or_after: i64,
    pub issued: i64,
    pub attributes: Vec<(String, String)>,
    pub sha1: bool,
    /// No signature template at all.
    pub unsigned: bool,
}

impl Response {
    /// A good response to `request_id` for `acs` from `issuer` to `audience`, naming `name_id`.
    pub fn new(request_id: Option<&str>, acs: &str, issuer: &str, audience: &str, name_id: &str) -> Response {
        Response {
            response_id: format!("_r{}", service::random::id().replace('-', "x")),
            assertion_id: format!("_a{}", service::random::id().replace('-', "x")),
            in_response_to: request_id.map(str::to_owned),
            destination: acs.to_owned(),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            name_id: name_id.to_owned(),
            not_before: -5,
            not_on_or_after: 300,
            issued: 0,
            attributes: vec![],
            sha1: false,
            unsigned: false,
        }
    }

    fn time(offset: i64) -> String {
        (chrono::Utc::now() + chrono::Duration::seconds(offset)).format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    /// The assertion element, its signature template in place.
    pub fn assertion(&self) -> String {
        let in_response_to =
            self.in_response_to.as_ref().map(|id| format!(" InResponseTo=\"{id}\"")).unwrap_or_default();
        let signature = if self.unsigned { String::new() } else { signature_template(&self.assertion_id, self.sha1) };
        let attributes: String = self
            .attributes
            .iter()
            .map(|(name, value)| {
                format!(
                    "<saml:Attribute Name=\"{name}\" NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:basic\"><saml:AttributeValue>{value}</saml:AttributeValue></saml:Attribute>"
                )
            })
            .collect();
        format!(
            r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="{issued}"><saml:Issuer>{issuer}</saml:Issuer>{signature}<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">{name_id}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData{in_response_to} NotOnOrAfter="{until}" Recipient="{destination}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{not_before}" NotOnOrAfter="{until}"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{issued}" SessionIndex="{id}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>{attributes}</saml:AttributeStatement></saml:Assertion>"#,
            id = self.assertion_id,
            issued = Self::time(self.issued),
            issuer = self.issuer,
            name_id = self.name_id,
            until = Self::time(self.not_on_or_after),
            not_before = Self::time(self.not_before),
            destination = self.destination,
            audience = self.audience,
        )
    }

    /// The response around `assertion` (or [`Response::assertion`]).
    pub fn wrap(&self, assertion: &str) -> String {
        let in_response_to =
            self.in_response_to.as_ref().map(|id| format!(" InResponseTo=\"{id}\"")).unwrap_or_default();
        format!(
            r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="{issued}" Destination="{destination}"{in_response_to}><saml:Issuer>{issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>{assertion}</samlp:Response>"#,
            id = self.response_id,
            issued = Self::time(self.issued),
            destination = self.destination,
            issuer = self.issuer,
        )
    }

    /// The whole template, ready for signing.
    pub fn template(&self) -> String {
        self.wrap(&self.assertion())
    }
}

/// The `SAMLResponse` form value of `xml`.
pub fn encoded(xml: &str) -> String {
    STANDARD.encode(xml)
}
