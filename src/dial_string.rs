//! What may be dialled: the characters a keypad can send, cleaned of the formatting people and
//! CRMs put in phone numbers.

use thiserror::Error;

use crate::i18n::{t, t_args};

/// Longest dial string accepted (E.164 allows 15 digits; extensions and prefixes add some).
pub const MAX_DIAL_CHARS: usize = 32;

/// Why a text cannot be dialled.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DialStringError {
    /// No digit at all.
    Empty,
    /// A character no keypad has.
    Invalid(char),
    /// Longer than [`MAX_DIAL_CHARS`].
    TooLong,
}

impl std::fmt::Display for DialStringError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            DialStringError::Empty => t("session.dial.empty"),
            DialStringError::Invalid(c) => t_args("session.dial.invalid", &[("key", &c.to_string())]),
            DialStringError::TooLong => t_args("session.dial.too-long", &[("max", &MAX_DIAL_CHARS.to_string())]),
        };
        f.write_str(&text)
    }
}

/// Whether `c` is a key of the dial pad.
pub fn is_dial_key(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '*' | '#' | '+')
}

/// Turns a number as written in a CRM (`+1 (555) 010-0199`, `555.010.0199`, `1-800-FLOWERS`)
/// into the keys to dial (`+15550100199`, `5550100199`, `18003569377`).
pub fn normalise(raw: &str) -> Result<String, DialStringError> {
    let raw = raw.trim();
    // "+44 (0)20 7946 0958": the bracketed trunk zero is for callers inside the country only.
    let raw = match raw.strip_prefix('+').map(|rest| rest.split_once("(0)")) {
        Some(Some((code, rest))) if code.trim().bytes().all(|b| b.is_ascii_digit()) => format!("+{code}{rest}"),
        _ => raw.to_owned(),
    };
    let mut keys = String::new();
    for c in raw.chars() {
        match c {
            ' ' | '\u{a0}' | '-' | '.' | '(' | ')' | '/' | '\u{2010}'..='\u{2015}' => {}
            '+' if keys.is_empty() => keys.push('+'),
            c if c.is_ascii_digit() || c == '*' || c == '#' => keys.push(c),
            c if c.is_ascii_alphabetic() => keys.push(vanity_digit(c)),
            c => return Err(DialStringError::Invalid(c)),
        }
    }
    if !keys.bytes().any(|b| b.is_ascii_digit()) {
        return Err(DialStringError::Empty);
    }
    if keys.chars().count() > MAX_DIAL_CHARS {
        return Err(DialStringError::TooLong);
    }
    Ok(keys)
}

/// The keypad digit that carries a letter (ITU E.161).
fn vanity_digit(letter: char) -> char {
    match letter.to_ascii_uppercase() {
        'A'..='C' => '2',
        'D'..='F' => '3',
        'G'..='I' => '4',
        'J'..='L' => '5',
        'M'..='O' => '6',
        'P'..='S' => '7',
        'T'..='V' => '8',
        _ => '9',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_formatting() {
        assert_eq!(normalise("+1 (555) 010-0199").unwrap(), "+15550100199");
        assert_eq!(normalise(" 555.010.0199 ").unwrap(), "5550100199");
        assert_eq!(normalise("0049 30 1234\u{a0}5678").unwrap(), "00493012345678");
        assert_eq!(normalise("*72#").unwrap(), "*72#");
    }

    #[test]
    fn drops_the_bracketed_trunk_zero_after_a_country_code() {
        assert_eq!(normalise("+44 (0)20 7946 0958").unwrap(), "+442079460958");
        assert_eq!(normalise("+49(0)30-1234").unwrap(), "+49301234");
        assert_eq!(normalise("020 (0) 7946").unwrap(), "02007946", "only after a country code");
    }

    #[test]
    fn maps_vanity_letters() {
        assert_eq!(normalise("1-800-FLOWERS").unwrap(), "18003569377");
        assert_eq!(normalise("1-800-flowers").unwrap(), "18003569377");
    }

    #[test]
    fn refuses_junk() {
        assert_eq!(normalise(""), Err(DialStringError::Empty));
        assert_eq!(normalise("()-"), Err(DialStringError::Empty));
        assert_eq!(normalise("555<script>"), Err(DialStringError::Invalid('<')));
        assert_eq!(normalise("55+5"), Err(DialStringError::Invalid('+')));
        assert_eq!(normalise(&"1".repeat(33)), Err(DialStringError::TooLong));
        assert_eq!(normalise("١٢٣"), Err(DialStringError::Invalid('١')));
    }

    #[test]
    fn dial_keys() {
        assert!("0123456789*#+".chars().all(is_dial_key));
        assert!(!is_dial_key('a'));
    }
}
