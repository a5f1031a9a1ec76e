//! The `service` section: the integration service that holds the CRM credentials, hands the
//! phone short-lived CRM tokens and takes its call logs.

use serde_json::Value;

use super::reader::{ObjectReader, Problems};
use crate::origin::Origin;

/// Where the integration service is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceSettings {
    /// The service's origin (`https://framephone.example.com`); its API lies under `/api`.
    pub url: Origin,
}

pub(super) fn read_service(value: &Value, problems: &mut Problems) -> Option<ServiceSettings> {
    let mut section = ObjectReader::new("service", value, problems)?;
    let url_path = section.path_of("url");
    let url = section.required("url", problems).and_then(|v| super::reader::as_str(&url_path, v, problems));
    section.finish(problems);
    match Origin::parse(url?) {
        Ok(url) => Some(ServiceSettings { url }),
        Err(why) => {
            problems.push(&url_path, format!("\"{}\" {why}", url?.chars().take(80).collect::<String>()));
            None
        }
    }
}
