//! The `dialling` section: the rules of [`DialPlan`].

use serde_json::Value;

use super::reader::{ObjectReader, Problems};
use crate::dial_plan::{CountryDialling, DEFAULT_EXTENSION_DIGITS, DialPlan};
use crate::i18n::{t, t_args};

/// Longest prefix accepted (outside line, national, international, country code).
const MAX_PREFIX_DIGITS: usize = 4;

pub(super) fn read_dialling(value: &Value, problems: &mut Problems) -> Option<DialPlan> {
    let mut section = ObjectReader::new("dialling", value, problems)?;
    let mut digits = |key: &'static str, what: &str, problems: &mut Problems| -> Option<Option<String>> {
        let path = section.path_of(key);
        let Some(text) = section.string(key, problems) else { return Some(None) };
        let fits = text.len() <= MAX_PREFIX_DIGITS && text.bytes().all(|b| b.is_ascii_digit());
        if !fits {
            let max = MAX_PREFIX_DIGITS.to_string();
            problems.push(&path, t_args("config.dialling.digits", &[("value", text), ("what", what), ("max", &max)]));
        }
        fits.then(|| Some(text.to_owned()))
    };
    let outside_line = digits("outsideLinePrefix", &t("config.dialling.outside-line"), problems);
    let country_code = digits("countryCode", &t("config.dialling.country-code"), problems);
    let national_prefix = digits("nationalPrefix", &t("config.dialling.national-prefix"), problems);
    let international_prefix = digits("internationalPrefix", &t("config.dialling.international-prefix"), problems);
    let extension_digits =
        section.integer("extensionDigits", 1..=10, problems).map_or(DEFAULT_EXTENSION_DIGITS, |n| n as usize);
    let country_path = section.path_of("countryCode");
    section.finish(problems);
    let country = match (country_code?, national_prefix?) {
        (Some(code), _) if code.is_empty() || code.starts_with('0') => {
            problems.push(&country_path, t_args("config.dialling.country-code-invalid", &[("value", &code)]));
            return None;
        }
        (Some(code), Some(national_prefix)) => Some(CountryDialling { code, national_prefix }),
        (Some(_), None) => {
            let needed = t_args("config.dialling.national-prefix-needed", &[("country", "countryCode")]);
            problems.push("dialling.nationalPrefix", needed);
            return None;
        }
        (None, Some(_)) => {
            let needed = t_args("config.dialling.country-code-needed", &[("national", "nationalPrefix")]);
            problems.push("dialling.countryCode", needed);
            return None;
        }
        (None, None) => None,
    };
    Some(DialPlan {
        outside_line_prefix: outside_line?.unwrap_or_default(),
        extension_digits,
        country_code: country,
        international_prefix: international_prefix?.filter(|p| !p.is_empty()),
    })
}
