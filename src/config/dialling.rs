//! The `dialling` section: the rules of [`DialPlan`].

use serde_json::Value;

use super::reader::{ObjectReader, Problems};
use crate::dial_plan::{CountryDialling, DEFAULT_EXTENSION_DIGITS, DialPlan};

/// Longest prefix accepted (outside line, national, international, country code).
const MAX_PREFIX_DIGITS: usize = 4;

pub(super) fn read_dialling(value: &Value, problems: &mut Problems) -> Option<DialPlan> {
    let mut section = ObjectReader::new("dialling", value, problems)?;
    let mut digits = |key: &'static str, what: &str, problems: &mut Problems| -> Option<Option<String>> {
        let path = section.path_of(key);
        let Some(text) = section.string(key, problems) else { return Some(None) };
        let fits = text.len() <= MAX_PREFIX_DIGITS && text.bytes().all(|b| b.is_ascii_digit());
        if !fits {
            problems.push(&path, format!("\"{text}\" must be {what} of at most {MAX_PREFIX_DIGITS} digits"));
        }
        fits.then(|| Some(text.to_owned()))
    };
    let outside_line = digits("outsideLinePrefix", "the digits dialled for an outside line", problems);
    let country_code = digits("countryCode", "a country code without +", problems);
    let national_prefix = digits("nationalPrefix", "the trunk prefix of national numbers", problems);
    let international_prefix = digits("internationalPrefix", "the prefix of international calls", problems);
    let extension_digits =
        section.integer("extensionDigits", 1..=10, problems).map_or(DEFAULT_EXTENSION_DIGITS, |n| n as usize);
    let country_path = section.path_of("countryCode");
    section.finish(problems);
    let country = match (country_code?, national_prefix?) {
        (Some(code), _) if code.is_empty() || code.starts_with('0') => {
            problems.push(&country_path, format!("\"{code}\" is not a country code such as 1 or 44"));
            return None;
        }
        (Some(code), Some(national_prefix)) => Some(CountryDialling { code, national_prefix }),
        (Some(_), None) => {
            problems.push(
                "dialling.nationalPrefix",
                "is needed with countryCode: the digits dialled before a national number (\"0\" in most countries, \"1\" in North America, \"\" for none)",
            );
            return None;
        }
        (None, Some(_)) => {
            problems.push("dialling.countryCode", "is needed with nationalPrefix");
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
