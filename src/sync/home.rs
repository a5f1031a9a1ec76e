//! Where the phone lives, as this window tells the agent: here, in the pop-out, in another CRM
//! tab, or on its way here once a call ends.

use super::message::Place;
use super::ownership::Role;
use crate::i18n::t;

/// Where the phone lives, seen from this window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PhoneHome {
    /// Not known yet: the other windows have a moment to answer.
    #[default]
    Finding,
    /// The phone runs in this window.
    Here {
        /// Whether a pop-out waits to take it once this window's calls end.
        pop_out_waits: bool,
    },
    /// This window shows the phone that runs in another.
    Elsewhere(Place),
    /// This window (the pop-out) takes the phone once the CRM window's calls end.
    Waiting,
    /// The phone is in a pop-out this window can no longer reach.
    OutOfReach,
}

impl PhoneHome {
    /// What this window is, from the ownership machine's role.
    pub fn of(role: &Role, hands_over_after_calls: bool) -> PhoneHome {
        match role {
            Role::Finding => PhoneHome::Finding,
            Role::Owner => PhoneHome::Here { pop_out_waits: hands_over_after_calls },
            Role::Mirror { place, .. } => PhoneHome::Elsewhere(*place),
            Role::Waiting { .. } => PhoneHome::Waiting,
            Role::OutOfReach => PhoneHome::OutOfReach,
        }
    }

    /// Whether the phone (registration, calls, tones) runs in this window.
    pub fn here(self) -> bool {
        matches!(self, PhoneHome::Here { .. })
    }

    /// The sentence this window shows, in a window at `place`.
    pub fn text(self, place: Place) -> String {
        t(match (self, place) {
            (PhoneHome::Finding, _) => "session.home.finding",
            (PhoneHome::Here { pop_out_waits: true }, _) => "session.home.here-call-moving",
            (PhoneHome::Here { .. }, Place::PopOut) => "session.home.here-pop-out",
            (PhoneHome::Here { .. }, Place::Embedded) => "session.home.here",
            (PhoneHome::Elsewhere(Place::PopOut), _) => "session.home.in-pop-out",
            (PhoneHome::Elsewhere(Place::Embedded), Place::PopOut) => "session.home.in-crm-window",
            (PhoneHome::Elsewhere(Place::Embedded), Place::Embedded) => "session.home.in-other-tab",
            (PhoneHome::OutOfReach, _) => "session.home.out-of-reach",
            (PhoneHome::Waiting, _) => "session.home.call-moving-here",
        })
    }

    /// Whether a window at `place` offers Pop out: a framed one, unless a pop-out already has
    /// (or waits for) the phone.
    pub fn offers_pop_out(self, place: Place) -> bool {
        place == Place::Embedded
            && matches!(self, PhoneHome::Here { pop_out_waits: false } | PhoneHome::Elsewhere(Place::Embedded))
    }

    /// Whether this window offers to run the phone here: its pop-out owner is out of reach.
    pub fn offers_use_here(self) -> bool {
        self == PhoneHome::OutOfReach
    }

    /// Whether a window at `place` offers Pop in: the pop-out that holds the phone, and a
    /// framed window that shows it.
    pub fn offers_pop_in(self, place: Place) -> bool {
        match place {
            Place::PopOut => self.here(),
            Place::Embedded => self == PhoneHome::Elsewhere(Place::PopOut),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::message::{PeerId, Refusal};

    #[test]
    fn each_role_reads_as_a_place_and_offers_the_button_that_moves_the_phone() {
        let owner = PeerId::parse("p").unwrap();
        let pop_out_owner = Role::Mirror { owner: owner.clone(), place: Place::PopOut };
        let waiting = Role::Waiting { owner, reason: Refusal::CallsInProgress };
        let framed = |role: &Role, waits| {
            let home = PhoneHome::of(role, waits);
            (home.text(Place::Embedded), home.offers_pop_out(Place::Embedded), home.offers_pop_in(Place::Embedded))
        };
        assert_eq!(framed(&Role::Owner, false), ("The phone is in this window.".to_owned(), true, false));
        assert_eq!(
            framed(&Role::Owner, true),
            (
                "The phone is in this window. The call is moving to the pop-out; if it cannot, the phone moves when the call ends."
                    .to_owned(),
                false,
                false
            )
        );
        assert_eq!(framed(&pop_out_owner, false), ("The phone is in the pop-out window.".to_owned(), false, true));
        assert!(!framed(&Role::Finding, false).1);
        let pop_out = PhoneHome::of(&waiting, false);
        assert!(pop_out.text(Place::PopOut).contains("is moving here"));
        assert!(!pop_out.offers_pop_in(Place::PopOut) && !pop_out.here());
        assert!(PhoneHome::of(&Role::Owner, false).offers_pop_in(Place::PopOut));
        assert!(!PhoneHome::of(&Role::Owner, false).offers_pop_out(Place::PopOut));
        let lost = PhoneHome::of(&Role::OutOfReach, false);
        assert!(
            lost.offers_use_here() && !lost.offers_pop_in(Place::Embedded) && !lost.offers_pop_out(Place::Embedded)
        );
        assert!(lost.text(Place::Embedded).contains("no longer hears from") && !lost.here());
        assert!(!PhoneHome::of(&Role::Owner, false).offers_use_here());
    }
}
