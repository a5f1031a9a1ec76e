//! Short-lived call credentials: per kind (the SIP servers' `auth_ephemeral`, the TURN servers'
//! `use-auth-secret`) the secret they share with the service, the HMAC's hash and the
//! credentials' lifetime (TURN: its URLs). The secret is write-only: shown as set, never filled.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Value, json};

use crate::api;
use crate::fields::{self, Label};

/// Which servers the credentials are for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sip,
    Turn,
}

impl Kind {
    fn path(self) -> &'static str {
        match self {
            Kind::Sip => "sip",
            Kind::Turn => "turn",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Sip => "SIP",
            Kind::Turn => "TURN",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Kind::Sip => "SIP credentials (Kamailio auth_ephemeral)",
            Kind::Turn => "TURN credentials (coturn use-auth-secret)",
        }
    }

    /// The hashes its servers check: coturn's REST API only SHA-1.
    fn hashes(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Sip => &[
                ("sha256", "HMAC-SHA256 (sha_algorithm 1)"),
                ("sha1", "HMAC-SHA1 (sha_algorithm 0)"),
                ("sha384", "HMAC-SHA384 (sha_algorithm 2)"),
                ("sha512", "HMAC-SHA512 (sha_algorithm 3)"),
            ],
            Kind::Turn => &[("sha1", "HMAC-SHA1 (coturn)")],
        }
    }
}

fn field_id(kind: Kind, field: &str) -> String {
    format!("fp-cc-{}-{field}", kind.path())
}

/// The field a refusal names, as this form has it (`urls[2]` is the URLs box).
fn form_field(field: &str) -> &str {
    if field.starts_with("urls") { "urls" } else { field }
}

fn label_of(field: &str) -> Option<&'static str> {
    match form_field(field) {
        "hash" => Some("Hash"),
        "ttlSeconds" => Some("Lifetime (seconds)"),
        "urls" => Some("TURN URLs (one per line)"),
        "secret" => Some("Shared secret"),
        _ => None,
    }
}

/// The call credentials tab: both kinds once their settings are read.
#[component]
pub fn CallCredentials() -> impl IntoView {
    let loaded = RwSignal::new(None::<Value>);
    let problem = RwSignal::new(None::<String>);
    spawn_local(async move {
        match api::call("GET", "/api/tenant/call-credentials", None).await {
            Ok(answer) => loaded.set(Some(answer)),
            Err(refused) => problem.set(Some(refused.message)),
        }
    });
    view! {
        <p class="fp-muted">"With these the service mints credentials for each signed-in agent's own SIP user (and for TURN), valid for the lifetime set here; agents type no SIP password and framephone.json holds no TURN secret. The widget configuration turns it on with service.callCredentials."</p>
        {move || problem.get().map(|p| view! { <p class="fp-problem" role="alert">{p}</p> })}
        {move || loaded.get().map(|answer| view! {
            <KindForm kind=Kind::Sip shown=answer["sip"].clone() />
            <KindForm kind=Kind::Turn shown=answer["turn"].clone() />
        })}
    }
}

/// One kind's settings: Save, and Turn off once confirmed.
#[component]
fn KindForm(kind: Kind, shown: Value) -> impl IntoView {
    let shown = RwSignal::new(shown);
    let hash = RwSignal::new(shown.with_untracked(|s| s["hash"].as_str().unwrap_or(kind.hashes()[0].0).to_owned()));
    let ttl = RwSignal::new(shown.with_untracked(|s| s["ttlSeconds"].as_u64().unwrap_or(600).to_string()));
    let urls = RwSignal::new(shown.with_untracked(|s| {
        s["urls"]
            .as_array()
            .map(|l| l.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }));
    let secret = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<api::Problem>);
    let saved = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(false);
    let refuse = move |refused: api::Problem| {
        let field = refused.field.clone();
        problem.set(Some(refused));
        // The field at fault takes the focus; the alert says why.
        if let Some(field) = field.filter(|f| label_of(f).is_some()) {
            fields::focus(&field_id(kind, form_field(&field)));
        }
    };
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        saved.set(None);
        let Ok(ttl_seconds) = ttl.get_untracked().trim().parse::<u32>() else {
            refuse(api::Problem {
                status: 0,
                message: "ttlSeconds: must be a whole number of seconds, such as 600".to_owned(),
                field: Some("ttlSeconds".to_owned()),
                problems: Vec::new(),
            });
            return;
        };
        let mut body = json!({ "hash": hash.get_untracked(), "ttlSeconds": ttl_seconds });
        if kind == Kind::Turn {
            let list: Vec<String> =
                urls.get_untracked().lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
            body["urls"] = list.into();
        }
        // Left empty, the stored secret stays.
        let typed = secret.get_untracked();
        if !typed.is_empty() {
            body["secret"] = typed.into();
        }
        spawn_local(async move {
            match api::call("PUT", &format!("/api/tenant/call-credentials/{}", kind.path()), Some(&body)).await {
                Ok(answer) => {
                    problem.set(None);
                    secret.set(String::new());
                    shown.set(answer);
                    saved.set(Some(format!("Saved: the service mints {} credentials.", kind.name())));
                }
                Err(refused) => refuse(refused),
            }
        });
    };
    let turn_off = move |_| {
        spawn_local(async move {
            match api::call("DELETE", &format!("/api/tenant/call-credentials/{}", kind.path()), None).await {
                Ok(_) => {
                    problem.set(None);
                    shown.set(Value::Null);
                    saved.set(Some(format!("Turned off: the service mints no {} credentials.", kind.name())));
                }
                Err(refused) => refuse(refused),
            }
            confirming.set(false);
            fields::focus(&field_id(kind, "save"));
        });
    };
    let is_set = move || shown.with(|s| !s.is_null());
    let state = move || {
        shown.with(|s| match s["updatedAt"].as_str() {
            Some(at) => format!("On, last saved {} UTC.", at.replace('T', " ").trim_end_matches('Z')),
            None => format!("Off: the service mints no {} credentials.", kind.name()),
        })
    };
    let invalid = move |field: &'static str| {
        move || problem.get().and_then(|p| p.field).is_some_and(|f| form_field(&f) == field).to_string()
    };
    let suffix = match kind {
        Kind::Sip => " for SIP",
        Kind::Turn => " for TURN",
    };
    let (title_id, problem_id) = (field_id(kind, "title"), field_id(kind, "problem"));
    let (hash_id, ttl_id, urls_id, secret_id) =
        (field_id(kind, "hash"), field_id(kind, "ttlSeconds"), field_id(kind, "urls"), field_id(kind, "secret"));
    view! {
        <section aria-labelledby=title_id.clone()>
            <h2 id=title_id.clone()>{kind.title()}</h2>
            <p>{state}</p>
            <form class="fp-form" on:submit=submit>
                <Label target=hash_id.clone() text="Hash" suffix />
                <select id=hash_id aria-invalid=invalid("hash") prop:value=move || hash.get() on:change=move |ev| hash.set(event_target_value(&ev))>
                    {kind.hashes().iter().map(|(value, text)| view! { <option value=*value selected=move || hash.get() == *value>{*text}</option> }).collect_view()}
                </select>
                <Label target=ttl_id.clone() text="Lifetime (seconds)" suffix />
                <input id=ttl_id type="number" min="60" max="43200" step="1" inputmode="numeric" aria-invalid=invalid("ttlSeconds") aria-describedby=problem_id.clone()
                    prop:value=move || ttl.get() on:input=move |ev| ttl.set(event_target_value(&ev)) />
                {(kind == Kind::Turn).then(|| view! {
                    <Label target=urls_id.clone() text="TURN URLs (one per line)" suffix />
                    <textarea id=urls_id.clone() class="fp-code" rows="3" spellcheck="false" autocomplete="off" placeholder="turns:turn.example.com:5349"
                        aria-invalid=invalid("urls") aria-describedby=problem_id.clone()
                        prop:value=move || urls.get() on:input=move |ev| urls.set(event_target_value(&ev))></textarea>
                })}
                <Label target=secret_id.clone() text="Shared secret" suffix />
                <input id=secret_id type="password" autocomplete="new-password" spellcheck="false"
                    placeholder=move || if is_set() { "•••••••• set; type to replace" } else { "not set" }
                    aria-invalid=invalid("secret") aria-describedby=problem_id.clone()
                    prop:value=move || secret.get() on:input=move |ev| secret.set(event_target_value(&ev)) />
                <p class="fp-muted fp-hint">"The same value as the servers' configuration; left empty, the stored secret stays."</p>
                <div id=problem_id.clone() class="fp-wide">
                    {move || problem.get().map(|p| {
                        let words = fields::in_words(&p, p.field.as_deref().and_then(label_of));
                        view! { <p class="fp-problem" role="alert">{words}</p> }
                    })}
                </div>
                {move || saved.get().map(|message| view! { <p class="fp-wide" role="status">{message}</p> })}
                <div class="fp-actions fp-wide">
                    <button id=field_id(kind, "save") type="submit" class="fp-primary">{format!("Save {} settings", kind.name())}</button>
                    <button type="button" class="fp-danger" disabled=move || !is_set() on:click=move |_| confirming.set(true)>
                        {format!("Turn off {} credentials", kind.name())}
                    </button>
                </div>
            </form>
            <Show when=move || confirming.get()>
                <ConfirmTurnOff kind turn_off=Callback::new(turn_off) cancel=Callback::new(move |()| confirming.set(false)) />
            </Show>
        </section>
    }
}

/// Asks before the service stops minting (and deletes the secret); the question takes the focus.
#[component]
fn ConfirmTurnOff(kind: Kind, turn_off: Callback<()>, cancel: Callback<()>) -> impl IntoView {
    let heading = NodeRef::<leptos::html::H3>::new();
    Effect::new(move |_| {
        if let Some(heading) = heading.get() {
            let _ = heading.focus();
        }
    });
    let title_id = field_id(kind, "confirm-title");
    view! {
        <div role="alertdialog" aria-labelledby=title_id.clone()>
            <h3 id=title_id.clone() tabindex="-1" node_ref=heading>{format!("Turn off {} credentials?", kind.name())}</h3>
            <p>"The secret is deleted. Phones that sign in with call credentials cannot register (SIP) or relay media (TURN) once what they hold expires, until they are set up again."</p>
            <div class="fp-actions">
                <button type="button" class="fp-danger" on:click=move |_| turn_off.run(())>"Turn off"</button>
                <button type="button" on:click=move |_| { cancel.run(()); fields::focus(&field_id(kind, "save")); }>"Cancel"</button>
            </div>
        </div>
    }
}
