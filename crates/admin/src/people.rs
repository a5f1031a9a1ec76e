//! People: administrators and agents, each agent with the SIP user the phone registers as.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Value, json};

use crate::api;

/// The people tab: the list, Delete, and a form to add someone.
#[component]
pub fn People() -> impl IntoView {
    let people = RwSignal::new(Vec::<Value>::new());
    let problem = RwSignal::new(None::<String>);
    let reload = move || {
        spawn_local(async move {
            match api::call("GET", "/api/people", None).await {
                Ok(answer) => people.set(answer.as_array().cloned().unwrap_or_default()),
                Err(refused) => problem.set(Some(refused.message)),
            }
        });
    };
    reload();
    let delete = move |person: Value| {
        let id = person["id"].as_str().unwrap_or("").to_owned();
        spawn_local(async move {
            match api::call("DELETE", &format!("/api/people/{id}"), None).await {
                Ok(_) => problem.set(None),
                Err(refused) => problem.set(Some(refused.message)),
            }
            reload();
        });
    };
    let (username, display_name, role, sip_user, password) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new("agent".to_owned()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let add_problem = RwSignal::new(None::<String>);
    let add = move |event: SubmitEvent| {
        event.prevent_default();
        let sip = sip_user.get_untracked().trim().to_owned();
        let body = json!({
            "username": username.get_untracked().trim(), "displayName": display_name.get_untracked().trim(),
            "role": role.get_untracked(), "password": password.get_untracked(),
            "sipUser": if sip.is_empty() { Value::Null } else { Value::String(sip) },
        });
        spawn_local(async move {
            match api::call("POST", "/api/people", Some(&body)).await {
                Ok(_) => {
                    for field in [username, display_name, sip_user, password] {
                        field.set(String::new());
                    }
                    add_problem.set(None);
                    reload();
                }
                Err(refused) => add_problem.set(Some(refused.message)),
            }
        });
    };
    view! {
        <section aria-labelledby="fp-people-title">
            <h2 id="fp-people-title">"People"</h2>
            {move || problem.get().map(|p| view! { <p class="fp-problem" role="alert">{p}</p> })}
            <table>
                <thead><tr><th>"Username"</th><th>"Name"</th><th>"Role"</th><th>"SIP user"</th><th>"Actions"</th></tr></thead>
                <tbody>
                    <For each=move || people.get() key=|p| p.to_string() let:person>
                        {
                            let username = person["username"].as_str().unwrap_or("").to_owned();
                            let target = person.clone();
                            view! {
                                <tr>
                                    <td>{username.clone()}</td>
                                    <td>{person["displayName"].as_str().unwrap_or("").to_owned()}</td>
                                    <td>{if person["role"] == "admin" { "Administrator" } else { "Agent" }}</td>
                                    <td>{person["sipUser"].as_str().unwrap_or("—").to_owned()}</td>
                                    <td><button type="button" class="fp-danger" aria-label=format!("Delete {username}") on:click=move |_| delete(target.clone())>"Delete"</button></td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
        </section>
        <section aria-labelledby="fp-add-person-title">
            <h2 id="fp-add-person-title">"Add a person"</h2>
            <form class="fp-form" on:submit=add>
                <label for="fp-person-username">"Username"</label>
                <input id="fp-person-username" type="text" autocomplete="off" prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev)) />
                <label for="fp-person-name">"Display name"</label>
                <input id="fp-person-name" type="text" autocomplete="off" prop:value=move || display_name.get() on:input=move |ev| display_name.set(event_target_value(&ev)) />
                <label for="fp-person-role">"Role"</label>
                <select id="fp-person-role" prop:value=move || role.get() on:change=move |ev| role.set(event_target_value(&ev))>
                    <option value="agent">"Agent"</option>
                    <option value="admin">"Administrator"</option>
                </select>
                <label for="fp-person-sip">"SIP user"</label>
                <input id="fp-person-sip" type="text" autocomplete="off" prop:value=move || sip_user.get() on:input=move |ev| sip_user.set(event_target_value(&ev)) />
                <label for="fp-person-password">"Password"</label>
                <input id="fp-person-password" type="password" autocomplete="new-password" prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                {move || add_problem.get().map(|p| view! { <p class="fp-problem fp-wide" role="alert">{p}</p> })}
                <div class="fp-wide"><button type="submit" class="fp-primary">"Add person"</button></div>
            </form>
        </section>
    }
}
