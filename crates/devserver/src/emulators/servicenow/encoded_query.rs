//! The part of ServiceNow's encoded queries (`sysparm_query`) the emulator understands:
//! conditions `fieldLIKEvalue`, `field=value` and `field!=value`, joined by `^` (and) and `^OR`
//! (or). As on an instance, `^OR` binds tighter than `^`: `a=1^b=2^ORc=3` is a = 1 and (b = 2
//! or c = 3). Comparisons ignore case, as the instance's database does. Anything else
//! (`^NQ`, `ORDERBY`, other operators) is refused by name rather than silently misread.

/// Why a query was not understood.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum QueryError {
    /// A condition with an operator the emulator does not implement.
    #[error("the emulator understands LIKE, = and != conditions joined by ^ and ^OR; not {0:?}")]
    Unsupported(String),
}

/// A parsed encoded query: every group must hold, and a group holds when any of its conditions
/// does.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct EncodedQuery {
    groups: Vec<Vec<Condition>>,
}

#[derive(Debug, PartialEq, Eq)]
struct Condition {
    field: String,
    operator: Operator,
    value: String,
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Operator {
    Like,
    Equals,
    NotEquals,
}

impl EncodedQuery {
    /// Parses `query`; an empty query matches every row.
    pub(crate) fn parse(query: &str) -> Result<Self, QueryError> {
        let mut groups: Vec<Vec<Condition>> = Vec::new();
        for part in query.split('^').filter(|p| !p.is_empty()) {
            match part.strip_prefix("OR") {
                Some(condition) if !groups.is_empty() && !part.starts_with("ORDERBY") => {
                    let condition = Condition::parse(condition)?;
                    if let Some(group) = groups.last_mut() {
                        group.push(condition);
                    }
                }
                _ => groups.push(vec![Condition::parse(part)?]),
            }
        }
        Ok(EncodedQuery { groups })
    }

    /// Whether the row whose field values `value_of` gives matches (a field the row lacks reads
    /// as empty).
    pub(crate) fn matches<'a>(&self, value_of: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.groups.iter().all(|group| group.iter().any(|c| c.holds(value_of(&c.field).unwrap_or(""))))
    }
}

impl Condition {
    fn parse(text: &str) -> Result<Self, QueryError> {
        let field_end = text
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'))
            .unwrap_or(text.len());
        let (field, rest) = text.split_at(field_end);
        let unsupported = || QueryError::Unsupported(text.to_owned());
        if field.is_empty() {
            return Err(unsupported());
        }
        let (operator, value) = if let Some(value) = rest.strip_prefix("LIKE") {
            (Operator::Like, value)
        } else if let Some(value) = rest.strip_prefix("!=") {
            (Operator::NotEquals, value)
        } else if let Some(value) = rest.strip_prefix('=') {
            (Operator::Equals, value)
        } else {
            return Err(unsupported());
        };
        Ok(Condition { field: field.to_owned(), operator, value: value.to_owned() })
    }

    fn holds(&self, actual: &str) -> bool {
        let (actual, wanted) = (actual.to_lowercase(), self.value.to_lowercase());
        match self.operator {
            Operator::Like => actual.contains(&wanted),
            Operator::Equals => actual == wanted,
            Operator::NotEquals => actual != wanted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(fields: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |name| fields.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    #[test]
    fn like_finds_the_digits_in_a_formatted_number() {
        let query = EncodedQuery::parse("phoneLIKE0101^ORmobile_phoneLIKE0101").unwrap();
        assert!(query.matches(row(&[("phone", "+1 (555) 010-0101")])));
        assert!(query.matches(row(&[("phone", ""), ("mobile_phone", "5550100101")])));
        assert!(!query.matches(row(&[("phone", "+1 555 010 0177")])));
        assert!(!query.matches(row(&[])), "a field the row lacks is empty");
    }

    #[test]
    fn or_binds_tighter_than_and() {
        let query = EncodedQuery::parse("active=true^phone=1^ORphone=2").unwrap();
        assert!(query.matches(row(&[("active", "true"), ("phone", "2")])));
        assert!(!query.matches(row(&[("active", "false"), ("phone", "2")])));
        assert!(!query.matches(row(&[("active", "true"), ("phone", "3")])));
    }

    #[test]
    fn equals_takes_every_character_after_it_and_ignores_case() {
        let query = EncodedQuery::parse("call_id=a84b4c76e66710@pc33.Example-1.com").unwrap();
        assert!(query.matches(row(&[("call_id", "A84B4C76E66710@PC33.example-1.com")])));
        assert!(!query.matches(row(&[("call_id", "a84b4c76e66710@pc33.example-1.co")])));
        assert!(EncodedQuery::parse("disposition!=").unwrap().matches(row(&[("disposition", "Resolved")])));
    }

    #[test]
    fn an_empty_query_matches_everything() {
        assert!(EncodedQuery::parse("").unwrap().matches(row(&[])));
    }

    #[test]
    fn what_the_emulator_does_not_implement_is_refused_by_name() {
        for query in ["phoneSTARTSWITH555", "a=1^NQb=2", "a=1^ORDERBYname", "=1", "Phone=1"] {
            assert!(matches!(EncodedQuery::parse(query), Err(QueryError::Unsupported(_))), "{query}");
        }
    }
}
