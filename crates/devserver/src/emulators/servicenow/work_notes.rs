//! The instance's "Update Task Work Notes" business rule: a phone-log row inserted with a linked
//! record (`document_table`, `document_id`) adds one work-notes entry to that record's activity
//! stream. Updates of the row add nothing.

use serde_json::{Map, Value};

use super::glide_time;
use super::instance::{ActivityEntry, SIGNED_IN_USER, State};

/// Runs the rule for a freshly inserted phone-log `row`.
pub(crate) fn after_insert(state: &mut State, row: &Map<String, Value>) {
    let column = |name: &str| row.get(name).and_then(Value::as_str).unwrap_or("");
    let (table, sys_id) = (column("document_table"), column("document_id"));
    if state.record(table, sys_id).is_none() {
        return;
    }
    let entry = ActivityEntry {
        author: SIGNED_IN_USER.into(),
        time: glide_time::now(),
        kind: "Work notes",
        text: entry_text(column("short_description"), column("duration"), column("disposition"), column("notes")),
    };
    state.activity.entry(sys_id.to_owned()).or_default().push(entry);
}

/// `<short_description> · <m:ss> · Disposition: <d>` and the notes on a line of their own, each
/// part left out when empty.
fn entry_text(short_description: &str, duration: &str, disposition: &str, notes: &str) -> String {
    let duration = duration.trim().parse::<u64>().ok().map(|s| format!("{}:{:02}", s / 60, s % 60));
    let disposition = (!disposition.is_empty()).then(|| format!("Disposition: {disposition}"));
    let summary: Vec<String> = [Some(short_description.to_owned()).filter(|s| !s.is_empty()), duration, disposition]
        .into_iter()
        .flatten()
        .collect();
    let summary = summary.join(" · ");
    match (summary.is_empty(), notes.is_empty()) {
        (_, true) => summary,
        (true, false) => notes.to_owned(),
        (false, false) => format!("{summary}\n{notes}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_is_written_when_present() {
        let text = entry_text("Inbound call from +15550100101", "75", "Resolved", "Reset her password.");
        assert_eq!(text, "Inbound call from +15550100101 · 1:15 · Disposition: Resolved\nReset her password.");
    }

    #[test]
    fn empty_parts_are_left_out() {
        assert_eq!(entry_text("Outbound call to 1002", "5", "", ""), "Outbound call to 1002 · 0:05");
        assert_eq!(entry_text("", "", "", "Only notes"), "Only notes");
        assert_eq!(entry_text("Call", "3600", "", ""), "Call · 60:00");
        assert_eq!(
            entry_text("Call", "soon", "Escalated", ""),
            "Call · Disposition: Escalated",
            "not a number of seconds"
        );
    }
}
