//! The integration accounts: the list, and each account's actions (Edit, Test connection,
//! Request refresh token, Make default, Delete), with what the service answered.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Value, json};

use crate::account_form::AccountForm;
use crate::api;
use crate::wizard::{self, CredentialWizard};

/// What is open below the list.
#[derive(Clone)]
enum Panel {
    None,
    Wizard,
    Add(&'static str),
    Edit(Value),
    RefreshToken(Value),
    Delete(Value),
}

/// An action's outcome, shown in the status region.
#[derive(Clone)]
struct Outcome {
    ok: bool,
    summary: String,
    checks: Vec<Value>,
}

fn name_of(account: &Value) -> String {
    account["name"].as_str().unwrap_or("").to_owned()
}

fn site_of(account: &Value) -> String {
    let settings = &account["settings"];
    settings["instanceUrl"].as_str().or(settings["myDomainUrl"].as_str()).unwrap_or("").to_owned()
}

/// The credentials' state in words.
fn token_words(account: &Value) -> String {
    if account["settings"]["auth"] == "jwtBearer" {
        let key = if account["secrets"]["privateKey"]["set"] == true { "private key set" } else { "no private key" };
        return format!("JWT bearer as {}, {key}", account["settings"]["username"].as_str().unwrap_or(""));
    }
    let token = &account["secrets"]["refreshToken"];
    if token["set"] != true {
        return "no refresh token".to_owned();
    }
    let until = token["expiresAt"].as_str().map(|t| t.replace('T', " ").trim_end_matches('Z').to_owned());
    match (until, token["expiresSoon"] == true) {
        (Some(until), true) => format!("refresh token expires soon ({until} UTC)"),
        (Some(until), false) => format!("refresh token valid until {until} UTC"),
        (None, _) => "refresh token set".to_owned(),
    }
}

/// The accounts tab.
#[component]
pub fn Accounts() -> impl IntoView {
    let accounts = RwSignal::new(Vec::<Value>::new());
    let problem = RwSignal::new(None::<String>);
    let panel = RwSignal::new(Panel::None);
    let outcome = RwSignal::new(None::<Outcome>);
    let reload = move || {
        spawn_local(async move {
            match api::call("GET", "/api/accounts", None).await {
                Ok(answer) => {
                    accounts.set(answer["accounts"].as_array().cloned().unwrap_or_default());
                    problem.set(None);
                }
                Err(refused) => problem.set(Some(refused.message)),
            }
        });
    };
    reload();
    let done = Callback::new(move |()| {
        panel.set(Panel::None);
        reload();
    });
    let test = move |account: Value| {
        let id = account["id"].as_str().unwrap_or("").to_owned();
        let name = name_of(&account);
        outcome.set(Some(Outcome { ok: true, summary: format!("Testing {name}…"), checks: Vec::new() }));
        spawn_local(async move {
            let result = api::call("POST", &format!("/api/accounts/{id}/test"), Some(&json!({}))).await;
            outcome.set(Some(match result {
                Ok(report) => Outcome {
                    ok: report["ok"] == true,
                    summary: format!("{name}: {}", report["summary"].as_str().unwrap_or("")),
                    checks: report["checks"].as_array().cloned().unwrap_or_default(),
                },
                Err(refused) => {
                    Outcome { ok: false, summary: format!("{name}: {}", refused.message), checks: Vec::new() }
                }
            }));
            reload();
        });
    };
    // The sign-in popup's last page reports here, from this page's own origin only.
    let _listener = window_event_listener(leptos::ev::message, move |event| {
        let own = window().location().origin().ok();
        if Some(event.origin()) != own {
            return;
        }
        let data = event.data();
        let kind = js_sys::Reflect::get(&data, &"type".into()).ok().and_then(|v| v.as_string());
        if kind.as_deref() != Some("framephone-sign-in") {
            return;
        }
        let connected = js_sys::Reflect::get(&data, &"outcome".into()).ok().and_then(|v| v.as_string()).as_deref()
            == Some("connected");
        let summary = if connected {
            "Signed in: the refresh token is stored"
        } else {
            "The sign-in did not give a refresh token: its window says why"
        };
        outcome.set(Some(Outcome { ok: connected, summary: summary.to_owned(), checks: Vec::new() }));
        reload();
    });
    let sign_in = move |account: Value| {
        let id = account["id"].as_str().unwrap_or("").to_owned();
        // Opened within the click, or the browser blocks it; the CRM's address follows.
        let popup = window()
            .open_with_url_and_target_and_features("about:blank", "framephone-sign-in", "popup,width=520,height=640")
            .ok()
            .flatten();
        let Some(popup) = popup else {
            problem.set(Some(
                "The browser blocked the sign-in window: allow pop-ups for this page and try again.".to_owned(),
            ));
            return;
        };
        spawn_local(async move {
            match api::call("POST", &format!("/api/accounts/{id}/authorize"), Some(&json!({}))).await {
                Ok(answer) => {
                    let _ = popup.location().set_href(answer["url"].as_str().unwrap_or("about:blank"));
                }
                Err(refused) => {
                    let _ = popup.close();
                    problem.set(Some(refused.message));
                }
            }
        });
    };
    let check_limits = move |account: Value| {
        let id = account["id"].as_str().unwrap_or("").to_owned();
        let name = name_of(&account);
        spawn_local(async move {
            let result = api::call("POST", &format!("/api/accounts/{id}/limits"), Some(&json!({}))).await;
            outcome.set(Some(match result {
                Ok(limits) => Outcome {
                    ok: true,
                    summary: limits["message"].as_str().unwrap_or("").to_owned(),
                    checks: Vec::new(),
                },
                Err(refused) => {
                    Outcome { ok: false, summary: format!("{name}: {}", refused.message), checks: Vec::new() }
                }
            }));
            reload();
        });
    };
    let make_default = move |account: Value| {
        let id = account["id"].as_str().unwrap_or("").to_owned();
        spawn_local(async move {
            if let Err(refused) =
                api::call("PATCH", &format!("/api/accounts/{id}"), Some(&json!({"default": true}))).await
            {
                problem.set(Some(refused.message));
            }
            reload();
        });
    };
    view! {
        <section aria-labelledby="fp-accounts-title">
            <h2 id="fp-accounts-title">"Integration accounts"</h2>
            {move || problem.get().map(|p| view! { <p class="fp-problem" role="alert">{p}</p> })}
            <table>
                <thead><tr><th>"Name"</th><th>"CRM"</th><th>"Site"</th><th>"Credentials"</th><th>"Actions"</th></tr></thead>
                <tbody>
                    <For each=move || accounts.get() key=|a| a.to_string() let:account>
                        {
                            let name = name_of(&account);
                            let kind = account["kind"].as_str().unwrap_or("").to_owned();
                            let servicenow = kind == "servicenow";
                            let default = account["default"] == true;
                            let jwt = account["settings"]["auth"] == "jwtBearer";
                            let (edit, test_it, token, del, make, popup, limits) = (account.clone(), account.clone(), account.clone(), account.clone(), account.clone(), account.clone(), account.clone());
                            let sf_popup = account.clone();
                            view! {
                                <tr>
                                    <td>{name.clone()}{default.then(|| view! { <span class="fp-muted">" (default)"</span> })}</td>
                                    <td>{if servicenow { "ServiceNow" } else { "Salesforce" }}</td>
                                    <td>{site_of(&account)}</td>
                                    <td>{token_words(&account)}</td>
                                    <td class="fp-actions">
                                        <button type="button" aria-label=format!("Edit {name}") on:click=move |_| panel.set(Panel::Edit(edit.clone()))>"Edit"</button>
                                        <button type="button" aria-label=format!("Test connection of {name}") on:click=move |_| test(test_it.clone())>"Test connection"</button>
                                        {servicenow.then(|| view! {
                                            <button type="button" aria-label=format!("Request refresh token for {name}") on:click=move |_| panel.set(Panel::RefreshToken(token.clone()))>"Request refresh token"</button>
                                            <button type="button" aria-label=format!("Sign in with ServiceNow for {name}") on:click=move |_| sign_in(popup.clone())>"Sign in with ServiceNow"</button>
                                        })}
                                        {(!servicenow && !jwt).then(|| view! {
                                            <button type="button" aria-label=format!("Request token for {name}") on:click=move |_| sign_in(sf_popup.clone())>"Request token"</button>
                                        })}
                                        {(!servicenow).then(|| view! {
                                            <button type="button" aria-label=format!("Check limits of {name}") on:click=move |_| check_limits(limits.clone())>"Check limits"</button>
                                        })}
                                        {(!default).then(|| view! {
                                            <button type="button" aria-label=format!("Make {name} the default") on:click=move |_| make_default(make.clone())>"Make default"</button>
                                        })}
                                        <button type="button" class="fp-danger" aria-label=format!("Delete {name}") on:click=move |_| panel.set(Panel::Delete(del.clone()))>"Delete"</button>
                                    </td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
            <Show when=move || accounts.get().is_empty()>
                <p class="fp-muted">"No integration accounts yet."</p>
            </Show>
            <div class="fp-actions">
                <button type="button" class="fp-primary" on:click=move |_| panel.set(Panel::Wizard)>"Create integration credential"</button>
                <button type="button" on:click=move |_| panel.set(Panel::Add("servicenow"))>"Add ServiceNow account"</button>
                <button type="button" on:click=move |_| panel.set(Panel::Add("salesforce"))>"Add Salesforce account"</button>
            </div>
            <div role="status" aria-live="polite">
                {move || outcome.get().map(|o| view! {
                    <p class=if o.ok { "fp-ok" } else { "fp-problem" }>{o.summary}</p>
                    <ul class="fp-checks">
                        {o.checks.into_iter().map(|check| {
                            let class = if check["ok"] == true { "" } else { "fp-failed" };
                            let text = format!("{}: {}", check["capability"].as_str().unwrap_or(""), check["message"].as_str().unwrap_or(""));
                            view! { <li class=class>{text}</li> }
                        }).collect_view()}
                    </ul>
                })}
            </div>
        </section>
        {move || match panel.get() {
            Panel::None => ().into_any(),
            Panel::Wizard => view! { <CredentialWizard taken=wizard::names(&accounts.get_untracked()) done /> }.into_any(),
            Panel::Add(kind) => view! { <AccountForm kind=kind.to_owned() account=None done /> }.into_any(),
            Panel::Edit(account) => {
                let kind = account["kind"].as_str().unwrap_or("servicenow").to_owned();
                view! { <AccountForm kind account=Some(account) done /> }.into_any()
            }
            Panel::RefreshToken(account) => view! { <RefreshToken account done outcome /> }.into_any(),
            Panel::Delete(account) => view! { <ConfirmDelete account done /> }.into_any(),
        }}
    }
}

/// Request refresh token: a ServiceNow user's credentials, sent once and kept nowhere.
#[component]
fn RefreshToken(account: Value, done: Callback<()>, outcome: RwSignal<Option<Outcome>>) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let id = account["id"].as_str().unwrap_or("").to_owned();
    let name = name_of(&account);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let body = json!({"username": username.get_untracked().trim(), "password": password.get_untracked()});
        password.set(String::new());
        let path = format!("/api/accounts/{id}/refresh-token");
        spawn_local(async move {
            match api::call("POST", &path, Some(&body)).await {
                Ok(answer) => {
                    let summary = answer["message"].as_str().unwrap_or("Refresh token received").to_owned();
                    outcome.set(Some(Outcome { ok: true, summary, checks: Vec::new() }));
                    done.run(());
                }
                Err(refused) => problem.set(Some(refused.message)),
            }
        });
    };
    view! {
        <section aria-labelledby="fp-refresh-title">
            <h2 id="fp-refresh-title">{format!("Request refresh token for {name}")}</h2>
            <p class="fp-muted">"A ServiceNow user's credentials, used once to get the refresh token and kept nowhere."</p>
            <form class="fp-form" on:submit=submit>
                <label for="fp-sn-username">"ServiceNow username"</label>
                <input id="fp-sn-username" type="text" autocomplete="off" prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev)) />
                <label for="fp-sn-password">"ServiceNow password"</label>
                <input id="fp-sn-password" type="password" autocomplete="off" prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                {move || problem.get().map(|p| view! { <p class="fp-problem fp-wide" role="alert">{p}</p> })}
                <div class="fp-actions fp-wide">
                    <button type="submit" class="fp-primary">"Request"</button>
                    <button type="button" on:click=move |_| done.run(())>"Cancel"</button>
                </div>
            </form>
        </section>
    }
}

/// Delete, once confirmed.
#[component]
fn ConfirmDelete(account: Value, done: Callback<()>) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    let id = account["id"].as_str().unwrap_or("").to_owned();
    let name = name_of(&account);
    let delete = move |_| {
        let path = format!("/api/accounts/{id}");
        spawn_local(async move {
            match api::call("DELETE", &path, None).await {
                Ok(_) => done.run(()),
                Err(refused) => problem.set(Some(refused.message)),
            }
        });
    };
    view! {
        <section role="alertdialog" aria-labelledby="fp-delete-title">
            <h2 id="fp-delete-title">{format!("Delete {name}?")}</h2>
            <p>"Its secrets and refresh token are deleted with it. Agents using it lose their CRM access until another account is the default."</p>
            {move || problem.get().map(|p| view! { <p class="fp-problem" role="alert">{p}</p> })}
            <div class="fp-actions">
                <button type="button" class="fp-danger" on:click=delete>"Delete account"</button>
                <button type="button" on:click=move |_| done.run(())>"Cancel"</button>
            </div>
        </section>
    }
}
