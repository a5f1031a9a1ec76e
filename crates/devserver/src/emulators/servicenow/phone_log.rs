//! The `sn_openframe_phone_log` table: one row per call the widget logs. Columns the table does
//! not have are ignored on insert and update, as the Table API does.

use serde_json::{Map, Value};

use super::instance::{SIGNED_IN_USER, State};
use super::{glide_time, ids, work_notes};

/// The table's name.
pub(crate) const TABLE: &str = "sn_openframe_phone_log";

/// The columns the widget writes.
const COLUMNS: [&str; 13] = [
    "call_id",
    "agent",
    "direction",
    "phone_number",
    "caller_name",
    "start_time",
    "duration",
    "outcome",
    "disposition",
    "notes",
    "document_table",
    "document_id",
    "short_description",
];

/// A JSON value as the column stores it: text; objects and arrays are not column values.
fn column_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Null => Some(String::new()),
        Value::Bool(_) | Value::Number(_) => Some(value.to_string()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

fn write(row: &mut Map<String, Value>, values: &Map<String, Value>) {
    for (column, value) in values {
        if COLUMNS.contains(&column.as_str())
            && let Some(text) = column_text(value)
        {
            row.insert(column.clone(), text.into());
        }
    }
}

/// Inserts a row from `values`, runs the table's business rules, and returns the row.
pub(crate) fn insert(state: &mut State, values: &Map<String, Value>) -> Map<String, Value> {
    let now = glide_time::now();
    let mut row = Map::new();
    row.insert("sys_id".into(), ids::sys_id().into());
    for column in COLUMNS {
        row.insert(column.into(), "".into());
    }
    write(&mut row, values);
    for (column, value) in [
        ("sys_created_on", now.as_str()),
        ("sys_created_by", SIGNED_IN_USER),
        ("sys_updated_on", now.as_str()),
        ("sys_updated_by", SIGNED_IN_USER),
        ("sys_mod_count", "0"),
    ] {
        row.insert(column.into(), value.into());
    }
    state.phone_logs.push(row.clone());
    work_notes::after_insert(state, &row);
    row
}

/// Updates the row with `sys_id` from `values` and returns it; none when there is no such row.
/// Updates run no work-notes rule: the activity stream keeps the entry of the insert.
pub(crate) fn update(state: &mut State, sys_id: &str, values: &Map<String, Value>) -> Option<Map<String, Value>> {
    let row = state.phone_logs.iter_mut().find(|row| row.get("sys_id").and_then(Value::as_str) == Some(sys_id))?;
    write(row, values);
    let count = row.get("sys_mod_count").and_then(Value::as_str).and_then(|c| c.parse::<u64>().ok()).unwrap_or(0);
    row.insert("sys_mod_count".into(), (count + 1).to_string().into());
    row.insert("sys_updated_on".into(), glide_time::now().into());
    row.insert("sys_updated_by".into(), SIGNED_IN_USER.into());
    Some(row.clone())
}
