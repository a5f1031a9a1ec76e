//! Integration accounts: the credentials with which the service reaches a CRM on the agents'
//! behalf. A ServiceNow account holds an instance URL, an OAuth client id and secret and a
//! refresh token; a Salesforce account holds a My Domain URL, a consumer key and secret and a
//! refresh token, or for the JWT bearer flow a username and a private key. Each kind may have
//! one default account.

pub mod fields;
pub mod salesforce;
pub mod servicenow;
pub mod store;

use serde::{Deserialize, Serialize};

pub use fields::FieldError;

/// Which CRM an account reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A ServiceNow instance.
    Servicenow,
    /// A Salesforce org.
    Salesforce,
}

impl Kind {
    /// As stored and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Servicenow => "servicenow",
            Kind::Salesforce => "salesforce",
        }
    }

    /// Parses a stored or requested kind.
    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "servicenow" => Some(Kind::Servicenow),
            "salesforce" => Some(Kind::Salesforce),
            _ => None,
        }
    }

    /// The secrets an account of this kind keeps, and whether an administrator writes each one
    /// directly (`false`: only a flow such as Request refresh token writes it).
    pub fn secrets(self) -> &'static [(&'static str, bool)] {
        match self {
            Kind::Servicenow => &[(CLIENT_SECRET, true), (REFRESH_TOKEN, false)],
            Kind::Salesforce => &[(CONSUMER_SECRET, true), (PRIVATE_KEY, true), (REFRESH_TOKEN, false)],
        }
    }
}

/// A ServiceNow OAuth application's client secret.
pub const CLIENT_SECRET: &str = "clientSecret";
/// A Salesforce connected app's consumer secret.
pub const CONSUMER_SECRET: &str = "consumerSecret";
/// The private key (PEM) of a Salesforce JWT bearer account.
pub const PRIVATE_KEY: &str = "privateKey";
/// The refresh token a flow obtained.
pub const REFRESH_TOKEN: &str = "refreshToken";

/// A ServiceNow account's fields other than its secrets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceNowSettings {
    /// `https://<instance>.service-now.com`.
    pub instance_url: String,
    /// The OAuth application's client id (System OAuth › Application Registry).
    pub client_id: String,
    /// The application's refresh token lifespan, in days (the instance's default is 100).
    #[serde(default = "default_refresh_days")]
    pub refresh_token_lifetime_days: u32,
}

fn default_refresh_days() -> u32 {
    100
}

/// How a Salesforce account signs in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SalesforceAuth {
    /// Web-server flow once, then a refresh token.
    #[default]
    RefreshToken,
    /// JWT bearer: a username and a private key whose certificate the connected app holds.
    JwtBearer,
}

/// A Salesforce account's fields other than its secrets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SalesforceSettings {
    /// The org's My Domain URL, `https://<domain>.my.salesforce.com`.
    pub my_domain_url: String,
    /// A sandbox org: the wizard builds a sandbox's My Domain from a subdomain, and a
    /// Salesforce My Domain URL must agree with it.
    #[serde(default)]
    pub sandbox: bool,
    /// The connected app's consumer key.
    pub consumer_key: String,
    /// The REST API version, `68.0`.
    #[serde(default = "default_api_version")]
    pub api_version: String,
    /// Refresh token or JWT bearer.
    #[serde(default)]
    pub auth: SalesforceAuth,
    /// JWT bearer: the Salesforce username the service signs in as.
    #[serde(default)]
    pub username: Option<String>,
}

/// Salesforce's own My Domain hosts say whether the org is a sandbox
/// (`<domain>--<sandbox>.sandbox.my.salesforce.com`); the flag must agree. Other hosts (a
/// custom domain) are taken as the flag says.
fn sandbox_matches(my_domain_url: &str, sandbox: bool) -> Result<(), FieldError> {
    let host = url::Url::parse(my_domain_url.trim()).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    let Some(host) = host.filter(|h| h.ends_with(".my.salesforce.com")) else { return Ok(()) };
    match (host.ends_with(".sandbox.my.salesforce.com"), sandbox) {
        (true, false) => {
            Err(FieldError::new("settings.sandbox", format!("must be on: {host} is a sandbox's My Domain")))
        }
        (false, true) => Err(FieldError::new(
            "settings.sandbox",
            format!(
                "must be off: {host} is a production org's My Domain (a sandbox's ends in .sandbox.my.salesforce.com)"
            ),
        )),
        _ => Ok(()),
    }
}

fn default_api_version() -> String {
    "68.0".into()
}

/// An account's kind-specific fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settings {
    /// ServiceNow.
    Servicenow(ServiceNowSettings),
    /// Salesforce.
    Salesforce(SalesforceSettings),
}

impl Settings {
    /// Reads and checks `value` as the fields of `kind`, naming the field at fault.
    pub fn parse(kind: Kind, value: serde_json::Value) -> Result<Settings, FieldError> {
        let settings = match kind {
            Kind::Servicenow => Settings::Servicenow(fields::from_json(value)?),
            Kind::Salesforce => Settings::Salesforce(fields::from_json(value)?),
        };
        settings.check()?;
        Ok(settings)
    }

    /// The fields as JSON (what is stored and shown).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Settings::Servicenow(s) => serde_json::to_value(s),
            Settings::Salesforce(s) => serde_json::to_value(s),
        }
        .unwrap_or_default()
    }

    fn check(&self) -> Result<(), FieldError> {
        match self {
            Settings::Servicenow(s) => {
                fields::origin_url("settings.instanceUrl", &s.instance_url)?;
                fields::required("settings.clientId", &s.client_id, 255)?;
                if !(1..=3650).contains(&s.refresh_token_lifetime_days) {
                    return Err(FieldError::new(
                        "settings.refreshTokenLifetimeDays",
                        "must be between 1 and 3650 days",
                    ));
                }
            }
            Settings::Salesforce(s) => {
                fields::origin_url("settings.myDomainUrl", &s.my_domain_url)?;
                fields::required("settings.consumerKey", &s.consumer_key, 255)?;
                let version_ok = s.api_version.split_once('.').is_some_and(|(major, minor)| {
                    !major.is_empty() && major.len() <= 3 && major.bytes().all(|b| b.is_ascii_digit()) && minor == "0"
                });
                if !version_ok {
                    return Err(FieldError::new("settings.apiVersion", "must be written like 68.0"));
                }
                if s.auth == SalesforceAuth::JwtBearer {
                    fields::required("settings.username", s.username.as_deref().unwrap_or(""), 255)?;
                }
            }
        }
        Ok(())
    }

    /// Reads what an administrator writes: [`Settings::parse`], the checks only new values must
    /// pass (rows written by an older version still read), and URLs in their canonical form.
    pub fn for_write(kind: Kind, value: serde_json::Value) -> Result<Settings, FieldError> {
        let settings = Settings::parse(kind, value)?;
        if let Settings::Salesforce(s) = &settings {
            sandbox_matches(&s.my_domain_url, s.sandbox)?;
        }
        Ok(settings.normalised())
    }

    /// The same fields with URLs written in their one canonical form.
    pub fn normalised(mut self) -> Settings {
        match &mut self {
            Settings::Servicenow(s) => s.instance_url = fields::canonical_origin(&s.instance_url),
            Settings::Salesforce(s) => s.my_domain_url = fields::canonical_origin(&s.my_domain_url),
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_field_problem_names_its_field() {
        let problem = |kind, value| Settings::parse(kind, value).expect_err("refused");
        let e = problem(Kind::Servicenow, json!({"instanceUrl": "http://acme.service-now.com", "clientId": "c"}));
        assert_eq!(e.field, "settings.instanceUrl");
        assert!(e.message.contains("https"), "{e}");
        let e = problem(Kind::Servicenow, json!({"instanceUrl": "https://acme.service-now.com"}));
        assert!(e.message.contains("clientId"), "{e}");
        let e = problem(
            Kind::Servicenow,
            json!({"instanceUrl": "https://a.service-now.com", "clientId": "c", "colour": 1}),
        );
        assert!(e.message.contains("colour"), "{e}");
        let e = problem(
            Kind::Salesforce,
            json!({"myDomainUrl": "https://acme.my.salesforce.com", "consumerKey": "k", "apiVersion": "v68"}),
        );
        assert_eq!(e.field, "settings.apiVersion");
        let e = problem(
            Kind::Salesforce,
            json!({"myDomainUrl": "https://acme.my.salesforce.com", "consumerKey": "k", "auth": "jwtBearer"}),
        );
        assert_eq!(e.field, "settings.username");
        let written = |value| Settings::for_write(Kind::Salesforce, value).expect_err("refused");
        let stored = json!({"myDomainUrl": "https://acme--uat.sandbox.my.salesforce.com", "consumerKey": "k"});
        assert!(Settings::parse(Kind::Salesforce, stored.clone()).is_ok(), "a row from before the check still reads");
        let e = written(stored);
        assert_eq!((e.field.as_str(), e.message.contains("must be on")), ("settings.sandbox", true), "{e}");
        let e = written(json!({"myDomainUrl": "https://acme.my.salesforce.com", "consumerKey": "k", "sandbox": true}));
        assert!(e.message.contains("must be off"), "{e}");
        for (url, sandbox) in
            [("https://acme--uat.sandbox.my.salesforce.com", true), ("https://crm.acme.example", true)]
        {
            let settings = json!({"myDomainUrl": url, "consumerKey": "k", "sandbox": sandbox});
            assert!(Settings::for_write(Kind::Salesforce, settings).is_ok(), "{url}");
        }
    }

    #[test]
    fn good_settings_get_their_defaults_and_a_canonical_url() {
        let settings =
            Settings::parse(Kind::Servicenow, json!({"instanceUrl": "https://ACME.service-now.com/", "clientId": "c"}))
                .expect("valid")
                .normalised();
        assert_eq!(
            settings,
            Settings::Servicenow(ServiceNowSettings {
                instance_url: "https://acme.service-now.com".into(),
                client_id: "c".into(),
                refresh_token_lifetime_days: 100
            })
        );
    }
}
