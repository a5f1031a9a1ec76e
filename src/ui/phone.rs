//! The phone: the agent's state, the status line, the calls, then the tabs and the selected
//! tab's panel in the space that remains.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::activity::Activity;
use super::agent_status::AgentStatus;
use super::alerts::Alerts;
use super::calls::Calls;
use super::dial_pad::DialPad;
use super::directory::Directory;
use super::history::History;
use super::messages::Messages;
use super::phone_home::PhoneHomeBar;
use super::record_picker::RecordPickers;
use super::settings::Settings;
use super::sign_in::SignIn;
use super::state::{PhoneState, Tab};
use super::tabs::Tabs;
use super::untrusted::{Name, around};
use super::wrap_up::WrapUps;
use crate::browser::sleep;
use crate::command::Command;
use crate::i18n::t;
use crate::model::Session;

/// How long the sign-in form stays, busy, waiting for the server's answer to its sign-in.
const FORM_STAYS_MS: i32 = 1_000;

/// The whole phone, rendered from the [`PhoneState`] in context.
#[component]
pub fn Phone() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    // A memo: the header, the form and the sounds change when a phone starts or stops, not at
    // each step of its registration.
    let phone_runs = Memo::new(move |_| state.session.with(|s| s.phone_runs()));
    // The controls replace the sign-in form once the server has answered the sign-in typed in
    // it: until then the form stays, busy, and nothing but the status line is drawn while the
    // REGISTER and its challenge cross the network. A server slow to answer gets the controls
    // (and Sign out) after a moment; a sign-in not typed here (a reload's, another window's)
    // gets them at once.
    let controls = RwSignal::new(phone_runs.get_untracked());
    let typed = RwSignal::new(false);
    // Set only when they change: a signal set tells its readers even when its value stays,
    // and the header would be built again at each step of the session.
    let show_controls = move |shown: bool| {
        if controls.try_get_untracked().is_some_and(|now| now != shown) {
            controls.set(shown);
        }
    };
    Effect::new(move |_| {
        let signing_in = state.session.with(|s| *s == Session::SigningIn);
        if !phone_runs.get() {
            show_controls(false);
            typed.set(false);
        } else if signing_in && typed.get_untracked() && !controls.get_untracked() {
            spawn_local(async move {
                sleep(FORM_STAYS_MS).await;
                if phone_runs.try_get_untracked() == Some(true) {
                    show_controls(true);
                }
            });
        } else {
            typed.set(false);
            show_controls(true);
        }
    });
    view! {
        <main class="fp-phone">
            // The agent's state and the way out, always in view.
            <header class="fp-header">
                {move || controls.get().then(|| view! { <AgentStatus /> })}
                <span class="fp-header__space"></span>
                {move || {
                    controls.get().then(|| view! {
                        <button
                            type="button"
                            class="fp-button fp-button--quiet"
                            on:click=move |_| state.commands.send(Command::SignOut)
                        >
                            {t("phone.sign-out")}
                        </button>
                    })
                }}
            </header>
            <div class="fp-info">
                <div class="fp-status" role="status">{move || state.status_text()}</div>
                <PhoneHomeBar />
                {move || {
                    state
                        .record_in_view
                        .get()
                        .map(|record| {
                            let (before, after) = around(&t("panel.viewing"), "record");
                            view! { <p class="fp-context">{before} <strong><Name name=record /></strong> {after}</p> }
                        })
                }}
            </div>
            {move || (!controls.get()).then(|| view! { <SignIn typed=typed /> })}
            // Only the window that has the phone rings.
            {move || (controls.get() && state.home.get().here()).then(|| view! { <Alerts /> })}
            <Calls />
            <RecordPickers />
            <WrapUps />
            {move || {
                state.notice.get().map(|notice| view! { <p class="fp-notice" role="alert">{notice}</p> })
            }}
            {move || {
                state.view_notice.get().map(|notice| view! { <p class="fp-notice" role="alert">{notice}</p> })
            }}
            <Activity />
            <Tabs />
            {Tab::ALL
                .into_iter()
                .map(|tab| {
                    view! {
                        <section
                            class="fp-panel"
                            role="tabpanel"
                            id=format!("fp-panel-{}", tab.id())
                            aria-labelledby=format!("fp-tab-{}", tab.id())
                            hidden=move || state.tab.get() != tab
                        >
                            {match tab {
                                Tab::DialPad => view! { <DialPad /> }.into_any(),
                                Tab::Directory => view! { <Directory /> }.into_any(),
                                Tab::History => view! { <History /> }.into_any(),
                                Tab::Messages => view! { <Messages /> }.into_any(),
                                Tab::Settings => view! { <Settings /> }.into_any(),
                            }}
                        </section>
                    }
                })
                .collect_view()}
        </main>
    }
}
