//! The `service` section: the integration service that holds the CRM credentials, hands the
//! phone short-lived CRM tokens and takes its call logs, and (`callCredentials`) signs agents in
//! and mints their short-lived SIP and TURN credentials.

use serde_json::Value;

use super::reader::{ObjectReader, Problems};
use crate::i18n::t_args;
use crate::origin::Origin;

/// Where the integration service is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceSettings {
    /// The service's origin (`https://framephone.example.com`); its API lies under `/api`.
    pub url: Origin,
    /// Agents sign in at the service (its password or single sign-on) and the phone registers
    /// with the SIP credentials it mints, never a typed SIP password; TURN credentials come with
    /// them.
    pub call_credentials: bool,
}

pub(super) fn read_service(value: &Value, problems: &mut Problems) -> Option<ServiceSettings> {
    let mut section = ObjectReader::new("service", value, problems)?;
    let url_path = section.path_of("url");
    let url = section.required("url", problems).and_then(|v| super::reader::as_str(&url_path, v, problems));
    let call_credentials = section.boolean("callCredentials", false, problems);
    section.finish(problems);
    match Origin::parse(url?) {
        Ok(url) => Some(ServiceSettings { url, call_credentials }),
        Err(why) => {
            let shown: String = url?.chars().take(80).collect();
            let reason = super::origin_reason(&why);
            problems.push(&url_path, t_args("config.value-problem", &[("value", &shown), ("reason", &reason)]));
            None
        }
    }
}
