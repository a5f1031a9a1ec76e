//! Sign-in: the agent's SIP username and password, sent up as a command. The password stays
//! in the page's memory (the running agent's); what is kept for a reload is the digest secret
//! the server accepted (`crate::credentials`), stored by the phone once the registrar says yes.
//! Where the integration service mints the credentials (`service.callCredentials`), the form is
//! a single button that opens the service's sign-in window.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::state::PhoneState;
use crate::command::{Command, Password};
use crate::i18n::{t, t_args};
use crate::model::Session;

/// The sign-in form, shown while nobody is signed in.
#[component]
pub fn SignIn() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let service = state.config.with_value(|c| c.service.clone().filter(|s| s.call_credentials));
    if let Some(service) = service {
        return view! { <ServiceSignIn service=service.url.to_string() /> }.into_any();
    }
    // After a refused sign-in the username stays; the password is typed again.
    let username = RwSignal::new(state.user.get_untracked().unwrap_or_default());
    let password = RwSignal::new(String::new());
    let remember = RwSignal::new(false);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let typed = Password(password.get_untracked());
        password.set(String::new());
        let username = username.get_untracked().trim().to_owned();
        state.commands.send(Command::SignIn { username, password: typed, remember: remember.get_untracked() });
    };
    view! {
        <form class="fp-signin" on:submit=submit>
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
            <button type="submit" class="fp-button fp-button--primary">{t("panel.sign-in.sign-in")}</button>
        </form>
    }
    .into_any()
}

/// The sign-in where the integration service at `service` signs the agent in and mints the SIP
/// credentials: no password is typed here.
#[component]
fn ServiceSignIn(service: String) -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        state.commands.send(Command::SignInAtService);
    };
    view! {
        <form class="fp-signin" on:submit=submit>
            <p class="fp-signin__note">{t_args("panel.sign-in.at-service", &[("service", &service)])}</p>
            <SignInProblem />
            <button type="submit" class="fp-button fp-button--primary">{t("panel.sign-in.sign-in")}</button>
        </form>
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
