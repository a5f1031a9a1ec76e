//! Which window has the phone, always in view, with the button that moves it: Pop out in a CRM
//! page, Pop in in the pop-out and in the CRM page that shows the pop-out's phone.

use leptos::prelude::*;

use super::state::PhoneState;
use crate::command::Command;
use crate::host_kind::HostKind;
use crate::sync::home::PhoneHome;

/// What Pop out does to a call in progress, and, in a host that reloads the panel on
/// navigation, what that reload would do to a call left here.
fn pop_out_hint(host: HostKind) -> &'static str {
    if host == HostKind::SalesforceClassic {
        "Opening another record reloads this panel and ends a call held here. Pop out moves the call to a window that navigation does not touch; if the other side's phone cannot move it, the call stays here and the pop-out takes the phone when it ends."
    } else {
        "Pop out moves the call to the pop-out; if the other side's phone cannot move it, the call stays here and the pop-out takes the phone when it ends."
    }
}

/// What Pop in does to a call in progress.
const POP_IN_HINT: &str = "Pop in moves the call into the CRM window; if the other side's phone cannot move it, the phone moves back when the call ends.";

/// The line that says where the phone is.
#[component]
pub fn PhoneHomeBar() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let place = state.place();
    let in_call = Memo::new(move |_| state.calls.with(|calls| !calls.is_empty()));
    // Where the phone simply is here, the line says nothing a sighted agent needs: its words
    // stay for screen readers, and the small panel keeps the room.
    let plain = move || state.home.get() == PhoneHome::Here { pop_out_waits: false };
    view! {
        <div class="fp-home" role="group" aria-label="Phone window">
            <span class="fp-home__text" class:fp-sr-only=plain>{move || state.home.get().text(place)}</span>
            {move || {
                state.home.get().offers_pop_out(place).then(|| view! {
                    <button
                        type="button"
                        class="fp-button fp-button--quiet"
                        aria-describedby="fp-home-pop-out-hint"
                        title=pop_out_hint(state.host)
                        on:click=move |_| state.commands.send(Command::PopOut)
                    >
                        "Pop out"
                    </button>
                    <span class="fp-sr-only" id="fp-home-pop-out-hint" hidden=move || !in_call.get()>
                        {pop_out_hint(state.host)}
                    </span>
                })
            }}
            {move || {
                state.home.get().offers_use_here().then(|| view! {
                    <button
                        type="button"
                        class="fp-button fp-button--quiet"
                        on:click=move |_| state.commands.send(Command::UsePhoneHere)
                    >
                        "Use the phone here"
                    </button>
                })
            }}
            {move || {
                state.home.get().offers_pop_in(place).then(|| view! {
                    <button
                        type="button"
                        class="fp-button fp-button--quiet"
                        aria-describedby="fp-home-pop-in-hint"
                        title=POP_IN_HINT
                        on:click=move |_| state.commands.send(Command::PopIn)
                    >
                        "Pop in"
                    </button>
                    <span class="fp-sr-only" id="fp-home-pop-in-hint" hidden=move || !in_call.get()>{POP_IN_HINT}</span>
                })
            }}
        </div>
    }
}
