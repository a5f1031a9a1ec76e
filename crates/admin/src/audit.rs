//! The audit log: who changed what and when (never a secret's value).

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use crate::api;

/// The audit tab: the newest 100 lines.
#[component]
pub fn Audit() -> impl IntoView {
    let lines = RwSignal::new(Vec::<Value>::new());
    let problem = RwSignal::new(None::<String>);
    spawn_local(async move {
        match api::call("GET", "/api/audit?limit=100", None).await {
            Ok(answer) => lines.set(answer["lines"].as_array().cloned().unwrap_or_default()),
            Err(refused) => problem.set(Some(refused.message)),
        }
    });
    let text = |line: &Value, key: &str| line[key].as_str().unwrap_or("").to_owned();
    view! {
        <section aria-labelledby="fp-audit-title">
            <h2 id="fp-audit-title">"Audit log"</h2>
            {move || problem.get().map(|p| view! { <p class="fp-problem" role="alert">{p}</p> })}
            <table>
                <thead><tr><th>"When (UTC)"</th><th>"Who"</th><th>"What"</th><th>"On"</th><th>"Detail"</th></tr></thead>
                <tbody>
                    {move || lines.get().iter().map(|line| view! {
                        <tr>
                            <td>{text(line, "at").replace('T', " ").trim_end_matches('Z').to_owned()}</td>
                            <td>{text(line, "actor")}</td>
                            <td>{text(line, "action")}</td>
                            <td>{text(line, "target")}</td>
                            <td>{text(line, "detail")}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
