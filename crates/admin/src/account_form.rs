//! The form that adds or edits an integration account: its kind's fields, and its secrets as
//! write-only inputs (shown as set or not, never filled; left empty, a secret is kept).

use std::collections::HashMap;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Map, Value, json};

use crate::api;

/// How a field is typed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Input {
    Text,
    Number,
    Flag,
    Auth,
    Secret,
    Pem,
}

/// A field: its path in the API (`settings.instanceUrl`), label, input and hint.
type Field = (&'static str, &'static str, Input, &'static str);

const SERVICENOW: [Field; 5] = [
    ("name", "Name", Input::Text, ""),
    ("settings.instanceUrl", "Instance URL", Input::Text, "https://<instance>.service-now.com"),
    ("settings.clientId", "Client ID", Input::Text, "System OAuth › Application Registry"),
    (
        "settings.refreshTokenLifetimeDays",
        "Refresh token lifespan (days)",
        Input::Number,
        "the application's lifespan; 100 by default",
    ),
    ("secrets.clientSecret", "Client secret", Input::Secret, ""),
];

const SALESFORCE: [Field; 9] = [
    ("name", "Name", Input::Text, ""),
    ("settings.myDomainUrl", "My Domain URL", Input::Text, "https://<domain>.my.salesforce.com"),
    ("settings.sandbox", "Sandbox", Input::Flag, ""),
    ("settings.consumerKey", "Consumer key", Input::Text, ""),
    ("settings.apiVersion", "API version", Input::Text, "68.0"),
    ("settings.auth", "Sign-in", Input::Auth, ""),
    ("settings.username", "Username (JWT bearer)", Input::Text, ""),
    ("secrets.consumerSecret", "Consumer secret", Input::Secret, ""),
    ("secrets.privateKey", "Private key (PEM, JWT bearer)", Input::Pem, ""),
];

fn fields(kind: &str) -> &'static [Field] {
    if kind == "salesforce" { &SALESFORCE } else { &SERVICENOW }
}

/// The field's current value in `account`, as text.
fn current(account: &Value, path: &str) -> String {
    let value = match path.split_once('.') {
        Some((group, key)) => &account[group][key],
        None => &account[path],
    };
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// What a stored secret shows: set since when, or not set.
fn secret_state(account: Option<&Value>, path: &str) -> String {
    let key = path.trim_start_matches("secrets.");
    match account.map(|a| &a["secrets"][key]) {
        Some(state) if state["set"] == true => {
            format!(
                "•••••••• set {}; type to replace",
                state["updatedAt"].as_str().unwrap_or("").replace('T', " ").trim_end_matches('Z')
            )
        }
        _ => "not set".to_owned(),
    }
}

/// The request body from the typed values: settings in their types, secrets only when typed.
fn body(kind: &str, values: &HashMap<&'static str, String>, default: bool, new: bool) -> Value {
    let mut settings = Map::new();
    let mut secrets = Map::new();
    for (path, _, input, _) in fields(kind) {
        let text = values.get(path).cloned().unwrap_or_default();
        if let Some(key) = path.strip_prefix("settings.") {
            let value = match input {
                Input::Flag => Value::Bool(text == "true"),
                Input::Number => text.trim().parse::<u64>().map(Value::from).unwrap_or(Value::String(text)),
                _ if text.trim().is_empty() && key == "username" => Value::Null,
                _ => Value::String(text.trim().to_owned()),
            };
            settings.insert(key.to_owned(), value);
        } else if let Some(key) = path.strip_prefix("secrets.")
            && !text.is_empty()
        {
            secrets.insert(key.to_owned(), Value::String(text));
        }
    }
    let mut body = json!({"name": values.get("name").cloned().unwrap_or_default().trim(), "default": default, "settings": settings, "secrets": secrets});
    if new {
        body["kind"] = Value::String(kind.to_owned());
    }
    body
}

/// Adds an account of `kind`, or edits `account`; `done` runs after a save or Cancel.
#[component]
pub fn AccountForm(kind: String, account: Option<Value>, done: Callback<()>) -> impl IntoView {
    let initial: HashMap<&'static str, String> = fields(&kind)
        .iter()
        .map(|(path, _, input, _)| {
            let value = match (&account, input) {
                (_, Input::Secret | Input::Pem) => String::new(),
                (Some(account), _) => current(account, path),
                (None, Input::Number) => "100".to_owned(),
                (None, Input::Text) if *path == "settings.apiVersion" => "68.0".to_owned(),
                (None, Input::Auth) => "refreshToken".to_owned(),
                (None, _) => String::new(),
            };
            (*path, value)
        })
        .collect();
    let values = RwSignal::new(initial);
    let default = RwSignal::new(account.as_ref().is_some_and(|a| a["default"] == true));
    let problem = RwSignal::new(None::<api::Problem>);
    let id = account.as_ref().and_then(|a| a["id"].as_str()).map(str::to_owned);
    let title = match (&account, kind.as_str()) {
        (Some(a), _) => format!("Edit {}", a["name"].as_str().unwrap_or("")),
        (None, "salesforce") => "Add a Salesforce account".to_owned(),
        (None, _) => "Add a ServiceNow account".to_owned(),
    };
    let kind_for_save = kind.clone();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let body = body(&kind_for_save, &values.get_untracked(), default.get_untracked(), id.is_none());
        let (method, path) = match &id {
            Some(id) => ("PATCH", format!("/api/accounts/{id}")),
            None => ("POST", "/api/accounts".to_owned()),
        };
        spawn_local(async move {
            match api::call(method, &path, Some(&body)).await {
                Ok(_) => done.run(()),
                Err(refused) => problem.set(Some(refused)),
            }
        });
    };
    let account_for_fields = account.clone();
    view! {
        <section aria-labelledby="fp-account-form-title">
            <h2 id="fp-account-form-title">{title}</h2>
            <form class="fp-form" on:submit=submit>
                {fields(&kind)
                    .iter()
                    .map(|(path, label, input, hint)| {
                        let (path, input) = (*path, *input);
                        let id = format!("fp-field-{}", path.replace('.', "-"));
                        let error_id = format!("{id}-problem");
                        let invalid = move || problem.get().and_then(|p| p.field).is_some_and(|f| f == path);
                        let value = move || values.get().get(path).cloned().unwrap_or_default();
                        let set = move |text: String| values.update(|v| { v.insert(path, text); });
                        let placeholder = match input {
                            Input::Secret | Input::Pem => secret_state(account_for_fields.as_ref(), path),
                            _ => hint.to_string(),
                        };
                        let control = match input {
                            Input::Flag => view! {
                                <input id=id.clone() type="checkbox" prop:checked=move || value() == "true" on:change=move |ev| set(event_target_checked(&ev).to_string()) />
                            }.into_any(),
                            Input::Auth => view! {
                                <select id=id.clone() prop:value=value on:change=move |ev| set(event_target_value(&ev))>
                                    <option value="refreshToken">"Refresh token (web-server flow)"</option>
                                    <option value="jwtBearer">"JWT bearer (certificate)"</option>
                                </select>
                            }.into_any(),
                            Input::Pem => view! {
                                <textarea id=id.clone() rows="4" placeholder=placeholder autocomplete="off" aria-invalid=move || invalid().to_string() aria-describedby=error_id.clone()
                                    prop:value=value on:input=move |ev| set(event_target_value(&ev))></textarea>
                            }.into_any(),
                            _ => view! {
                                <input id=id.clone() type=if input == Input::Secret { "password" } else { "text" } placeholder=placeholder
                                    autocomplete=if input == Input::Secret { "new-password" } else { "off" }
                                    aria-invalid=move || invalid().to_string() aria-describedby=error_id.clone()
                                    prop:value=value on:input=move |ev| set(event_target_value(&ev)) />
                            }.into_any(),
                        };
                        view! {
                            <label for=id>{*label}</label>
                            {control}
                        }
                    })
                    .collect_view()}
                <label class="fp-wide">
                    <input type="checkbox" prop:checked=move || default.get() on:change=move |ev| default.set(event_target_checked(&ev)) />
                    " Default account of its kind"
                </label>
                {move || problem.get().map(|p| {
                    let id = p.field.as_deref().map(|f| format!("fp-field-{}-problem", f.replace('.', "-"))).unwrap_or_default();
                    view! { <p class="fp-problem fp-wide" role="alert" id=id>{p.message}</p> }
                })}
                <div class="fp-actions fp-wide">
                    <button type="submit" class="fp-primary">"Save"</button>
                    <button type="button" on:click=move |_| done.run(())>"Cancel"</button>
                </div>
            </form>
        </section>
    }
}
