//! Calls in the CRM: finding the caller's record (screen pop), the log of each finished call,
//! and the durable outbox that delivers those logs. The host back-ends (`crate::host`) carry
//! them to each CRM. Everything here is pure and tested natively, except `store`, the outbox's
//! durable copy in the browser.

pub mod call_credentials;
pub mod caller_match;
pub mod form_encoding;
pub mod outbox;
pub mod salesforce_task;
pub mod service;
pub mod servicenow;
pub mod store;
pub mod token;
pub mod utc_time;

use serde::{Deserialize, Serialize};

use crate::history::Outcome;
use crate::i18n::t_args;

/// A record in the CRM: a ServiceNow table row or a Salesforce object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRef {
    /// The ServiceNow table (`customer_contact`) or Salesforce object type (`Contact`).
    pub object: String,
    /// The `sys_id` or Salesforce Id.
    pub id: String,
    /// What the agent knows it by (a name, a case number); may be empty.
    pub name: String,
    /// The caller's number as the record writes it ("+1 (415) 555-0131"), when a search found
    /// the record by that number.
    #[serde(default)]
    pub phone: Option<String>,
}

/// Which way a call went, as the CRM records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallDirection {
    /// The customer called.
    Inbound,
    /// The agent called.
    Outbound,
}

/// One finished call as it is logged in the CRM: what the call record says, the record it
/// belongs to and what the agent entered in wrap-up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallLog {
    /// The SIP Call-ID: the log's key in the CRM, so that a retry updates rather than duplicates.
    pub call_id: String,
    /// The agent's SIP user.
    pub agent: String,
    /// Which way the call went.
    pub direction: CallDirection,
    /// The other party's number as dialled or presented.
    pub number: String,
    /// The other party's name as shown.
    pub party: String,
    /// When the call began (ms since 1970).
    pub started: u64,
    /// Seconds talked (0 when never answered).
    pub seconds: u64,
    /// How the call ended.
    pub outcome: Outcome,
    /// The disposition chosen in wrap-up.
    pub disposition: Option<String>,
    /// The agent's notes.
    pub notes: String,
    /// The record the call belongs to: the one the agent dialled from, or the caller's.
    pub record: Option<RecordRef>,
}

/// The most characters of notes a log keeps (a ServiceNow journal entry or a Task description
/// holds far more; an agent's notes are far less).
pub const MAX_NOTES_CHARS: usize = 4_000;

/// The agent's notes as they are logged: line breaks kept, tabs as spaces, control and bidi
/// control characters dropped (they would hide or reorder text in the CRM), at most
/// [`MAX_NOTES_CHARS`].
pub fn clean_notes(raw: &str) -> String {
    raw.chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .filter(|&c| {
            let bidi =
                matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
            (c == '\n' || !c.is_control()) && !bidi
        })
        .take(MAX_NOTES_CHARS)
        .collect()
}

impl CallLog {
    /// The subject line CRMs show for the log: "Inbound call from Ana Díaz (+15550100101)".
    pub fn subject(&self) -> String {
        let (way, preposition) = match self.direction {
            CallDirection::Inbound => ("Inbound", "from"),
            CallDirection::Outbound => ("Outbound", "to"),
        };
        if self.party.is_empty() || self.party == self.number {
            format!("{way} call {preposition} {}", self.number)
        } else {
            format!("{way} call {preposition} {} ({})", self.party, self.number)
        }
    }

    /// The log as the Activity list names it, in the agent's language; the CRM gets
    /// [`CallLog::subject`], in English.
    pub fn label(&self) -> String {
        let named = !(self.party.is_empty() || self.party == self.number);
        let key = match (self.direction, named) {
            (CallDirection::Inbound, false) => "crm.log.inbound",
            (CallDirection::Inbound, true) => "crm.log.inbound-named",
            (CallDirection::Outbound, false) => "crm.log.outbound",
            (CallDirection::Outbound, true) => "crm.log.outbound-named",
        };
        t_args(key, &[("party", &self.party), ("number", &self.number)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(direction: CallDirection, party: &str) -> CallLog {
        CallLog {
            call_id: "a@b".into(),
            agent: "1001".into(),
            direction,
            number: "+15550100101".into(),
            party: party.into(),
            started: 0,
            seconds: 0,
            outcome: Outcome::Answered,
            disposition: None,
            notes: String::new(),
            record: None,
        }
    }

    #[test]
    fn notes_keep_lines_and_lose_controls() {
        assert_eq!(clean_notes("Refund\r\n\tsent\u{202E}gnp.exe\u{0}"), "Refund\n sentgnp.exe");
        assert_eq!(clean_notes(&"x".repeat(MAX_NOTES_CHARS + 5)).len(), MAX_NOTES_CHARS);
    }

    #[test]
    fn the_subject_names_the_party_and_the_number_once() {
        assert_eq!(log(CallDirection::Inbound, "Ana Díaz").subject(), "Inbound call from Ana Díaz (+15550100101)");
        assert_eq!(log(CallDirection::Outbound, "+15550100101").subject(), "Outbound call to +15550100101");
        assert_eq!(log(CallDirection::Outbound, "").subject(), "Outbound call to +15550100101");
    }

    #[test]
    fn the_label_reads_as_the_subject_in_english() {
        for (direction, party) in [(CallDirection::Inbound, "Ana Díaz"), (CallDirection::Outbound, "")] {
            assert_eq!(log(direction, party).label(), log(direction, party).subject());
        }
    }
}
