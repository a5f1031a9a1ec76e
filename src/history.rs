//! The agent's recent calls: what each list entry says, kept in `localStorage` per SIP user so
//! that it survives reloads (the pop-out tab, Salesforce Classic's page navigation).

use serde::{Deserialize, Serialize};

use crate::browser::local_storage as storage;
use crate::i18n::{t, t_args};

/// How many calls the list keeps.
pub const KEPT: usize = 100;

/// How a call ended, as the history and a CRM activity say it. Stored as its words, which
/// earlier versions stored as free text under `result`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Talked.
    Answered,
    /// Rang here, the caller gave up (or it timed out).
    Missed,
    /// Turned away here, or by the other side.
    Declined,
    /// Ours, hung up before the other side answered.
    Cancelled,
    /// The other side was busy.
    Busy,
    /// Ours, nobody answered.
    #[serde(rename = "No answer")]
    NoAnswer,
    /// Answered on another device of the agent.
    #[serde(rename = "Answered elsewhere")]
    AnsweredElsewhere,
    /// Sent on to someone else.
    Transferred,
    /// Turned away because the agent was not Ready.
    #[serde(rename = "Not Ready")]
    NotReady,
    /// Cut off because the page holding the phone went away: the host reloaded or navigated,
    /// or the window closed.
    #[serde(rename = "Page reloaded or closed")]
    PageClosed,
    /// Anything else.
    #[serde(other)]
    Failed,
}

impl Outcome {
    /// The outcome in the history's words.
    pub fn words(self) -> &'static str {
        match self {
            Outcome::Answered => "Answered",
            Outcome::Missed => "Missed",
            Outcome::Declined => "Declined",
            Outcome::Cancelled => "Cancelled",
            Outcome::Busy => "Busy",
            Outcome::NoAnswer => "No answer",
            Outcome::AnsweredElsewhere => "Answered elsewhere",
            Outcome::Transferred => "Transferred",
            Outcome::NotReady => "Not Ready",
            Outcome::PageClosed => "Page reloaded or closed",
            Outcome::Failed => "Failed",
        }
    }

    /// The outcome in the agent's words, as the History tab shows it ([`Outcome::words`] stays
    /// what a CRM is sent).
    pub fn label(self) -> String {
        t(match self {
            Outcome::Answered => "panel.outcome.answered",
            Outcome::Missed => "panel.outcome.missed",
            Outcome::Declined => "panel.outcome.declined",
            Outcome::Cancelled => "panel.outcome.cancelled",
            Outcome::Busy => "panel.outcome.busy",
            Outcome::NoAnswer => "panel.outcome.no-answer",
            Outcome::AnsweredElsewhere => "panel.outcome.answered-elsewhere",
            Outcome::Transferred => "panel.outcome.transferred",
            Outcome::NotReady => "panel.outcome.not-ready",
            Outcome::PageClosed => "panel.outcome.page-closed",
            Outcome::Failed => "panel.outcome.failed",
        })
    }
}

/// One finished call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    /// The SIP Call-ID: the same at both ends and in the servers' logs (empty in lists stored
    /// by earlier versions).
    #[serde(default)]
    pub id: String,
    /// Whether the other side called.
    pub incoming: bool,
    /// Who, as shown during the call.
    pub party: String,
    /// What to dial to call back.
    pub number: String,
    /// When it started, in milliseconds since 1970.
    pub started: u64,
    /// Seconds talked (0 when never answered).
    pub seconds: u64,
    /// How it ended.
    #[serde(alias = "result")]
    pub outcome: Outcome,
    /// The call's worst estimated MOS, in hundredths (441 = 4.41) so records compare exactly;
    /// none when never measured (unanswered, or stored by earlier versions).
    #[serde(default)]
    pub worst_mos: Option<u16>,
    /// The call's average estimated MOS, in hundredths.
    #[serde(default)]
    pub average_mos: Option<u16>,
    /// The name of the CRM record the call was logged against, when there was one.
    #[serde(default)]
    pub record_name: Option<String>,
    /// The number as that record writes it ("+1 (415) 555-0131"), when the CRM's search found
    /// the record by it.
    #[serde(default)]
    pub number_as_written: Option<String>,
}

impl CallRecord {
    /// Who, as the list shows them: the CRM's way of writing the number when the party is the
    /// bare number the call came from, else the party as the call showed it.
    pub fn party_shown(&self) -> &str {
        match &self.number_as_written {
            Some(written) if self.party == self.number => written,
            _ => &self.party,
        }
    }

    /// The entry as one line of text: direction, party, time, duration and result.
    pub fn summary(&self, time: &str) -> String {
        let (before, after) = self.summary_around_party(time);
        format!("{before}{}{after}", self.party)
    }

    /// The entry's own words, in the agent's language, before and after the party, so that the
    /// page can isolate the party (`<bdi>`) between them.
    pub fn summary_around_party(&self, time: &str) -> (String, String) {
        let direction = if self.incoming { t("panel.history.incoming") } else { t("panel.history.outgoing") };
        let when = if self.seconds > 0 {
            let duration = format!("{}:{:02}", self.seconds / 60, self.seconds % 60);
            t_args("panel.history.time-and-duration", &[("time", time), ("duration", &duration)])
        } else {
            time.to_owned()
        };
        (format!("{direction} · "), format!(" · {when} · {}", self.outcome.label()))
    }
}

/// Adds `record` at the top and drops the oldest beyond [`KEPT`].
pub fn add(records: &mut Vec<CallRecord>, record: CallRecord) {
    records.insert(0, record);
    records.truncate(KEPT);
}

/// Reads a stored list; anything unreadable (another version, a hand edit) reads as empty.
pub fn parse(text: &str) -> Vec<CallRecord> {
    serde_json::from_str(text).unwrap_or_default()
}

/// The stored form of a list.
pub fn to_text(records: &[CallRecord]) -> String {
    serde_json::to_string(records).unwrap_or_else(|_| "[]".into())
}

/// The storage key of `user`'s list.
pub fn storage_key(user: &str) -> String {
    format!("framephone.history.{user}")
}

/// `user`'s stored list (the browser's `localStorage`).
pub fn load(user: &str) -> Vec<CallRecord> {
    storage().and_then(|s| s.get_item(&storage_key(user)).ok().flatten()).map(|text| parse(&text)).unwrap_or_default()
}

/// Stores `user`'s list.
pub fn save(user: &str, records: &[CallRecord]) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(&storage_key(user), &to_text(records));
    }
}

/// Removes `user`'s stored list and when they last looked at it (Sign out).
pub fn forget(user: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(&storage_key(user));
        let _ = storage.remove_item(&seen_key(user));
    }
}

/// The storage key of when `user` last looked at the list.
fn seen_key(user: &str) -> String {
    format!("framephone.history-seen.{user}")
}

/// When `user` last looked at the list (milliseconds since 1970), as kept: whole
/// milliseconds, read without `str::parse::<f64>` (whose tables cost 11 KB of wasm).
pub fn load_seen(user: &str) -> Option<f64> {
    let text = storage()?.get_item(&seen_key(user)).ok()??;
    text.parse::<u64>().ok().map(|at| at as f64)
}

/// Keeps when `user` last looked at the list, so that missed calls are counted across reloads.
pub fn save_seen(user: &str, at: f64) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(&seen_key(user), &(at.max(0.0) as u64).to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(number: &str) -> CallRecord {
        CallRecord {
            id: format!("call-{number}"),
            incoming: true,
            party: format!("Ana ({number})"),
            number: number.into(),
            started: 1_795_000_000_000,
            seconds: 125,
            outcome: Outcome::Answered,
            worst_mos: Some(388),
            average_mos: Some(430),
            record_name: None,
            number_as_written: None,
        }
    }

    #[test]
    fn newest_first_and_at_most_a_hundred() {
        let mut records = Vec::new();
        for n in 0..105 {
            add(&mut records, record(&n.to_string()));
        }
        assert_eq!(records.len(), KEPT);
        assert_eq!(records[0].number, "104");
        assert_eq!(records[99].number, "5");
    }

    #[test]
    fn stored_lists_round_trip_and_junk_reads_as_empty() {
        let records =
            vec![record("1002"), CallRecord { incoming: false, seconds: 0, outcome: Outcome::Busy, ..record("1003") }];
        assert_eq!(parse(&to_text(&records)), records);
        assert!(parse("{not json").is_empty());
        assert!(parse(r#"[{"incoming": "yes"}]"#).is_empty());
    }

    #[test]
    fn the_crm_s_way_of_writing_the_number_shows_for_a_bare_number() {
        let bare = CallRecord { party: "4155550131".into(), number: "4155550131".into(), ..record("x") };
        let written = CallRecord { number_as_written: Some("+1 (415) 555-0131".into()), ..bare.clone() };
        assert_eq!(bare.party_shown(), "4155550131");
        assert_eq!(written.party_shown(), "+1 (415) 555-0131");
        let named = CallRecord { party: "Lena (4155550131)".into(), ..written };
        assert_eq!(named.party_shown(), "Lena (4155550131)", "a name the call showed stays");
    }

    #[test]
    fn an_entry_reads_as_one_line() {
        assert_eq!(record("1002").summary("10:42"), "Incoming · Ana (1002) · 10:42, 2:05 · Answered");
        let missed = CallRecord { seconds: 0, outcome: Outcome::Missed, ..record("1002") };
        assert_eq!(missed.summary("10:42"), "Incoming · Ana (1002) · 10:42 · Missed");
    }

    #[test]
    fn an_entry_reads_in_the_agents_language_and_a_crm_is_sent_english() {
        use crate::i18n::{Language, set_language};
        set_language(Language::Japanese);
        let summary = record("1002").summary("10:42");
        set_language(Language::English);
        assert_eq!(summary, "着信 · Ana (1002) · 10:42、2:05 · 応答");
        assert_eq!(Outcome::Answered.words(), "Answered");
    }

    #[test]
    fn lists_stored_by_earlier_versions_still_read() {
        let old = r#"[{"incoming":true,"party":"Ana (1002)","number":"1002","started":1,"seconds":0,"result":"No answer"},
                      {"incoming":false,"party":"1003","number":"1003","started":2,"seconds":0,"result":"Odd"}]"#;
        let records = parse(old);
        assert_eq!(records.iter().map(|r| r.outcome).collect::<Vec<_>>(), [Outcome::NoAnswer, Outcome::Failed]);
        assert_eq!(records[0].id, "");
        assert_eq!((records[0].worst_mos, records[0].average_mos), (None, None));
    }
}
