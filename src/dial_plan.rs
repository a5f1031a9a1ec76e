//! The administrator's dialling rules: what the SIP server is sent for a number the agent dials.
//!
//! Agents dial numbers as CRMs hold them (`+1 555 010 0199`, `555-010-0199`, `1042`); many
//! telephone systems want an outside-line prefix before external numbers and national or
//! international prefixes instead of `+`. The rules are applied when the call is placed, never
//! to what the agent sees or to the history, so that calling back a number dials it afresh.

use crate::dial_string::{DialStringError, normalise};

/// Dialling rules from the configuration's `dialling` section. The default changes nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DialPlan {
    /// Dialled before every external number (`9`, `0`); empty for none.
    pub outside_line_prefix: String,
    /// Numbers of at most this many digits, without `+`, are extensions and dialled as they are.
    pub extension_digits: usize,
    /// The agents' own country code (`1`, `44`): `+1…` numbers are dialled as national numbers.
    pub country_code: Option<CountryDialling>,
    /// Dialled instead of `+` before numbers of other countries (`00`, `011`); without it they
    /// are sent in E.164 form (`+44…`) for the server to route.
    pub international_prefix: Option<String>,
}

/// How numbers of the agents' own country are dialled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountryDialling {
    /// The country code, without `+`.
    pub code: String,
    /// The trunk prefix dialled before a national number (`0` in most countries, `1` in North
    /// America, empty in a few).
    pub national_prefix: String,
}

/// Extensions are at most this long unless configured otherwise.
pub const DEFAULT_EXTENSION_DIGITS: usize = 6;

impl DialPlan {
    /// A plan that only cleans numbers: extensions up to [`DEFAULT_EXTENSION_DIGITS`] digits, no
    /// prefixes.
    pub fn new() -> DialPlan {
        DialPlan { extension_digits: DEFAULT_EXTENSION_DIGITS, ..DialPlan::default() }
    }

    /// What to send for `raw`: a `sip:` address as it is, anything else cleaned
    /// ([`normalise`]) and rewritten by the rules.
    pub fn target(&self, raw: &str) -> Result<String, DialStringError> {
        let raw = raw.trim();
        if raw.starts_with("sip:") {
            return Ok(raw.to_owned());
        }
        Ok(self.apply(&normalise(raw)?))
    }

    /// Rewrites cleaned keys (the output of [`normalise`]).
    pub fn apply(&self, keys: &str) -> String {
        // Feature codes (*72, #31#) and extensions reach the telephone system as they are.
        if keys.contains(['*', '#']) {
            return keys.to_owned();
        }
        let external = match keys.strip_prefix('+') {
            Some(e164) => match (&self.country_code, &self.international_prefix) {
                (Some(home), _) if e164.starts_with(&home.code) => {
                    format!("{}{}", home.national_prefix, &e164[home.code.len()..])
                }
                (_, Some(international)) => format!("{international}{e164}"),
                // The server routes E.164 itself; an outside-line prefix would only break it.
                _ => return keys.to_owned(),
            },
            None if keys.len() <= self.extension_digits => return keys.to_owned(),
            None => keys.to_owned(),
        };
        format!("{}{external}", self.outside_line_prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn north_america() -> DialPlan {
        DialPlan {
            outside_line_prefix: "9".into(),
            extension_digits: 4,
            country_code: Some(CountryDialling { code: "1".into(), national_prefix: "1".into() }),
            international_prefix: Some("011".into()),
        }
    }

    #[test]
    fn the_default_plan_only_cleans_numbers() {
        let plan = DialPlan::new();
        assert_eq!(plan.target("+1 (555) 010-0199").unwrap(), "+15550100199");
        assert_eq!(plan.target("555-010-0199").unwrap(), "5550100199");
        assert_eq!(plan.target("1042").unwrap(), "1042");
        assert_eq!(plan.target(" sip:queue@pbx.example.com ").unwrap(), "sip:queue@pbx.example.com");
    }

    #[test]
    fn external_numbers_get_the_outside_line_and_national_or_international_prefixes() {
        let plan = north_america();
        assert_eq!(plan.target("+1 (555) 010-0199").unwrap(), "915550100199", "own country: national");
        assert_eq!(plan.target("+44 20 7946 0958").unwrap(), "9011442079460958", "other country");
        assert_eq!(plan.target("(555) 010-0199").unwrap(), "95550100199", "already national");
        assert_eq!(plan.target("1-800-FLOWERS").unwrap(), "918003569377");
    }

    #[test]
    fn extensions_feature_codes_and_sip_addresses_are_left_alone() {
        let plan = north_america();
        assert_eq!(plan.target("1042").unwrap(), "1042");
        assert_eq!(plan.target("911").unwrap(), "911", "short numbers are never prefixed");
        assert_eq!(plan.target("*72 555 0100").unwrap(), "*725550100");
        assert_eq!(plan.target("sip:1042@pbx.example.com").unwrap(), "sip:1042@pbx.example.com");
    }

    #[test]
    fn a_country_with_a_trunk_zero_and_no_international_prefix() {
        let plan = DialPlan {
            outside_line_prefix: "0".into(),
            extension_digits: 3,
            country_code: Some(CountryDialling { code: "49".into(), national_prefix: "0".into() }),
            international_prefix: None,
        };
        assert_eq!(plan.target("+49 30 1234 5678").unwrap(), "003012345678");
        assert_eq!(plan.target("+33 1 23 45 67 89").unwrap(), "+33123456789", "E.164 for the server to route");
        assert_eq!(plan.target("4711").unwrap(), "04711", "longer than an extension");
    }

    #[test]
    fn what_cannot_be_dialled_is_refused() {
        assert_eq!(north_america().target(""), Err(DialStringError::Empty));
        assert_eq!(north_america().target("12;34"), Err(DialStringError::Invalid(';')));
    }
}
