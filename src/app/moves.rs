//! Calls moving to the pop-out, the browser side (`crate::sync::call_move` decides which): the
//! CRM window hands its calls over when the pop-out waits for the phone, and the pop-out takes
//! them over once its own phone is registered. Whatever goes wrong, a call stays where it is.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::task::spawn_local;

use super::instances::Instances;
use crate::browser::sleep;
use crate::credentials::KeptSignIn;
use crate::desk::DeskEvent;
use crate::session::PhoneSession;
use crate::sync::call_move::{MOVE_TIMEOUT_MS, MovingCall, SIGN_IN_WAIT_MS};
use crate::sync::envelope::Body;

/// The calls handed to this pop-out, taken over once its phone is registered; cloning shares
/// them.
#[derive(Clone, Default)]
pub(super) struct Taking(Rc<RefCell<Vec<MovingCall>>>);

/// The CRM window: hands every call to the pop-out waiting for the phone, when all of them can
/// move. One the pop-out has not taken within [`MOVE_TIMEOUT_MS`] stays here.
pub(super) fn hand_over(session: &PhoneSession, instances: Instances) {
    let Some(calls) = session.movable_calls() else { return };
    let call_ids: Vec<String> = calls.iter().map(|(_, view)| view.call_id.clone()).collect();
    for call_id in &call_ids {
        session.tell(DeskEvent::Moving(call_id.clone()));
    }
    let calls = calls.into_iter().map(|(dialog, view)| MovingCall { dialog, view }).collect();
    let session = session.clone();
    spawn_local(async move {
        // After the refusal that makes the pop-out wait, which goes out once the caller
        // returns: the pop-out takes calls only from the owner it waits for.
        instances.send(Body::MoveCalls(calls));
        sleep(MOVE_TIMEOUT_MS).await;
        for call_id in call_ids {
            session.tell(DeskEvent::Moved { call_id, result: Err("the pop-out did not take it in time".to_owned()) });
        }
    });
}

impl Taking {
    /// The pop-out: starts its phone with the kept sign-in the owner handed over, and takes
    /// `calls` once it is registered ([`Taking::when_registered`]); if it cannot sign in within
    /// [`SIGN_IN_WAIT_MS`], it takes nothing and stops.
    pub(super) fn take(
        &self,
        calls: Vec<MovingCall>,
        session: &PhoneSession,
        kept: Option<KeptSignIn>,
        instances: Instances,
    ) {
        if !session.runs() {
            match kept {
                Some(kept) => session.resume_with(&kept),
                None => session.resume(),
            }
        }
        if !session.runs() {
            return refuse(&instances, calls, "the pop-out has no sign-in to take it with");
        }
        self.0.borrow_mut().extend(calls);
        let (taking, session) = (self.clone(), session.clone());
        spawn_local(async move {
            sleep(SIGN_IN_WAIT_MS).await;
            let late = std::mem::take(&mut *taking.0.borrow_mut());
            if !late.is_empty() {
                refuse(&instances, late, "the pop-out could not sign in in time");
                session.stop();
            }
        });
    }

    /// The pop-out's phone is registered: the calls handed to it are taken over now.
    pub(super) fn when_registered(&self, session: &PhoneSession) {
        let calls = std::mem::take(&mut *self.0.borrow_mut());
        for moving in calls {
            session.take_over(moving.dialog, moving.view);
        }
    }
}

/// The pop-out took a call over, or could not: the CRM window hears which. A pop-out left with
/// no call stops its phone, which runs in the window that has the calls.
pub(super) fn taken(call_id: &str, result: &Result<(), String>, session: &PhoneSession, instances: &Instances) {
    instances.send(Body::CallMoved { call_id: call_id.to_owned(), result: result.clone() });
    if result.is_err() && !instances.owns() && !session.has_calls() {
        session.stop();
    }
}

/// Tells the CRM window that these calls stay with it.
fn refuse(instances: &Instances, calls: Vec<MovingCall>, why: &str) {
    for moving in calls {
        instances.send(Body::CallMoved { call_id: moving.view.call_id, result: Err(why.to_owned()) });
    }
}
