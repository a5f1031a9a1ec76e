//! Create integration credential, in four stages, each checked before the next: the name, the
//! entity type (what the credential is used for), the destination (ServiceNow or Salesforce),
//! and the connection (site, client id, client secret). Completed stages are marked; focus
//! moves to the stage that opens.

use leptos::ev::SubmitEvent;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Value, json};

use crate::api;

const STAGES: [&str; 4] = ["Name the credential", "Select entity type", "Select destination", "Authenticate"];

/// A Salesforce site from what was typed: the My Domain subdomain (`acme`, as the org's URL
/// `acme.my.salesforce.com` begins; a sandbox's `acme--uat.sandbox.my.salesforce.com`) or the
/// whole URL.
fn salesforce_site(typed: &str, sandbox: bool) -> String {
    let typed = typed.trim().trim_end_matches('/');
    match (typed.contains("://"), sandbox) {
        (true, _) => typed.to_owned(),
        (false, false) => format!("https://{typed}.my.salesforce.com"),
        (false, true) => format!("https://{typed}.sandbox.my.salesforce.com"),
    }
}

/// Why the stage cannot be left yet, or `None`.
fn stage_problem(stage: usize, name: &str, taken: &[String], destination: &str) -> Option<String> {
    match stage {
        0 if name.trim().is_empty() => Some("Enter a name.".to_owned()),
        0 if taken.iter().any(|t| t.eq_ignore_ascii_case(name.trim())) => {
            Some(format!("Another credential is already named {}.", name.trim()))
        }
        2 if destination.is_empty() => Some("Select a destination.".to_owned()),
        _ => None,
    }
}

/// The wizard; `done` runs after Create credential or Cancel.
#[component]
pub fn CredentialWizard(taken: Vec<String>, done: Callback<()>) -> impl IntoView {
    let stage = RwSignal::new(0usize);
    let name = RwSignal::new(String::new());
    let destination = RwSignal::new(String::new());
    let site = RwSignal::new(String::new());
    let client_id = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    let sandbox = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let heading = NodeRef::<html::H3>::new();
    // The stage that opens gets the focus, as a screen reader user expects.
    Effect::new(move |_| {
        stage.track();
        if let Some(heading) = heading.get() {
            let _ = heading.focus();
        }
    });
    let next = move |_| match stage_problem(
        stage.get_untracked(),
        &name.get_untracked(),
        &taken,
        &destination.get_untracked(),
    ) {
        Some(reason) => problem.set(Some(reason)),
        None => {
            problem.set(None);
            stage.update(|s| *s += 1);
        }
    };
    let create = move |event: SubmitEvent| {
        event.prevent_default();
        let salesforce = destination.get_untracked() == "salesforce";
        let body = if salesforce {
            json!({"kind": "salesforce", "name": name.get_untracked().trim(),
                   "settings": {"myDomainUrl": salesforce_site(&site.get_untracked(), sandbox.get_untracked()),
                                "sandbox": sandbox.get_untracked(), "consumerKey": client_id.get_untracked().trim()},
                   "secrets": {"consumerSecret": secret.get_untracked()}})
        } else {
            json!({"kind": "servicenow", "name": name.get_untracked().trim(),
                   "settings": {"instanceUrl": site.get_untracked().trim(), "clientId": client_id.get_untracked().trim()},
                   "secrets": {"clientSecret": secret.get_untracked()}})
        };
        spawn_local(async move {
            match api::call("POST", "/api/accounts", Some(&body)).await {
                Ok(_) => done.run(()),
                Err(refused) => problem.set(Some(refused.message)),
            }
        });
    };
    let stage_item = move |index: usize| {
        view! {
            <li aria-current=move || (stage.get() == index).then_some("step")>
                {move || if stage.get() > index { "✔ " } else { "" }}
                {format!("Stage {}: {}", index + 1, STAGES[index])}
                {move || (stage.get() > index).then_some(" (completed)")}
            </li>
        }
    };
    view! {
        <section aria-labelledby="fp-wizard-title">
            <h2 id="fp-wizard-title">"Create integration credential"</h2>
            <ol class="fp-stages" aria-label="Stages">{(0..STAGES.len()).map(stage_item).collect_view()}</ol>
            <form class="fp-form" on:submit=create>
                <h3 class="fp-wide" tabindex="-1" node_ref=heading>{move || format!("Stage {}: {}", stage.get() + 1, STAGES[stage.get()])}</h3>
                {move || match stage.get() {
                    0 => view! {
                        <label for="fp-wizard-name">"Name"</label>
                        <input id="fp-wizard-name" type="text" autocomplete="off" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                    }.into_any(),
                    1 => view! {
                        <label for="fp-wizard-entity">"Entity type"</label>
                        <select id="fp-wizard-entity">
                            <option value="callActivity" selected>"Call activity (call logs, the agents' CRM access)"</option>
                        </select>
                        <p class="fp-muted fp-wide">"Call activity is the only entity type: the service uses the credential for the call logs it writes and the access tokens it hands to agents."</p>
                    }.into_any(),
                    2 => view! {
                        <label for="fp-wizard-destination">"Destination"</label>
                        <select id="fp-wizard-destination" prop:value=move || destination.get() on:change=move |ev| destination.set(event_target_value(&ev))>
                            <option value="">"Select…"</option>
                            <option value="servicenow">"ServiceNow"</option>
                            <option value="salesforce">"Salesforce"</option>
                        </select>
                    }.into_any(),
                    _ => {
                        let salesforce = destination.get_untracked() == "salesforce";
                        view! {
                            <p class="fp-muted fp-wide">{if salesforce { "Salesforce connection: from the connected app (External Client App) you created in Salesforce first." } else { "ServiceNow connection: from the OAuth application in System OAuth › Application Registry." }}</p>
                            <label for="fp-wizard-site">{if salesforce { "My Domain (subdomain or URL)" } else { "Instance URL" }}</label>
                            <input id="fp-wizard-site" type="text" autocomplete="off" placeholder=if salesforce { "acme (a sandbox: acme--uat), or https://acme.my.salesforce.com" } else { "https://<instance>.service-now.com" }
                                prop:value=move || site.get() on:input=move |ev| site.set(event_target_value(&ev)) />
                            {salesforce.then(|| view! {
                                <label for="fp-wizard-sandbox">"Sandbox"</label>
                                <input id="fp-wizard-sandbox" type="checkbox" prop:checked=move || sandbox.get() on:change=move |ev| sandbox.set(event_target_checked(&ev)) />
                            })}
                            <label for="fp-wizard-client">{if salesforce { "Consumer key" } else { "Client ID" }}</label>
                            <input id="fp-wizard-client" type="text" autocomplete="off" prop:value=move || client_id.get() on:input=move |ev| client_id.set(event_target_value(&ev)) />
                            <label for="fp-wizard-secret">{if salesforce { "Consumer secret" } else { "Client secret" }}</label>
                            <input id="fp-wizard-secret" type="password" autocomplete="new-password" prop:value=move || secret.get() on:input=move |ev| secret.set(event_target_value(&ev)) />
                        }.into_any()
                    }
                }}
                {move || problem.get().map(|p| view! { <p class="fp-problem fp-wide" role="alert">{p}</p> })}
                <div class="fp-actions fp-wide">
                    {move || (stage.get() > 0).then(|| view! { <button type="button" on:click=move |_| { problem.set(None); stage.update(|s| *s -= 1) }>"Back"</button> })}
                    {move || if stage.get() < STAGES.len() - 1 {
                        view! { <button type="button" class="fp-primary" on:click=next.clone()>"Next"</button> }.into_any()
                    } else {
                        view! { <button type="submit" class="fp-primary">"Create credential"</button> }.into_any()
                    }}
                    <button type="button" on:click=move |_| done.run(())>"Cancel"</button>
                </div>
            </form>
        </section>
    }
}

/// The names in use, for stage 1's check.
pub fn names(accounts: &[Value]) -> Vec<String> {
    accounts.iter().filter_map(|a| a["name"].as_str().map(str::to_owned)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stage_is_checked_before_the_next() {
        let taken = vec!["Acme".to_owned()];
        assert!(stage_problem(0, " ", &taken, "").is_some());
        assert!(stage_problem(0, "acme", &taken, "").is_some_and(|p| p.contains("already named")));
        assert_eq!(stage_problem(0, "Globex", &taken, ""), None);
        assert_eq!(stage_problem(1, "Globex", &taken, ""), None);
        assert!(stage_problem(2, "Globex", &taken, "").is_some());
        assert_eq!(stage_problem(2, "Globex", &taken, "salesforce"), None);
        assert_eq!(salesforce_site("acme", false), "https://acme.my.salesforce.com");
        assert_eq!(salesforce_site("acme--uat", true), "https://acme--uat.sandbox.my.salesforce.com");
        assert_eq!(salesforce_site("https://acme.my.salesforce.com/", false), "https://acme.my.salesforce.com");
    }
}
