//! Each call's audio path kept alive: its restart policy (`crate::ice_restart::LinkPolicy`) fed
//! with what the browser reports, the restarts it asks for sent as re-INVITEs through the SIP
//! core, and what the agent must see handed to the desk.

use std::rc::Rc;

use leptos::task::spawn_local;
use sip::agent::CallRef;

use super::Softphone;
use super::media::CallMedia;
use crate::desk::DeskEvent;
use crate::ice_restart::{LinkAction, LinkEvent, LinkPolicy, Network};

impl Softphone {
    /// The call's media joins the phone: its ICE state is watched and its policy made;
    /// `caller` when this side placed the call (it restarts first).
    pub(super) fn add_media(&self, call: CallRef, media: Rc<CallMedia>, caller: bool) {
        let weak = Rc::downgrade(&self.0);
        media.watch_ice(move |state| {
            if let Some(shell) = weak.upgrade() {
                Softphone(shell).link_event(call, LinkEvent::Ice(state));
            }
        });
        let mut shell = self.0.borrow_mut();
        shell.media.insert(call, media);
        shell.links.insert(call, LinkPolicy::new(caller));
    }

    /// Tells the call's policy what happened, shows the agent what changed, and starts the
    /// restart it asks for.
    pub(super) fn link_event(&self, call: CallRef, event: LinkEvent) {
        let now = js_sys::Date::now();
        let (actions, view) = {
            let mut shell = self.0.borrow_mut();
            if shell.stopping {
                return;
            }
            let Some(policy) = shell.links.get_mut(&call) else { return };
            let actions = policy.on_event(now, event);
            (actions, policy.view(now))
        };
        let shown = self.0.borrow().desk.model().call(call).map(|c| c.link);
        if shown.is_some_and(|shown| shown != view) {
            self.tell_desk(DeskEvent::Link { call, link: view });
        }
        for action in actions {
            match action {
                LinkAction::Restart => {
                    let phone = self.clone();
                    spawn_local(async move { phone.restart_ice(call).await });
                }
            }
        }
    }

    /// Tells every call's policy that the browser's network changed.
    pub(super) fn network_changed(&self, network: Network) {
        let calls: Vec<CallRef> = self.0.borrow().links.keys().copied().collect();
        for call in calls {
            self.link_event(call, LinkEvent::Network(network));
        }
    }

    /// An offer with new ICE credentials, by re-INVITE (or UPDATE, as the core chooses); the
    /// policy hears whether it left, waits for another offer, or failed.
    async fn restart_ice(&self, call: CallRef) {
        let Some(media) = self.media(call) else { return };
        if self.0.borrow().agent.offer_in_progress(call) || media.awaiting_answer() {
            return self.link_event(call, LinkEvent::Busy);
        }
        let offer = match media.restart_offer().await {
            Ok(offer) => offer,
            Err(error) => {
                web_sys::console::warn_1(&format!("ICE restart: {error}").into());
                return self.link_event(call, LinkEvent::Failed);
            }
        };
        match self.run(|agent, now| agent.reoffer(now, call, offer.clone())) {
            Ok(()) => self.link_event(call, LinkEvent::Sent),
            Err(_) => {
                // Another offer came while this one gathered: it goes after that one.
                media.withdraw(&offer).await;
                self.link_event(call, LinkEvent::Busy);
            }
        }
    }
}
