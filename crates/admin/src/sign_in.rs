//! Sign-in, the first administrator created with the setup token the service printed, and
//! single sign-on at the organization's identity provider.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;

use crate::api;
use crate::app::Session;

/// The sign-in form, with the first start's setup as a second mode.
#[component]
pub fn SignIn() -> impl IntoView {
    let session = expect_context::<Session>();
    let first_start = RwSignal::new(false);
    let setup_token = RwSignal::new(String::new());
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let (user, pass) = (username.get_untracked().trim().to_owned(), password.get_untracked());
        password.set(String::new());
        let token = first_start.get_untracked().then(|| setup_token.get_untracked().trim().to_owned());
        spawn_local(async move {
            if let Some(token) = token {
                let body = json!({"setupToken": token, "username": user, "password": pass});
                if let Err(refused) = api::call("POST", "/api/setup", Some(&body)).await {
                    problem.set(Some(refused.message));
                    return;
                }
            }
            match api::call("POST", "/api/admin/session", Some(&json!({"username": user, "password": pass}))).await {
                Ok(answer) => {
                    api::set_csrf(answer["csrfToken"].as_str().map(str::to_owned));
                    session.0.set(Some(Some(answer["person"].clone())));
                }
                Err(refused) => problem.set(Some(refused.message)),
            }
        });
    };
    view! {
        <section aria-labelledby="fp-signin-title">
            <h2 id="fp-signin-title">{move || if first_start.get() { "Create the first administrator" } else { "Sign in" }}</h2>
            <form class="fp-form" on:submit=submit>
                <label class="fp-wide">
                    <input type="checkbox" prop:checked=move || first_start.get() on:change=move |ev| first_start.set(event_target_checked(&ev)) />
                    " First start: I have the setup token the service printed"
                </label>
                <Show when=move || first_start.get()>
                    <label for="fp-setup-token">"Setup token"</label>
                    <input id="fp-setup-token" type="password" autocomplete="off" prop:value=move || setup_token.get() on:input=move |ev| setup_token.set(event_target_value(&ev)) />
                </Show>
                <label for="fp-username">"Username"</label>
                <input id="fp-username" type="text" autocomplete="username" prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev)) />
                <label for="fp-password">"Password"</label>
                <input id="fp-password" type="password" autocomplete=move || if first_start.get() { "new-password" } else { "current-password" } prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                {move || problem.get().map(|p| view! { <p class="fp-problem fp-wide" role="alert">{p}</p> })}
                <div class="fp-wide">
                    <button type="submit" class="fp-primary">{move || if first_start.get() { "Create and sign in" } else { "Sign in" }}</button>
                </div>
            </form>
        </section>
        <Show when=move || !first_start.get()>
            <SingleSignOn />
        </Show>
    }
}

/// The `?tenant=` of the page's address, which a contact center's link to its admin UI carries.
fn tenant_in_address() -> String {
    let search = window().location().search().unwrap_or_default();
    web_sys::UrlSearchParams::new_with_str(&search).ok().and_then(|p| p.get("tenant")).unwrap_or_default()
}

/// Why `slug` names no contact center, as the service's rule for slugs has it.
fn slug_problem(slug: &str) -> Option<&'static str> {
    let ok = (2..=40).contains(&slug.len())
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && slug.starts_with(|c: char| c.is_ascii_lowercase())
        && !slug.ends_with('-');
    (!ok).then_some(
        "Enter your organization's short name, as in its addresses (…/t/acme/…): 2 to 40 lowercase letters, digits or dashes.",
    )
}

/// Sign in with single sign-on: the service sends the browser to the organization's identity
/// provider, whose answer it checks; its page then sets the session cookie and comes back to
/// `/admin/`, where `App` finds the session.
#[component]
fn SingleSignOn() -> impl IntoView {
    let organization = RwSignal::new(tenant_in_address());
    let problem = RwSignal::new(None::<&'static str>);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let slug = organization.get_untracked().trim().to_ascii_lowercase();
        if let Some(why) = slug_problem(&slug) {
            problem.set(Some(why));
            crate::fields::focus("fp-sso-organization");
            return;
        }
        problem.set(None);
        let _ = window().location().assign(&format!("/sso/{slug}/admins/start"));
    };
    view! {
        <section aria-labelledby="fp-sso-signin-title">
            <h2 id="fp-sso-signin-title">"Sign in with single sign-on"</h2>
            <p class="fp-muted">"Your organization's identity provider (Microsoft Entra ID, Okta…) signs you in, once an administrator has set it up under Single sign-on."</p>
            <form class="fp-form" on:submit=submit>
                <label for="fp-sso-organization">"Organization"</label>
                <input id="fp-sso-organization" type="text" autocomplete="organization" spellcheck="false" autocapitalize="none"
                    aria-invalid=move || problem.get().is_some().to_string() aria-describedby="fp-sso-organization-problem"
                    prop:value=move || organization.get() on:input=move |ev| organization.set(event_target_value(&ev)) />
                <div id="fp-sso-organization-problem" class="fp-wide">
                    {move || problem.get().map(|p| view! { <p class="fp-problem" role="alert">{p}</p> })}
                </div>
                <div class="fp-wide">
                    <button type="submit">"Sign in with single sign-on"</button>
                </div>
            </form>
        </section>
    }
}
