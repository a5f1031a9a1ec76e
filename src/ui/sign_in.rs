//! Sign-in: the agent's SIP username and password. The password stays in the page's memory
//! (the running agent's); what is kept for a reload is the digest secret the server accepted
//! (`crate::credentials`), stored by the phone once the registrar says yes.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use sip::auth::{AuthCredentials, Credentials};

use super::state::{PhoneState, Registration};
use crate::credentials;
use crate::phone::{Keeping, Softphone};

/// Signs in; nothing is stored until the server accepts the credentials.
fn start(state: PhoneState, credentials: AuthCredentials, keeping: Keeping) -> Result<(), String> {
    // A phone left from a refused sign-in (it may still be retrying its registration) stops
    // first, so that two never run at once.
    if let Some(previous) = state.phone.get_value() {
        previous.sign_out();
    }
    let user = credentials.username().to_owned();
    let phone = state.config.with_value(|config| Softphone::sign_in(config, credentials, keeping, state))?;
    state.history.set(crate::history::load(&user));
    state.user.set(Some(user));
    state.phone.set_value(Some(phone));
    Ok(())
}

/// Signs in again with the sign-in kept for this session (after a reload), or a remembered
/// one, if there is one.
pub fn resume(state: PhoneState) {
    let Some((kept, remember)) = credentials::kept() else { return };
    match kept.credentials() {
        Ok(secret) => {
            if let Err(reason) = start(state, secret, Keeping { remember, resumed: true }) {
                credentials::forget();
                state.registration.set(Registration::Failed(reason));
            }
        }
        Err(_) => credentials::forget(),
    }
}

/// The sign-in form, shown while nobody is signed in.
#[component]
pub fn SignIn() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    // After a refused sign-in the username stays; the password is typed again.
    let username = RwSignal::new(state.user.get_untracked().unwrap_or_default());
    let password = RwSignal::new(String::new());
    let remember = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let typed =
            Credentials { username: username.get_untracked().trim().to_owned(), password: password.get_untracked() };
        let keeping = Keeping { remember: remember.get_untracked(), resumed: false };
        match start(state, typed.into(), keeping) {
            Ok(()) => {
                problem.set(None);
                password.set(String::new());
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
            <label class="fp-signin__remember">
                <input type="checkbox" prop:checked=move || remember.get() on:change=move |ev| remember.set(event_target_checked(&ev)) />
                "Remember me on this computer"
            </label>
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

/// Signs the agent out (the button lives in the phone's header) and forgets everything of
/// theirs this browser kept: the saved sign-in in both storages and their call history.
pub fn sign_out(state: PhoneState) {
    // No user from here on: the calls that end now are not saved to the history again.
    let user = state.user.get_untracked();
    state.user.set(None);
    if let Some(phone) = state.phone.get_value() {
        phone.sign_out();
    }
    state.phone.set_value(None);
    state.calls.set(Vec::new());
    credentials::forget();
    if let Some(user) = user {
        crate::history::forget(&user);
    }
    state.history.set(Vec::new());
    state.registration.set(Registration::SignedOut);
}
