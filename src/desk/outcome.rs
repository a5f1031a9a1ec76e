//! How a call ended, in the history's and the agent's words.

use sip::agent::{CallEnd, RejectKind};

use crate::history::Outcome;
use crate::i18n::{t, t_args};

/// How a call ended, for its record.
pub fn outcome_of(incoming: bool, answered: bool, reason: &CallEnd) -> Outcome {
    match (reason, answered, incoming) {
        (CallEnd::Transferred, ..) => Outcome::Transferred,
        (_, true, _) => Outcome::Answered,
        (CallEnd::AnsweredElsewhere, ..) => Outcome::AnsweredElsewhere,
        (CallEnd::CallerCancelled | CallEnd::Timeout, _, true) => Outcome::Missed,
        (CallEnd::HungUpHere, _, true) => Outcome::Declined,
        (CallEnd::HungUpHere, _, false) => Outcome::Cancelled,
        (CallEnd::Rejected { kind: RejectKind::Busy, .. }, ..) => Outcome::Busy,
        (CallEnd::Rejected { kind: RejectKind::Declined, .. }, ..) => Outcome::Declined,
        (CallEnd::Rejected { kind: RejectKind::NoAnswer, .. } | CallEnd::Timeout, ..) => Outcome::NoAnswer,
        _ => Outcome::Failed,
    }
}

/// Why a call ended, when the agent should be told (not after an ordinary hang-up).
pub fn end_text(reason: &CallEnd) -> Option<String> {
    Some(match reason {
        CallEnd::HungUpHere | CallEnd::HungUpThere | CallEnd::Replaced | CallEnd::Transferred => return None,
        CallEnd::CallerCancelled => t("session.ended.missed"),
        CallEnd::AnsweredElsewhere => t("session.ended.elsewhere"),
        CallEnd::Rejected { kind, status, reason } => match kind {
            RejectKind::Busy => t("session.ended.busy"),
            RejectKind::Declined => t("session.ended.declined"),
            RejectKind::NotFound => t("session.ended.not-found"),
            RejectKind::Unavailable => t("session.ended.unavailable"),
            RejectKind::NoAnswer => t("session.ended.no-answer"),
            RejectKind::NotAllowed => t("session.ended.not-allowed"),
            RejectKind::MediaRefused => t("session.ended.media-refused"),
            RejectKind::Other => t_args("session.ended.failed", &[("status", &status.to_string()), ("reason", reason)]),
        },
        CallEnd::Timeout => t("session.ended.no-answer"),
        CallEnd::ConnectionLost => t("session.ended.connection-lost"),
        CallEnd::SessionExpired => t("session.ended.session-expired"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(kind: RejectKind, status: u16) -> CallEnd {
        CallEnd::Rejected { status, reason: "Reason".into(), kind }
    }

    #[test]
    fn the_history_says_how_each_call_ended() {
        assert_eq!(outcome_of(true, true, &CallEnd::HungUpThere), Outcome::Answered);
        assert_eq!(outcome_of(true, false, &CallEnd::CallerCancelled), Outcome::Missed);
        assert_eq!(outcome_of(true, false, &CallEnd::HungUpHere), Outcome::Declined);
        assert_eq!(outcome_of(false, false, &CallEnd::HungUpHere), Outcome::Cancelled);
        assert_eq!(outcome_of(false, false, &rejected(RejectKind::Busy, 486)), Outcome::Busy);
        assert_eq!(outcome_of(false, false, &CallEnd::Timeout), Outcome::NoAnswer);
        assert_eq!(outcome_of(false, true, &CallEnd::Transferred), Outcome::Transferred);
        assert_eq!(outcome_of(false, false, &CallEnd::ConnectionLost), Outcome::Failed);
    }

    #[test]
    fn the_agent_is_told_why_a_call_failed_but_not_about_ordinary_hang_ups() {
        assert_eq!(end_text(&CallEnd::HungUpThere), None);
        assert_eq!(end_text(&rejected(RejectKind::NotFound, 404)).as_deref(), Some("number not found"));
        assert_eq!(end_text(&rejected(RejectKind::Other, 503)).as_deref(), Some("failed (503 Reason)"));
        assert_eq!(end_text(&CallEnd::SessionExpired).as_deref(), Some("the call was lost (session expired)"));
    }
}
