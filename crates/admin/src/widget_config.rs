//! The tenant's widget configuration: the `framephone.json` its agents' widget reads, edited
//! as text, checked by the service with the widget's own reader when saved (every problem named
//! with its key), and the address the widget's web server fetches it from; and the origins the
//! tenant's phone is served from, the only pages its agents' tokens go to.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;

use crate::api;

/// The widget configuration tab.
#[component]
pub fn WidgetConfig() -> impl IntoView {
    let text = RwSignal::new(String::new());
    let tenant = RwSignal::new(String::new());
    let url = RwSignal::new(String::new());
    let saved = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<api::Problem>);
    let origins = RwSignal::new(String::new());
    let origins_saved = RwSignal::new(None::<String>);
    let origins_problem = RwSignal::new(None::<api::Problem>);
    spawn_local(async move {
        match api::call("GET", "/api/tenant", None).await {
            Ok(answer) => {
                tenant.set(answer["tenant"]["name"].as_str().unwrap_or("").to_owned());
                url.set(answer["widgetConfigUrl"].as_str().unwrap_or("").to_owned());
                let listed: Vec<&str> = answer["tenant"]["widgetOrigins"]
                    .as_array()
                    .map(|list| list.iter().filter_map(|o| o.as_str()).collect())
                    .unwrap_or_default();
                origins.set(listed.join("\n"));
            }
            Err(refused) => problem.set(Some(refused)),
        }
        match api::call("GET", "/api/tenant/widget-config", None).await {
            Ok(answer) => text.set(answer["config"].as_str().unwrap_or("").to_owned()),
            Err(refused) => problem.set(Some(refused)),
        }
    });
    let save = move |_| {
        saved.set(None);
        spawn_local(async move {
            let body = json!({ "config": text.get_untracked() });
            match api::call("PUT", "/api/tenant/widget-config", Some(&body)).await {
                Ok(answer) => {
                    problem.set(None);
                    saved.set(Some(answer["message"].as_str().unwrap_or("Saved.").to_owned()));
                }
                Err(refused) => problem.set(Some(refused)),
            }
        });
    };
    let save_origins = move |_| {
        origins_saved.set(None);
        spawn_local(async move {
            let list: Vec<String> =
                origins.get_untracked().lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
            match api::call("PUT", "/api/tenant/widget-origins", Some(&json!({ "origins": list }))).await {
                Ok(answer) => {
                    origins_problem.set(None);
                    let saved: Vec<&str> = answer["widgetOrigins"]
                        .as_array()
                        .map(|list| list.iter().filter_map(|o| o.as_str()).collect())
                        .unwrap_or_default();
                    origins.set(saved.join("\n"));
                    origins_saved.set(Some(format!("Saved: {} phone origin(s).", saved.len())));
                }
                Err(refused) => origins_problem.set(Some(refused)),
            }
        });
    };
    view! {
        <section aria-labelledby="fp-widget-origins-title">
            <h2 id="fp-widget-origins-title">"Phone origins"</h2>
            <p class="fp-muted">"Where this contact center's phone is served from, one origin per line (https://phone.example.com). Its agents sign in and use their tokens only from these, or from the phones the service's operator lists for everyone."</p>
            <label for="fp-widget-origins">"Phone origins"</label>
            <textarea id="fp-widget-origins" class="fp-code" rows="4" spellcheck="false" autocomplete="off"
                aria-invalid=move || origins_problem.get().is_some().to_string()
                prop:value=move || origins.get() on:input=move |ev| origins.set(event_target_value(&ev))></textarea>
            {move || origins_problem.get().map(|p| view! { <p class="fp-problem" role="alert">{p.message}</p> })}
            {move || origins_saved.get().map(|message| view! { <p role="status">{message}</p> })}
            <div class="fp-actions">
                <button type="button" class="fp-primary" on:click=save_origins>"Save origins"</button>
            </div>
        </section>
        <section aria-labelledby="fp-widget-config-title">
            <h2 id="fp-widget-config-title">"Widget configuration"</h2>
            <p class="fp-muted">
                {move || format!("The framephone.json of {}'s phone, served at ", tenant.get())}
                <a href=move || url.get()>{move || url.get()}</a>
                ". The phone reads framephone.json from its own web server: serve this file there (and write the deployment headers from it again when it changes)."
            </p>
            <label for="fp-widget-config">"framephone.json"</label>
            <textarea id="fp-widget-config" class="fp-code" rows="22" spellcheck="false" autocomplete="off"
                aria-invalid=move || problem.get().is_some_and(|p| !p.problems.is_empty()).to_string()
                aria-describedby="fp-widget-config-problems"
                prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <div id="fp-widget-config-problems">
                {move || problem.get().map(|p| view! {
                    <div class="fp-problem" role="alert">
                        <p>{if p.problems.is_empty() { p.message.clone() } else { "The widget would refuse this configuration:".to_owned() }}</p>
                        <ul>{p.problems.iter().map(|line| view! { <li>{line.clone()}</li> }).collect_view()}</ul>
                    </div>
                })}
            </div>
            {move || saved.get().map(|message| view! { <p role="status">{message}</p> })}
            <div class="fp-actions">
                <button type="button" class="fp-primary" on:click=save>"Save configuration"</button>
            </div>
        </section>
    }
}
