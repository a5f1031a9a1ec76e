//! Sign-in: the agent's SIP username and password. The password stays in memory only.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::state::{PhoneState, Registration};
use crate::phone::Softphone;

/// The sign-in form, shown while nobody is signed in.
#[component]
pub fn SignIn() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let (user, secret) = (username.get_untracked(), password.get_untracked());
        let started = state.config.with_value(|config| Softphone::sign_in(config, &user, &secret, state));
        match started {
            Ok(phone) => {
                problem.set(None);
                password.set(String::new());
                state.history.set(crate::history::load(user.trim()));
                state.user.set(Some(user.trim().to_owned()));
                state.phone.set_value(Some(phone));
            }
            Err(reason) => problem.set(Some(reason)),
        }
    };
    view! {
        <form class="fp-signin" on:submit=submit>
            <label for="fp-username">"Username"</label>
            <input
                id="fp-username"
                type="text"
                autocomplete="username"
                spellcheck="false"
                prop:value=move || username.get()
                on:input=move |ev| username.set(event_target_value(&ev))
            />
            <label for="fp-password">"Password"</label>
            <input
                id="fp-password"
                type="password"
                autocomplete="current-password"
                prop:value=move || password.get()
                on:input=move |ev| password.set(event_target_value(&ev))
            />
            {move || {
                let failed = match state.registration.get() {
                    Registration::Failed(reason) => Some(format!("Sign-in failed: {reason}.")),
                    _ => None,
                };
                problem.get().or(failed).map(|text| view! { <p class="fp-signin__problem" role="alert">{text}</p> })
            }}
            <button type="submit" class="fp-button fp-button--primary">"Sign in"</button>
        </form>
    }
}

/// Signs the agent out (the button lives in the phone's header).
pub fn sign_out(state: PhoneState) {
    if let Some(phone) = state.phone.get_value() {
        phone.sign_out();
    }
    state.phone.set_value(None);
    state.user.set(None);
    state.history.set(Vec::new());
    state.registration.set(Registration::SignedOut);
}
