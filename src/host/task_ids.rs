//! The Salesforce Task each recent call was logged as, so that a later post of the same call
//! updates it without a search. Only the most recent calls are kept, so that a shift of calls
//! does not grow the page's memory: an older call's later post (a log retried after a long
//! outage) finds its Task by its Call-ID instead.

use std::collections::VecDeque;

/// How many calls' Tasks are kept.
const KEPT: usize = 64;

/// Call-ID → Task Id, oldest first.
#[derive(Debug, Default)]
pub(super) struct TaskIds(VecDeque<(String, String)>);

impl TaskIds {
    /// The Task `call_id` was logged as, when it is among the recent calls.
    pub(super) fn get(&self, call_id: &str) -> Option<String> {
        self.0.iter().find(|(call, _)| call == call_id).map(|(_, task)| task.clone())
    }

    /// Notes that `call_id` was logged as `task`, forgetting the oldest call beyond [`KEPT`].
    pub(super) fn remember(&mut self, call_id: &str, task: String) {
        self.0.retain(|(call, _)| call != call_id);
        self.0.push_back((call_id.to_owned(), task));
        if self.0.len() > KEPT {
            self.0.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_s_task_is_remembered_and_replaced() {
        let mut ids = TaskIds::default();
        assert_eq!(ids.get("a@x"), None);
        ids.remember("a@x", "00T000000000001AAA".into());
        assert_eq!(ids.get("a@x").as_deref(), Some("00T000000000001AAA"));
        ids.remember("a@x", "00T000000000002AAA".into());
        assert_eq!(ids.get("a@x").as_deref(), Some("00T000000000002AAA"));
        assert_eq!(ids.0.len(), 1, "one entry per call");
    }

    #[test]
    fn only_the_most_recent_calls_are_kept() {
        let mut ids = TaskIds::default();
        for n in 0..KEPT + 10 {
            ids.remember(&format!("call-{n}"), format!("task-{n}"));
        }
        assert_eq!(ids.0.len(), KEPT);
        assert_eq!(ids.get("call-9"), None, "the oldest are forgotten");
        assert_eq!(ids.get("call-10").as_deref(), Some("task-10"));
        assert_eq!(ids.get(&format!("call-{}", KEPT + 9)).as_deref(), Some(format!("task-{}", KEPT + 9)).as_deref());
    }
}
