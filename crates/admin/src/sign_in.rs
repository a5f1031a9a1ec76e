//! Sign-in, and the first administrator created with the setup token the service printed.

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
    }
}
