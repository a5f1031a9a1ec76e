//! Sign-in: the agent's SIP username and password, sent up as a command. The password stays
//! in the page's memory (the running agent's); what is kept for a reload is the digest secret
//! the server accepted (`crate::credentials`), stored by the phone once the registrar says yes.
//! Where the integration service mints the credentials (`service.callCredentials`), the form is
//! a single button that opens the service's sign-in window.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::repeat_guard::RepeatGuard;
use super::state::PhoneState;
use crate::command::{Command, Password};
use crate::i18n::{t, t_args};
use crate::model::Session;

/// How often the form tells the phone that a sign-in is coming, at most.
const PREPARE_EVERY_MS: f64 = 5_000.0;

/// A second submit within this of the first, before the session has changed, is the same one.
const RESUBMIT_WITHIN_MS: f64 = 1_000.0;

/// The sign-in form, shown while nobody is signed in; it sets `typed` when the agent submits it.
#[component]
pub fn SignIn(typed: RwSignal<bool>) -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let service = state.config.with_value(|c| c.service.clone().filter(|s| s.call_credentials));
    if let Some(service) = service {
        return view! { <ServiceSignIn service=service.url.to_string() typed=typed /> }.into_any();
    }
    // After a refused sign-in the username stays; the password is typed again. The form may be
    // up before the phone names its user (a kept sign-in refused before it was drawn).
    let username = RwSignal::new(state.user.get_untracked().unwrap_or_default());
    Effect::new(move |_| {
        if let Some(user) = state.user.get()
            && username.with_untracked(String::is_empty)
        {
            username.set(user);
        }
    });
    let password = RwSignal::new(String::new());
    let remember = RwSignal::new(false);
    // Typing here says a sign-in is coming: the phone connects meanwhile. Told again now and
    // then, since a connection left unused is closed.
    let told = RepeatGuard::new(PREPARE_EVERY_MS);
    let presses = RepeatGuard::until_changed(RESUBMIT_WITHIN_MS, move || state.session.track());
    let prepare = move || {
        if told.new_press() {
            state.commands.send(Command::PrepareSignIn);
        }
    };
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if !presses.new_press() {
            return;
        }
        let password_typed = Password(password.get_untracked());
        password.set(String::new());
        let username = username.get_untracked().trim().to_owned();
        typed.set(true);
        state.commands.send(Command::SignIn { username, password: password_typed, remember: remember.get_untracked() });
    };
    view! {
        <form class="fp-signin" on:submit=submit on:focusin=move |_| prepare() on:input=move |_| prepare()>
            <label for="fp-username">{t("panel.sign-in.username")}</label>
            <input
                id="fp-username"
                type="text"
                autocomplete="username"
                spellcheck="false"
                // The attribute fills a new form; the property follows later changes.
                value=username.get_untracked()
                prop:value=move || username.get()
                on:input=move |ev| username.set(event_target_value(&ev))
            />
            <label for="fp-password">{t("panel.sign-in.password")}</label>
            <input
                id="fp-password"
                type="password"
                autocomplete="current-password"
                prop:value=move || password.get()
                on:input=move |ev| password.set(event_target_value(&ev))
            />
            <label class="fp-signin__remember">
                <input type="checkbox" prop:checked=move || remember.get() on:change=move |ev| remember.set(event_target_checked(&ev)) />
                {t("panel.sign-in.remember")}
            </label>
            <SignInProblem />
            <SignInButton />
        </form>
    }
    .into_any()
}

/// The sign-in where the integration service at `service` signs the agent in and mints the SIP
/// credentials: no password is typed here.
#[component]
fn ServiceSignIn(service: String, typed: RwSignal<bool>) -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let presses = RepeatGuard::until_changed(RESUBMIT_WITHIN_MS, move || state.session.track());
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if !presses.new_press() {
            return;
        }
        typed.set(true);
        state.commands.send(Command::SignInAtService);
    };
    view! {
        <form class="fp-signin" on:submit=submit>
            <p class="fp-signin__note">{t_args("panel.sign-in.at-service", &[("service", &service)])}</p>
            <SignInProblem />
            <SignInButton />
        </form>
    }
}

/// The form's submit button, disabled while its sign-in is on its way (no second one).
#[component]
fn SignInButton() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let busy = move || state.session.with(|s| *s == Session::SigningIn);
    view! {
        <button type="submit" class="fp-button fp-button--primary" disabled=busy aria-busy=move || busy().to_string()>
            {t("panel.sign-in.sign-in")}
        </button>
    }
}

/// Why the last sign-in failed, announced.
#[component]
fn SignInProblem() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    move || match state.session.get() {
        Session::Failed(reason) => {
            let problem = t_args("panel.sign-in.failed", &[("reason", &reason)]);
            Some(view! { <p class="fp-signin__problem" role="alert">{problem}</p> })
        }
        _ => None,
    }
}
