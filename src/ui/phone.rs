//! The phone: the agent's state, the status line, the calls, then the tabs and the selected
//! tab's panel in the space that remains.

use leptos::prelude::*;

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
use crate::command::Command;
use crate::i18n::t;

/// The whole phone, rendered from the [`PhoneState`] in context.
#[component]
pub fn Phone() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    // A memo: the header, the form and the sounds change when a phone starts or stops, not at
    // each step of its registration.
    let phone_runs = Memo::new(move |_| state.session.with(|s| s.phone_runs()));
    view! {
        <main class="fp-phone">
            // The agent's state and the way out, always in view.
            <header class="fp-header">
                {move || phone_runs.get().then(|| view! { <AgentStatus /> })}
                <span class="fp-header__space"></span>
                {move || {
                    phone_runs.get().then(|| view! {
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
            {move || (!phone_runs.get()).then(|| view! { <SignIn /> })}
            // Only the window that has the phone rings.
            {move || (phone_runs.get() && state.home.get().here()).then(|| view! { <Alerts /> })}
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
