//! Sign-in: the agent's SIP username and password. The password stays in memory only.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::state::{PhoneState, Registration};
use crate::credentials::{self, SignIn as Kept};
use crate::phone::Softphone;

/// Signs in and, when it could start, keeps the sign-in for the session (or longer).
fn start(state: PhoneState, user: &str, secret: &str, remember: bool) -> Result<(), String> {
    let phone = state.config.with_value(|config| Softphone::sign_in(config, user, secret, state))?;
    let user = user.trim().to_owned();
    credentials::keep(&Kept { username: user.clone(), password: secret.to_owned() }, remember);
    state.history.set(crate::history::load(&user));
    state.user.set(Some(user));
    state.phone.set_value(Some(phone));
    Ok(())
}

/// Signs in again with the sign-in kept for this session (after a reload), if there is one.
pub fn resume(state: PhoneState) {
    if let Some(kept) = credentials::kept() {
        let _ = start(state, &kept.username, &kept.password, credentials::remembered());
    }
}

/// The sign-in form, shown while nobody is signed in.
#[component]
pub fn SignIn() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let remember = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let (user, secret) = (username.get_untracked(), password.get_untracked());
        match start(state, &user, &secret, remember.get_untracked()) {
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

/// Signs the agent out (the button lives in the phone's header).
pub fn sign_out(state: PhoneState) {
    if let Some(phone) = state.phone.get_value() {
        phone.sign_out();
    }
    state.phone.set_value(None);
    credentials::forget();
    state.user.set(None);
    state.history.set(Vec::new());
    state.registration.set(Registration::SignedOut);
}
