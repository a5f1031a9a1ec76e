//! Single sign-on with SAML 2.0 (Microsoft Entra ID, Okta, any IdP that signs its assertions):
//! per tenant and per scope (agents sign in to the phone, administrators to the admin UI), the
//! identity provider's SSO URL, issuer and pinned signing certificate, the service provider's
//! entity id, and just-in-time provisioning from a template person. People are matched on
//! NameID = username, never on e-mail.

pub mod certificate;
pub mod provision;
pub mod store;
pub mod verifier;

use serde::{Deserialize, Serialize};

use crate::accounts::FieldError;

/// Who signs in through the settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Agents, into the phone.
    Agents,
    /// Administrators, into the admin UI.
    Admins,
}

impl Scope {
    /// As stored and in paths.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Agents => "agents",
            Scope::Admins => "admins",
        }
    }

    /// Reads a path's `agents` or `admins`.
    pub fn parse(text: &str) -> Option<Scope> {
        match text {
            "agents" => Some(Scope::Agents),
            "admins" => Some(Scope::Admins),
            _ => None,
        }
    }
}

/// The longest entity id, URL or attribute name accepted.
const MAX_CHARS: usize = 1024;

/// A scope's settings, as the administrator writes them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// Whether people of the scope may sign in with it.
    pub enabled: bool,
    /// The IdP's sign-on URL (HTTP-Redirect binding), e.g. Entra's
    /// `https://login.microsoftonline.com/<tenant>/saml2`.
    pub idp_sso_url: String,
    /// The IdP's own entity id, the Issuer of its responses (Entra:
    /// `https://sts.windows.net/<tenant>/`; Okta: `http://www.okta.com/<app>`).
    pub idp_entity_id: String,
    /// The IdP's signing certificate, PEM (`-----BEGIN CERTIFICATE-----`…).
    pub idp_certificate: String,
    /// This service's entity id as the IdP knows it (free text, such as `acme_sso`).
    pub sp_entity_id: String,
    /// Create an unknown person from the template at their first sign-in.
    #[serde(default)]
    pub jit: bool,
    /// The username of the person new people are copied from (their role).
    #[serde(default)]
    pub template_user: Option<String>,
    /// Agents created just in time: the assertion attribute holding their SIP user.
    #[serde(default = "default_sip_user_attribute")]
    pub sip_user_attribute: String,
    /// Accept RSA-SHA1 signatures (older IdPs); off, they are refused.
    #[serde(default)]
    pub allow_sha1: bool,
    /// Accept responses the IdP sends unasked (Okta's and Entra's app tiles). Administrators
    /// only: a phone in a CRM frame cannot take an unasked sign-in.
    #[serde(default)]
    pub allow_idp_initiated: bool,
}

fn default_sip_user_attribute() -> String {
    "SipUser".into()
}

/// Checks the settings of `scope`; the error names the field at fault. The certificate is
/// checked by [`certificate::Certificate::parse`].
pub fn check(scope: Scope, settings: &Settings) -> Result<(), FieldError> {
    sign_on_url(&settings.idp_sso_url)?;
    entity_id("idpEntityId", &settings.idp_entity_id)?;
    entity_id("spEntityId", &settings.sp_entity_id)?;
    if settings.idp_entity_id == settings.sp_entity_id {
        return Err(FieldError::new(
            "idpEntityId",
            format!(
                "is the service's own entity id {:?}: enter the identity provider's issuer (Entra: \
                 https://sts.windows.net/<tenant id>/, Okta: http://www.okta.com/<app id>)",
                settings.sp_entity_id
            ),
        ));
    }
    if settings.jit && settings.template_user.as_deref().is_none_or(str::is_empty) {
        return Err(FieldError::new("templateUser", "is required for just-in-time provisioning"));
    }
    let attribute = &settings.sip_user_attribute;
    if attribute.is_empty() || attribute.len() > MAX_CHARS || attribute.chars().any(char::is_control) {
        return Err(FieldError::new("sipUserAttribute", "must name an assertion attribute, such as SipUser"));
    }
    if scope == Scope::Agents && settings.allow_idp_initiated {
        return Err(FieldError::new(
            "allowIdpInitiated",
            "is for administrators only: a phone in a CRM frame cannot take a sign-in it did not ask for",
        ));
    }
    Ok(())
}

/// The IdP's sign-on URL: `https://` (or `http://` to this machine, for a local IdP), no user
/// name or fragment.
fn sign_on_url(text: &str) -> Result<(), FieldError> {
    let refused = || {
        FieldError::new(
            "idpSsoUrl",
            "must be the identity provider's https:// sign-on URL (its SAML 2.0 HTTP-Redirect endpoint)",
        )
    };
    let url = url::Url::parse(text).map_err(|_| refused())?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    let scheme_ok = url.scheme() == "https" || url.scheme() == "http" && loopback;
    if text.len() > MAX_CHARS
        || !scheme_ok
        || url.host_str().is_none()
        || !url.username().is_empty()
        || url.fragment().is_some()
    {
        return Err(refused());
    }
    Ok(())
}

/// An entity id: free text (Entra accepts `acme_sso`), but one that goes into XML as is.
fn entity_id(field: &str, value: &str) -> Result<(), FieldError> {
    let ok = !value.is_empty()
        && value.len() <= MAX_CHARS
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:/-#?=~%+@".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(field, "must be 1 to 1024 letters, digits or . _ : / - # ? = ~ % + @ (no spaces)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            enabled: true,
            idp_sso_url: "https://login.microsoftonline.com/8f2c/saml2".into(),
            idp_entity_id: "https://sts.windows.net/8f2c/".into(),
            idp_certificate: String::new(),
            sp_entity_id: "acme_sso".into(),
            jit: false,
            template_user: None,
            sip_user_attribute: default_sip_user_attribute(),
            allow_sha1: false,
            allow_idp_initiated: false,
        }
    }

    #[test]
    fn entra_and_okta_settings_pass() {
        assert_eq!(check(Scope::Agents, &settings()), Ok(()));
        let okta = Settings {
            idp_sso_url: "https://acme.okta.com/app/acme_framephone_1/exk1/sso/saml".into(),
            idp_entity_id: "http://www.okta.com/exk1".into(),
            allow_idp_initiated: true,
            ..settings()
        };
        assert_eq!(check(Scope::Admins, &okta), Ok(()));
    }

    #[test]
    fn each_mistake_names_its_field() {
        let field = |s: Settings, scope| check(scope, &s).unwrap_err().field;
        assert_eq!(
            field(Settings { idp_sso_url: "http://idp.example/sso".into(), ..settings() }, Scope::Agents),
            "idpSsoUrl"
        );
        assert_eq!(field(Settings { idp_entity_id: String::new(), ..settings() }, Scope::Agents), "idpEntityId");
        assert_eq!(field(Settings { sp_entity_id: "acme sso".into(), ..settings() }, Scope::Agents), "spEntityId");
        assert_eq!(field(Settings { sp_entity_id: "a<b".into(), ..settings() }, Scope::Agents), "spEntityId");
        // The seeds' Entra guide puts the SP's id in the IdP issuer field: caught.
        assert_eq!(field(Settings { idp_entity_id: "acme_sso".into(), ..settings() }, Scope::Agents), "idpEntityId");
        assert_eq!(field(Settings { jit: true, ..settings() }, Scope::Agents), "templateUser");
        assert_eq!(field(Settings { allow_idp_initiated: true, ..settings() }, Scope::Agents), "allowIdpInitiated");
    }
}
