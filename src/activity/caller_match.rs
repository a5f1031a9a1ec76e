//! Finding the caller's record in the CRM (issue 11's screen pop): the ServiceNow Table API
//! query for a caller's number, and which of the records it returns really carry that number.
//!
//! CRMs store numbers as people type them (`(555) 010-0199`, `+44 20 7946 0000`,
//! `020 7946 0000`), so an exact search misses most of them. The query asks for records whose
//! number fields contain the caller's last four digits (the one run of digits that formatting
//! never splits), and [`same_number`] then keeps the records whose number is the caller's.

/// Digits the query looks for: the end of the number, which formatting keeps together.
const QUERY_DIGITS: usize = 4;
/// Digits that two numbers must share at the end when one carries a country code or trunk
/// prefix that the other lacks: a whole national number (shorter ones are extensions, which
/// match only exactly).
const NATIONAL_DIGITS: usize = 9;
/// Longest field name accepted, as ServiceNow's column names go.
const MAX_FIELD_CHARS: usize = 80;

/// The digits of a number, without the zeros of a trunk prefix (`020…` → `20…`).
fn significant_digits(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').to_owned()
}

/// Whether `a` and `b` are the same phone number as people write it: the same digits, or one
/// a whole national number (at least nine digits) that ends the other, which adds a country
/// code or a trunk prefix. Short numbers (extensions) match only exactly.
pub fn same_number(a: &str, b: &str) -> bool {
    let (a, b) = (significant_digits(a), significant_digits(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    short == long || (short.len() >= NATIONAL_DIGITS && long.ends_with(short.as_str()))
}

/// Whether `name` can be a column of a ServiceNow table: letters, digits and underscores,
/// starting with a letter. Anything else could change the meaning of an encoded query.
pub fn is_field_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= MAX_FIELD_CHARS
}

/// The `sysparm_query` (an encoded query) that finds the records whose `fields` contain the end
/// of `number`; none when the number has no digit or no field is a valid name. Only digits
/// from the number and checked field names go into it, so a caller's number cannot add a
/// condition (`^`, `^OR`, `^NQ`).
pub fn servicenow_query(number: &str, fields: &[String]) -> Option<String> {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let tail = &digits[digits.len().saturating_sub(QUERY_DIGITS)..];
    if tail.is_empty() {
        return None;
    }
    let conditions: Vec<String> =
        fields.iter().filter(|f| is_field_name(f)).map(|field| format!("{field}LIKE{tail}")).collect();
    (!conditions.is_empty()).then(|| conditions.join("^OR"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_whatever_their_formatting() {
        assert!(same_number("+15550100199", "(555) 010-0199"));
        assert!(same_number("+1 555 010 0199", "555.010.0199"));
        assert!(same_number("5550100199", "+1-555-010-0199"));
        assert!(same_number("+44 20 7946 0000", "020 7946 0000"), "trunk prefix against country code");
        assert!(same_number("0044 20 7946 0000", "+442079460000"));
    }

    #[test]
    fn different_numbers_and_short_tails_do_not_match() {
        assert!(!same_number("+15550100199", "+15550100198"));
        assert!(!same_number("+15550100199", "010-0199"), "seven digits are not a whole number");
        assert!(!same_number("1002", "21002"), "extensions match only exactly");
        assert!(same_number("1002", "1002"));
        assert!(!same_number("", "1002"));
        assert!(!same_number("anonymous", "anonymous"), "no digits is no number");
    }

    #[test]
    fn the_query_asks_each_field_for_the_last_four_digits() {
        let fields = vec!["phone".to_owned(), "mobile_phone".to_owned()];
        assert_eq!(
            servicenow_query("+1 (555) 010-0199", &fields).as_deref(),
            Some("phoneLIKE0199^ORmobile_phoneLIKE0199")
        );
        assert_eq!(servicenow_query("12", &fields).as_deref(), Some("phoneLIKE12^ORmobile_phoneLIKE12"));
        assert_eq!(servicenow_query("anonymous", &fields), None);
    }

    #[test]
    fn nothing_from_the_number_or_a_bad_field_reaches_the_query() {
        let fields = vec!["phone".to_owned(), "phone^ORactive=true".to_owned(), "".to_owned(), "1phone".to_owned()];
        assert_eq!(servicenow_query("0199^NQactive=true", &fields).as_deref(), Some("phoneLIKE0199"));
        assert_eq!(servicenow_query("0199", &["sys_id^OR".to_owned()]), None);
        assert!(is_field_name("u_direct_line_2"));
        assert!(!is_field_name(&"a".repeat(MAX_FIELD_CHARS + 1)));
    }
}
