//! The phone: status line, tabs and the selected tab's panel.

use leptos::prelude::*;

use super::agent_status::AgentStatus;
use super::alerts::Alerts;
use super::calls::Calls;
use super::dial_pad::DialPad;
use super::directory::Directory;
use super::history::History;
use super::settings::Settings;
use super::shortcuts::Shortcuts;
use super::sign_in::{SignIn, sign_out};
use super::state::{PhoneState, Registration, Tab};
use super::tabs::Tabs;
use super::untrusted::Name;

/// The whole phone, rendered from the [`PhoneState`] in context.
#[component]
pub fn Phone() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    view! {
        <main class="fp-phone">
            <header class="fp-header">
                <div class="fp-status" role="status">
                    {move || state.status_text()}
                </div>
                {move || {
                    state
                        .user
                        .get()
                        .map(|_| {
                            view! {
                                <AgentStatus />
                                <button type="button" class="fp-button fp-button--quiet" on:click=move |_| sign_out(state)>
                                    "Sign out"
                                </button>
                            }
                        })
                }}
            </header>
            {move || {
                let signed_out = matches!(state.registration.get(), Registration::SignedOut | Registration::Failed(_));
                signed_out.then(|| view! { <SignIn /> })
            }}
            {move || state.user.get().map(|_| view! { <Alerts /> })}
            <Calls />
            {move || {
                state
                    .record_in_view
                    .get()
                    .map(|record| view! { <p class="fp-context">"Viewing " <strong><Name name=record /></strong></p> })
            }}
            {move || {
                state.notice.get().map(|notice| view! { <p class="fp-notice" role="alert">{notice}</p> })
            }}
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
                            }}
                        </section>
                    }
                })
                .collect_view()}
            <footer class="fp-footer">
                <Settings />
                <Shortcuts />
            </footer>
        </main>
    }
}
