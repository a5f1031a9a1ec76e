//! Calls moving between the phone's windows, the browser side (`crate::sync::call_move` decides
//! which): the CRM window hands its calls over when the pop-out waits for the phone, the pop-out
//! hands them back on Pop in, and the window they move to takes them over once its own phone is
//! registered. Whatever goes wrong, a call stays where it is.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::instances::Instances;
use super::windows;
use crate::browser::sleep;
use crate::credentials::KeptSignIn;
use crate::desk::DeskEvent;
use crate::i18n::t;
use crate::session::PhoneSession;
use crate::sync::call_move::{MOVE_TIMEOUT_MS, MovingCall, SIGN_IN_WAIT_MS};
use crate::sync::envelope::Body;
use crate::sync::message::{PeerId, Place};
use crate::ui::PhoneState;

/// The calls handed to this pop-out, taken over once its phone is registered; cloning shares
/// them.
#[derive(Clone, Default)]
pub(super) struct Taking(Rc<RefCell<Vec<MovingCall>>>);

/// The window that has the phone hands every call to the window it moves to (`to`; none: the
/// pop-out waiting for the phone), when all of them can move. One not taken within
/// [`MOVE_TIMEOUT_MS`] stays here.
pub(super) fn hand_over(session: &PhoneSession, instances: Instances, to: Option<PeerId>) {
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
        instances.send(Body::MoveCalls { to, calls });
        sleep(MOVE_TIMEOUT_MS).await;
        for call_id in call_ids {
            let result = Err(t("session.move.too-late"));
            session.tell(DeskEvent::Moved { call_id, result });
        }
    });
}

impl Taking {
    /// The window the calls move to: starts its phone with the kept sign-in the owner handed
    /// over, and takes
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
            return refuse(&instances, calls, &t("session.move.no-sign-in"));
        }
        self.0.borrow_mut().extend(calls);
        let (taking, session) = (self.clone(), session.clone());
        spawn_local(async move {
            sleep(SIGN_IN_WAIT_MS).await;
            let late = std::mem::take(&mut *taking.0.borrow_mut());
            if !late.is_empty() {
                refuse(&instances, late, &t("session.move.sign-in-late"));
                session.stop();
            }
        });
    }

    /// This window's phone is registered: the calls handed to it are taken over now.
    pub(super) fn when_registered(&self, session: &PhoneSession) {
        let calls = std::mem::take(&mut *self.0.borrow_mut());
        for moving in calls {
            session.take_over(moving.dialog, moving.view);
        }
    }
}

/// This window took a call over, or could not: the window that had it hears which. One left
/// with no call stops its phone, which runs in the window that has the calls.
pub(super) fn taken(call_id: &str, result: &Result<(), String>, session: &PhoneSession, instances: &Instances) {
    instances.send(Body::CallMoved { call_id: call_id.to_owned(), result: result.clone() });
    if result.is_err() && !instances.owns() && !session.has_calls() {
        session.stop();
    }
}

/// Pop in. In a CRM window it asks the pop-out. In the pop-out, with no call the phone goes back
/// at once; with calls, they move to `to` (the CRM window that asked, else the one doing the
/// pop-out's CRM work) and the phone follows once none is left here ([`pop_in_after_calls`]),
/// also when a call cannot move and ends here.
pub(super) fn pop_in(
    instances: &Instances,
    state: PhoneState,
    session: Option<PhoneSession>,
    to: Option<PeerId>,
    after_calls: RwSignal<bool>,
) {
    if instances.place() == Place::Embedded || state.calls.with_untracked(Vec::is_empty) {
        return windows::pop_in(instances);
    }
    after_calls.set(true);
    match (to, session) {
        (Some(to), Some(session)) => hand_over(&session, instances.clone(), Some(to)),
        _ => state.view_notice.set(Some(t("session.move.no-crm-window"))),
    }
}

/// Gives the phone back once the pop-out has no calls left, if Pop in was asked during them.
pub(super) fn pop_in_after_calls(state: PhoneState, instances: Instances, after_calls: RwSignal<bool>) {
    let idle = Memo::new(move |_| state.calls.with(Vec::is_empty));
    Effect::new(move |_| {
        if idle.get() && after_calls.get_untracked() {
            after_calls.set(false);
            windows::pop_in(&instances);
        }
    });
}

/// Tells the CRM window that these calls stay with it.
fn refuse(instances: &Instances, calls: Vec<MovingCall>, why: &str) {
    for moving in calls {
        instances.send(Body::CallMoved { call_id: moving.view.call_id, result: Err(why.to_owned()) });
    }
}
