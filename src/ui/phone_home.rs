//! Which window has the phone, always in view, with the button that moves it: Pop out in a CRM
//! page, Pop in in the pop-out and in the CRM page that shows the pop-out's phone.

use leptos::prelude::*;

use super::state::PhoneState;
use crate::command::Command;
use crate::host_kind::HostKind;
use crate::i18n::t;
use crate::sync::home::PhoneHome;

/// What Pop out does to a call in progress, and, in a host that reloads the panel on
/// navigation, what that reload would do to a call left here.
fn pop_out_hint(host: HostKind) -> String {
    if host == HostKind::SalesforceClassic {
        t("panel.home.pop-out-hint-reloads")
    } else {
        t("panel.home.pop-out-hint")
    }
}

/// What Pop in does to a call in progress.
fn pop_in_hint() -> String {
    t("panel.home.pop-in-hint")
}

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
        <div class="fp-home" role="group" aria-label=t("panel.home.label")>
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
                        {t("panel.home.pop-out")}
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
                        {t("panel.home.use-here")}
                    </button>
                })
            }}
            {move || {
                state.home.get().offers_pop_in(place).then(|| view! {
                    <button
                        type="button"
                        class="fp-button fp-button--quiet"
                        aria-describedby="fp-home-pop-in-hint"
                        title=pop_in_hint()
                        on:click=move |_| state.commands.send(Command::PopIn)
                    >
                        {t("panel.home.pop-in")}
                    </button>
                    <span class="fp-sr-only" id="fp-home-pop-in-hint" hidden=move || !in_call.get()>{pop_in_hint()}</span>
                })
            }}
        </div>
    }
}
