//! Call logs the agents handed to the service: where each stands, why a refused one was
//! refused, and Retry once the cause is mended.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Value, json};

use crate::api;

/// The call-log tab: the newest 200 logs, or those in one state.
#[component]
pub fn CallLogs() -> impl IntoView {
    let logs = RwSignal::new(Vec::<Value>::new());
    let filter = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let reload = move || {
        let state = filter.get_untracked();
        let path = if state.is_empty() { "/api/call-logs".to_owned() } else { format!("/api/call-logs?state={state}") };
        spawn_local(async move {
            match api::call("GET", &path, None).await {
                Ok(answer) => {
                    logs.set(answer["logs"].as_array().cloned().unwrap_or_default());
                    problem.set(None);
                }
                Err(refused) => problem.set(Some(refused.message)),
            }
        });
    };
    reload();
    let retry = move |id: String| {
        spawn_local(async move {
            if let Err(refused) = api::call("POST", &format!("/api/call-logs/{id}/retry"), Some(&json!({}))).await {
                problem.set(Some(refused.message));
            }
            reload();
        });
    };
    let text =
        |log: &Value, key: &str| log[key].as_str().unwrap_or("").replace('T', " ").trim_end_matches('Z').to_owned();
    view! {
        <section aria-labelledby="fp-logs-title">
            <h2 id="fp-logs-title">"Call logs"</h2>
            <div class="fp-actions">
                <label for="fp-log-state">"Show"</label>
                <select id="fp-log-state" prop:value=move || filter.get() on:change=move |ev| { filter.set(event_target_value(&ev)); reload(); }>
                    <option value="">"All"</option>
                    <option value="queued">"Waiting"</option>
                    <option value="refused">"Refused"</option>
                    <option value="delivered">"Delivered"</option>
                </select>
                <button type="button" on:click=move |_| reload()>"Refresh"</button>
            </div>
            {move || problem.get().map(|p| view! { <p class="fp-problem" role="alert">{p}</p> })}
            <table>
                <thead><tr><th>"Call-ID"</th><th>"Agent"</th><th>"State"</th><th>"Attempts"</th><th>"Last error"</th><th>"Updated (UTC)"</th><th></th></tr></thead>
                <tbody>
                    {move || logs.get().iter().map(|log| {
                        let id = log["id"].as_str().unwrap_or("").to_owned();
                        let call_id = text(log, "callId");
                        let refused = log["state"] == "refused";
                        let state = match log["state"].as_str() { Some("queued") => "Waiting", Some("refused") => "Refused", Some("delivered") => "Delivered", _ => "" };
                        view! {
                            <tr>
                                <td>{call_id.clone()}</td>
                                <td>{text(log, "agent")}</td>
                                <td>{state}</td>
                                <td>{log["attempts"].as_i64().unwrap_or(0)}</td>
                                <td>{text(log, "lastError")}</td>
                                <td>{text(log, "updatedAt")}</td>
                                <td>{refused.then(|| view! {
                                    <button type="button" aria-label=format!("Retry the log of {call_id}") on:click=move |_| retry(id.clone())>"Retry"</button>
                                })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <Show when=move || logs.get().is_empty()>
                <p class="fp-muted">"No call logs."</p>
            </Show>
        </section>
    }
}
