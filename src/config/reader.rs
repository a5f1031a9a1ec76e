//! A JSON reader that keeps going after the first mistake, so the administrator sees every
//! problem of `framephone.json` at once, each with the path of the key it concerns.

use serde_json::{Map, Value};

use super::ConfigProblem;
use crate::i18n::{t, t_args};

/// Collects problems while fields are taken out of JSON objects.
#[derive(Default)]
pub(super) struct Problems(Vec<ConfigProblem>);

impl Problems {
    pub(super) fn push(&mut self, path: &str, message: impl Into<String>) {
        self.0.push(ConfigProblem { path: path.to_owned(), message: message.into() });
    }

    pub(super) fn into_vec(self) -> Vec<ConfigProblem> {
        self.0
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One JSON object being read: every key taken is remembered, and [`ObjectReader::finish`]
/// reports the keys nobody asked for (usually a typo).
pub(super) struct ObjectReader<'a> {
    path: String,
    map: &'a Map<String, Value>,
    taken: Vec<&'static str>,
}

impl<'a> ObjectReader<'a> {
    /// Reads `value` as an object, or reports that it is not one.
    pub(super) fn new(path: &str, value: &'a Value, problems: &mut Problems) -> Option<Self> {
        match value {
            Value::Object(map) => Some(ObjectReader { path: path.to_owned(), map, taken: vec![] }),
            other => {
                problems.push(&display_path(path), t_args("config.expected-object", &[("found", &kind(other))]));
                None
            }
        }
    }

    /// The path of `key` inside this object, as shown to the administrator.
    pub(super) fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_owned() } else { format!("{}.{key}", self.path) }
    }

    /// The raw value of `key`, if present.
    pub(super) fn value(&mut self, key: &'static str) -> Option<&'a Value> {
        self.taken.push(key);
        self.map.get(key)
    }

    /// A required value.
    pub(super) fn required(&mut self, key: &'static str, problems: &mut Problems) -> Option<&'a Value> {
        let value = self.value(key);
        if value.is_none() {
            problems.push(&self.path_of(key), t("config.required"));
        }
        value
    }

    /// An optional string.
    pub(super) fn string(&mut self, key: &'static str, problems: &mut Problems) -> Option<&'a str> {
        let path = self.path_of(key);
        self.value(key).and_then(|v| as_str(&path, v, problems))
    }

    /// An optional whole number within `range`.
    pub(super) fn integer(
        &mut self,
        key: &'static str,
        range: std::ops::RangeInclusive<u32>,
        problems: &mut Problems,
    ) -> Option<u32> {
        let path = self.path_of(key);
        let value = self.value(key)?;
        let Some(n) = value.as_u64() else {
            problems.push(&path, t_args("config.expected-whole-number", &[("found", &kind(value))]));
            return None;
        };
        match u32::try_from(n) {
            Ok(n) if range.contains(&n) => Some(n),
            _ => {
                let (min, max, found) = (range.start().to_string(), range.end().to_string(), n.to_string());
                problems.push(&path, t_args("config.out-of-range", &[("min", &min), ("max", &max), ("found", &found)]));
                None
            }
        }
    }

    /// An optional true/false; `default` when absent.
    pub(super) fn boolean(&mut self, key: &'static str, default: bool, problems: &mut Problems) -> bool {
        let path = self.path_of(key);
        match self.value(key) {
            None => default,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                let found = kind(other);
                problems.push(
                    &path,
                    t_args("config.expected-boolean", &[("true", "true"), ("false", "false"), ("found", &found)]),
                );
                default
            }
        }
    }

    /// An optional list of short labels the agent picks from (Not Ready reasons, dispositions):
    /// each cleaned of control characters, 1 to `max_chars` characters, no two the same; `what`
    /// names one in messages ("a reason").
    /// `None` when absent; `Some(None)` when a problem was reported.
    pub(super) fn labels(
        &mut self,
        key: &'static str,
        what: &str,
        max_chars: usize,
        problems: &mut Problems,
    ) -> Option<Option<Vec<String>>> {
        let path = self.path_of(key);
        let items = self.value(key)?;
        let Some(items) = as_array(&path, items, problems) else { return Some(None) };
        let mut labels = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let path = item_path(&path, i);
            let Some(text) = as_str(&path, item, problems) else {
                ok = false;
                continue;
            };
            let text = crate::display_name::clean(text);
            if text.is_empty() || text.chars().count() > max_chars {
                let max = max_chars.to_string();
                problems.push(&path, t_args("config.label-length", &[("what", what), ("max", &max)]));
                ok = false;
            } else if labels.contains(&text) {
                problems.push(&path, t_args("config.listed-twice", &[("value", &text)]));
                ok = false;
            } else {
                labels.push(text);
            }
        }
        Some(ok.then_some(labels))
    }

    /// An optional string that must be one of `choices` (compared without case); `default` when
    /// absent. `expected` says what the choices mean, after "must be".
    pub(super) fn choice<T: Copy>(
        &mut self,
        key: &'static str,
        default: T,
        choices: &[(&str, T)],
        expected: &str,
        problems: &mut Problems,
    ) -> Option<T> {
        let path = self.path_of(key);
        let Some(text) = self.string(key, problems) else { return Some(default) };
        let found = choices.iter().find(|(name, _)| name.eq_ignore_ascii_case(text)).map(|&(_, value)| value);
        if found.is_none() {
            let value = text.escape_debug().to_string();
            problems.push(&path, t_args("config.not-one-of", &[("value", &value), ("expected", expected)]));
        }
        found
    }

    /// Reports every key that was never taken.
    pub(super) fn finish(self, problems: &mut Problems) {
        for key in self.map.keys() {
            if !self.taken.contains(&key.as_str()) {
                let expected = self.taken.join(", ");
                problems.push(&self.path_of(key), t_args("config.unknown-setting", &[("expected", &expected)]));
            }
        }
    }
}

/// Reads `value` as a string, or reports what it is instead.
pub(super) fn as_str<'a>(path: &str, value: &'a Value, problems: &mut Problems) -> Option<&'a str> {
    match value {
        Value::String(s) => Some(s),
        other => {
            problems.push(path, t_args("config.expected-string", &[("found", &kind(other))]));
            None
        }
    }
}

/// Reads `value` as an array, or reports what it is instead.
pub(super) fn as_array<'a>(path: &str, value: &'a Value, problems: &mut Problems) -> Option<&'a [Value]> {
    match value {
        Value::Array(items) => Some(items),
        other => {
            problems.push(path, t_args("config.expected-list", &[("found", &kind(other))]));
            None
        }
    }
}

/// The path of the `index`th item of the list at `path`.
pub(super) fn item_path(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

fn display_path(path: &str) -> String {
    if path.is_empty() { t("config.top-level") } else { path.to_owned() }
}

/// A short description of a JSON value's type, for error messages; JSON's own words stay as
/// written.
fn kind(value: &Value) -> String {
    match value {
        Value::Null => t_args("config.kind.null", &[("null", "null")]),
        Value::Bool(_) => t_args("config.kind.boolean", &[("true", "true"), ("false", "false")]),
        Value::Number(_) => t("config.kind.number"),
        Value::String(_) => t("config.kind.string"),
        Value::Array(_) => t("config.kind.list"),
        Value::Object(_) => t("config.kind.object"),
    }
}
