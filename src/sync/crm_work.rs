//! CRM work done for the owner by another window: the pop-out has no CRM page of its own, so a
//! framed instance attached to one looks callers up, opens records and delivers call logs for
//! it. This is what travels between them, and what an answer (or none) means to the owner.

use serde::{Deserialize, Serialize};

use crate::activity::outbox::{POST_TIMEOUT_MS, PostOutcome};
use crate::activity::{CallDirection, CallLog, RecordRef};
use crate::host::HostError;
use crate::i18n::t_args;

/// How long the owner waits for a framed instance to answer a look-up or a question.
pub const ANSWER_TIMEOUT_MS: u32 = 10_000;
/// How long it waits for a log's delivery: the ServiceNow update path takes two requests, each
/// of which may take the whole post timeout, and the message has to travel back.
pub const POST_ANSWER_TIMEOUT_MS: u32 = 2 * POST_TIMEOUT_MS as u32 + 5_000;

/// One piece of CRM work asked of a framed instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum CrmWork {
    /// The records whose phone number is `number` (screen pop).
    FindRecords {
        /// The caller's or callee's number.
        number: String,
        /// Which way the call goes.
        direction: CallDirection,
    },
    /// Open this record where the agent works.
    OpenRecord(RecordRef),
    /// Open the new-record form with this number.
    OpenNewRecord(String),
    /// Deliver this call's log (`update`: an earlier post may have created it).
    PostLog {
        /// The log.
        log: CallLog,
        /// Update the log with the same Call-ID, or create one.
        update: bool,
    },
    /// Whether the CRM wants the agent's permission first.
    NeedsAuthorisation,
}

impl CrmWork {
    /// The host method this work stands for, as errors name it.
    pub fn method(&self) -> &'static str {
        match self {
            CrmWork::FindRecords { .. } => "find_records",
            CrmWork::OpenRecord(_) => "open_record",
            CrmWork::OpenNewRecord(_) => "open_new_record",
            CrmWork::PostLog { .. } => "post_log",
            CrmWork::NeedsAuthorisation => "needs_authorisation",
        }
    }

    /// How long the owner waits for the answer.
    pub fn timeout_ms(&self) -> u32 {
        match self {
            CrmWork::PostLog { .. } => POST_ANSWER_TIMEOUT_MS,
            _ => ANSWER_TIMEOUT_MS,
        }
    }
}

/// A framed instance's answer to one piece of work.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum CrmAnswer {
    /// The records found, best first.
    Records(Vec<RecordRef>),
    /// The work was started in the CRM window (opening a record: a failure is shown there,
    /// where the agent looks for the record).
    Started,
    /// What became of the log.
    Posted(PostOutcome),
    /// Whether the CRM wants the agent's permission.
    NeedsAuthorisation(bool),
    /// The work failed.
    Failed(CrmFailure),
}

/// Why work failed in the framed instance, as the owner needs to know it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum CrmFailure {
    /// The CRM's REST API wants the agent's permission.
    Unauthorised,
    /// That CRM cannot do it (no REST client configured, for example).
    Unsupported(String),
    /// The framed instance is not attached to its CRM (yet, or any more).
    NotAttached,
    /// The CRM or its API said no, or did not answer: in the framed instance's words.
    Failed(String),
}

impl CrmFailure {
    /// A host error of the framed instance, to send back.
    pub fn of(error: HostError) -> CrmFailure {
        match error {
            HostError::Unauthorised => CrmFailure::Unauthorised,
            HostError::Unsupported { why, .. } => CrmFailure::Unsupported(why.to_owned()),
            HostError::ScriptLoad { .. } | HostError::MissingApi { .. } | HostError::NotLoaded { .. } => {
                CrmFailure::NotAttached
            }
            HostError::Call { .. } | HostError::Timeout { .. } => CrmFailure::Failed(error.to_string()),
        }
    }

    /// The failure as a host error of the owner's, for the method that was asked.
    pub fn into_error(self, method: &'static str) -> HostError {
        match self {
            CrmFailure::Unauthorised => HostError::Unauthorised,
            CrmFailure::Unsupported(why) => HostError::Call { method, message: why },
            CrmFailure::NotAttached => HostError::Unsupported { method, why: NO_CRM_WINDOW },
            CrmFailure::Failed(message) => {
                HostError::Call { method, message: t_args("session.crm-window.failed", &[("message", &message)]) }
            }
        }
    }
}

/// Why the owner has no one to do its CRM work, in words for the agent.
pub const NO_CRM_WINDOW: &str = "no CRM window with the phone is open";

/// What a log's delivery came to, from the answer (none: no framed instance answered in time).
/// A log whose answer never came may be in the CRM: it is retried as an update.
pub fn post_outcome(answer: Option<CrmAnswer>) -> PostOutcome {
    match answer {
        Some(CrmAnswer::Posted(outcome)) => outcome,
        Some(CrmAnswer::Failed(CrmFailure::Unauthorised)) => PostOutcome::Unauthorised,
        Some(CrmAnswer::Failed(CrmFailure::NotAttached)) => PostOutcome::NoHost,
        Some(CrmAnswer::Failed(failure)) => crate::host::post_outcome(failure.into_error("post_log")),
        Some(other) => {
            PostOutcome::Unknown(t_args("session.crm-window.odd-answer", &[("answer", &format!("{other:?}"))]))
        }
        None => {
            let seconds = (POST_ANSWER_TIMEOUT_MS / 1_000).to_string();
            PostOutcome::Unknown(t_args("session.crm-window.no-answer", &[("seconds", &seconds)]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log() -> CallLog {
        CallLog {
            call_id: "abc@lab".into(),
            agent: "1001".into(),
            direction: CallDirection::Inbound,
            number: "1002".into(),
            party: "Ana".into(),
            started: 1,
            seconds: 4,
            outcome: crate::history::Outcome::Answered,
            disposition: None,
            notes: String::new(),
            record: None,
        }
    }

    #[test]
    fn work_and_answers_travel_as_json_and_come_back_the_same() {
        let record = RecordRef { object: "sys_user".into(), id: "u1".into(), name: "Ana".into(), phone: None };
        for work in [
            CrmWork::FindRecords { number: "+14155550131".into(), direction: CallDirection::Inbound },
            CrmWork::OpenRecord(record.clone()),
            CrmWork::OpenNewRecord("1002".into()),
            CrmWork::PostLog { log: log(), update: true },
            CrmWork::NeedsAuthorisation,
        ] {
            let text = serde_json::to_string(&work).unwrap();
            assert_eq!(serde_json::from_str::<CrmWork>(&text).unwrap(), work);
        }
        for answer in [
            CrmAnswer::Records(vec![record]),
            CrmAnswer::Started,
            CrmAnswer::Posted(PostOutcome::Busy { reason: "429".into(), retry_after_ms: Some(3) }),
            CrmAnswer::NeedsAuthorisation(true),
            CrmAnswer::Failed(CrmFailure::Failed("saveLog failed: no".into())),
        ] {
            let text = serde_json::to_string(&answer).unwrap();
            assert_eq!(serde_json::from_str::<CrmAnswer>(&text).unwrap(), answer);
        }
        assert!(serde_json::from_str::<CrmWork>(r#"{"deleteRecord":"x"}"#).is_err());
    }

    #[test]
    fn a_log_whose_answer_never_came_may_be_there_and_one_with_no_crm_waits() {
        assert_eq!(post_outcome(Some(CrmAnswer::Posted(PostOutcome::Posted))), PostOutcome::Posted);
        assert!(matches!(post_outcome(None), PostOutcome::Unknown(_)));
        assert_eq!(post_outcome(Some(CrmAnswer::Failed(CrmFailure::NotAttached))), PostOutcome::NoHost);
        assert_eq!(post_outcome(Some(CrmAnswer::Failed(CrmFailure::Unauthorised))), PostOutcome::Unauthorised);
        assert!(matches!(
            post_outcome(Some(CrmAnswer::Failed(CrmFailure::Failed("saveLog failed: no".into())))),
            PostOutcome::Refused(message) if message.contains("in the CRM window: saveLog failed: no")
        ));
        assert!(matches!(post_outcome(Some(CrmAnswer::Started)), PostOutcome::Unknown(_)));
    }

    #[test]
    fn failures_cross_over_as_the_owner_can_act_on_them() {
        let timeout = HostError::Timeout { method: "saveLog", millis: 5000 };
        assert_eq!(
            CrmFailure::of(timeout).into_error("post_log"),
            HostError::Call {
                method: "post_log",
                message: "in the CRM window: saveLog got no answer from the host within 5000 ms".into()
            }
        );
        assert_eq!(CrmFailure::of(HostError::Unauthorised).into_error("find_records"), HostError::Unauthorised);
        assert_eq!(
            CrmFailure::of(HostError::NotLoaded { global: "sforce.opencti" }).into_error("find_records"),
            HostError::Unsupported { method: "find_records", why: NO_CRM_WINDOW }
        );
    }
}
