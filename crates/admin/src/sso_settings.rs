//! Single sign-on, per scope (agents into the phone, administrators into this UI): the identity
//! provider's sign-on URL, issuer and signing certificate, this service's entity id and
//! just-in-time provisioning, saved with `PUT /api/tenant/sso/{scope}`; the addresses the
//! IdP's administrator needs; and a Test sign-in with what is saved.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Value, json};

use crate::api;
use crate::fields::{self, Label};
use crate::sso_certificate::{CertificateSummary, UploadCertificate};

/// Who signs in through a form's settings.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Agents,
    Admins,
}

impl Scope {
    fn path(self) -> &'static str {
        match self {
            Scope::Agents => "agents",
            Scope::Admins => "admins",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Scope::Agents => "Agents (the phone)",
            Scope::Admins => "Administrators (this admin UI)",
        }
    }

    /// What tells this scope's controls from the other's, for a screen reader.
    fn suffix(self) -> &'static str {
        match self {
            Scope::Agents => " for agents",
            Scope::Admins => " for administrators",
        }
    }
}

/// The text fields: the API's name, the label, and a hint.
const TEXT_FIELDS: [(&str, &str, &str); 5] = [
    (
        "idpSsoUrl",
        "Identity provider sign-on URL",
        "Entra: Login URL (https://login.microsoftonline.com/<tenant>/saml2); Okta: Identity Provider Single Sign-On URL",
    ),
    (
        "idpEntityId",
        "Identity provider entity ID (issuer)",
        "Entra: Microsoft Entra Identifier (https://sts.windows.net/<tenant>/); Okta: Identity Provider Issuer",
    ),
    ("spEntityId", "This service's entity ID", "What the identity provider calls this service (Entra: Identifier)"),
    ("templateUser", "Template person (username)", "The person whose role people created just in time get"),
    (
        "sipUserAttribute",
        "SIP user attribute",
        "The assertion attribute that holds the SIP user of an agent created just in time",
    ),
];

/// The checkboxes: the API's name and the label.
const FLAGS: [(&str, &str); 4] = [
    ("enabled", "Single sign-on is on"),
    ("jit", "Create unknown people at their first sign-in (just in time)"),
    ("allowSha1", "Accept RSA-SHA1 signatures (older identity providers)"),
    ("allowIdpInitiated", "Accept sign-ins started at the identity provider (app tiles)"),
];

const CERTIFICATE_LABEL: &str = "Identity provider signing certificate (PEM)";

fn label_of(field: &str) -> Option<&'static str> {
    let text = TEXT_FIELDS.iter().find(|(key, _, _)| *key == field).map(|(_, label, _)| *label);
    let flag = FLAGS.iter().find(|(key, _)| *key == field).map(|(_, label)| *label);
    text.or(flag).or((field == "idpCertificate").then_some(CERTIFICATE_LABEL))
}

/// Whether a scope shows the field (the SIP user attribute is the phone's; sign-ins started
/// at the IdP are for administrators only).
fn shows(scope: Scope, field: &str) -> bool {
    match field {
        "sipUserAttribute" => scope == Scope::Agents,
        "allowIdpInitiated" => scope == Scope::Admins,
        _ => true,
    }
}

fn field_id(scope: Scope, field: &str) -> String {
    format!("fp-sso-{}-{field}", scope.path())
}

/// The form's values, by the API's names: texts and flags.
#[derive(Clone, Copy)]
struct Values {
    texts: RwSignal<Vec<(&'static str, String)>>,
    flags: RwSignal<Vec<(&'static str, bool)>>,
    certificate: RwSignal<String>,
}

impl Values {
    /// From the saved settings; unset, off with the service's entity id suggested.
    fn from(shown: &Value) -> Values {
        let settings = &shown["settings"];
        let texts = TEXT_FIELDS
            .iter()
            .map(|(key, _, _)| {
                let value = match (settings[*key].as_str(), *key) {
                    (Some(value), _) => value.to_owned(),
                    (None, "spEntityId") => shown["addresses"]["defaultSpEntityId"].as_str().unwrap_or("").to_owned(),
                    (None, "sipUserAttribute") => "SipUser".to_owned(),
                    (None, _) => String::new(),
                };
                (*key, value)
            })
            .collect();
        let flags = FLAGS.iter().map(|(key, _)| (*key, settings[*key] == true)).collect();
        let certificate = settings["idpCertificate"].as_str().unwrap_or("").to_owned();
        Values { texts: RwSignal::new(texts), flags: RwSignal::new(flags), certificate: RwSignal::new(certificate) }
    }

    fn text(&self, key: &str) -> String {
        self.texts.with(|texts| texts.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()).unwrap_or_default())
    }

    fn flag(&self, key: &str) -> bool {
        self.flags.with(|flags| flags.iter().any(|(k, v)| *k == key && *v))
    }

    fn set_text(&self, key: &str, value: String) {
        self.texts.update(|texts| texts.iter_mut().filter(|(k, _)| *k == key).for_each(|(_, v)| *v = value.clone()));
    }

    fn set_flag(&self, key: &str, value: bool) {
        self.flags.update(|flags| flags.iter_mut().filter(|(k, _)| *k == key).for_each(|(_, v)| *v = value));
    }

    /// The request body: `crate::sso::Settings` of the service.
    fn body(&self, scope: Scope) -> Value {
        let template = self.text("templateUser").trim().to_owned();
        json!({
            "enabled": self.flag("enabled"),
            "idpSsoUrl": self.text("idpSsoUrl").trim(),
            "idpEntityId": self.text("idpEntityId").trim(),
            "idpCertificate": self.certificate.get_untracked().trim(),
            "spEntityId": self.text("spEntityId").trim(),
            "jit": self.flag("jit"),
            "templateUser": if template.is_empty() { Value::Null } else { Value::String(template) },
            "sipUserAttribute": self.text("sipUserAttribute").trim(),
            "allowSha1": self.flag("allowSha1"),
            "allowIdpInitiated": scope == Scope::Admins && self.flag("allowIdpInitiated"),
        })
    }
}

/// The single sign-on tab: both scopes' forms once the saved settings are read.
#[component]
pub fn SsoSettings() -> impl IntoView {
    let loaded = RwSignal::new(None::<Value>);
    let problem = RwSignal::new(None::<String>);
    spawn_local(async move {
        match api::call("GET", "/api/tenant/sso", None).await {
            Ok(answer) => loaded.set(Some(answer)),
            Err(refused) => problem.set(Some(refused.message)),
        }
    });
    view! {
        {move || problem.get().map(|p| view! { <p class="fp-problem" role="alert">{p}</p> })}
        {move || loaded.get().map(|answer| view! {
            <ScopeForm scope=Scope::Agents shown=answer["agents"].clone() />
            <ScopeForm scope=Scope::Admins shown=answer["admins"].clone() />
        })}
    }
}

/// One scope's settings, what is saved, and its Test sign-in.
#[component]
fn ScopeForm(scope: Scope, shown: Value) -> impl IntoView {
    let values = Values::from(&shown);
    let shown = RwSignal::new(shown);
    let problem = RwSignal::new(None::<api::Problem>);
    let saved = RwSignal::new(None::<String>);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        saved.set(None);
        let body = values.body(scope);
        spawn_local(async move {
            match api::call("PUT", &format!("/api/tenant/sso/{}", scope.path()), Some(&body)).await {
                Ok(answer) => {
                    problem.set(None);
                    let on = answer["settings"]["enabled"] == true;
                    shown.set(answer);
                    saved.set(Some(format!(
                        "Saved: single sign-on is {}{}.",
                        if on { "on" } else { "off" },
                        scope.suffix()
                    )));
                }
                Err(refused) => {
                    let field = refused.field.clone();
                    problem.set(Some(refused));
                    // The field at fault takes the focus; the alert says why.
                    if let Some(field) = field.filter(|f| label_of(f).is_some() && shows(scope, f)) {
                        fields::focus(&field_id(scope, &field));
                    }
                }
            }
        });
    };
    let invalid = move |field: &'static str| move || problem.get().is_some_and(|p| p.field.as_deref() == Some(field));
    let problem_id = format!("fp-sso-{}-problem", scope.path());
    let title_id = format!("fp-sso-{}-title", scope.path());
    let text_field = {
        let problem_id = problem_id.clone();
        move |(key, label, hint): (&'static str, &'static str, &'static str)| {
            let id = field_id(scope, key);
            let hint_id = format!("{id}-hint");
            let described = {
                let (problem_id, hint_id) = (problem_id.clone(), hint_id.clone());
                move || if invalid(key)() { format!("{problem_id} {hint_id}") } else { hint_id.clone() }
            };
            view! {
                <Label target=id.clone() text=label suffix=scope.suffix() />
                <input id=id type="text" autocomplete="off" spellcheck="false"
                    aria-invalid=move || invalid(key)().to_string() aria-describedby=described
                    prop:value=move || values.text(key) on:input=move |ev| values.set_text(key, event_target_value(&ev)) />
                <p id=hint_id class="fp-muted fp-hint">{hint}</p>
            }
        }
    };
    let flag = move |(key, label): (&'static str, &'static str)| {
        view! {
            <label class="fp-wide">
                <input id=field_id(scope, key) type="checkbox" aria-invalid=move || invalid(key)().to_string()
                    prop:checked=move || values.flag(key) on:change=move |ev| values.set_flag(key, event_target_checked(&ev)) />
                " " {label}<span class="fp-sr-only">{scope.suffix()}</span>
            </label>
        }
    };
    let certificate_id = field_id(scope, "idpCertificate");
    let texts = |keys: &[&str]| TEXT_FIELDS.iter().copied().filter(|(k, _, _)| keys.contains(k)).collect::<Vec<_>>();
    let flags =
        |keys: &[&str]| FLAGS.iter().copied().filter(|(k, _)| keys.contains(k) && shows(scope, k)).collect::<Vec<_>>();
    view! {
        <section aria-labelledby=title_id.clone()>
            <h2 id=title_id.clone()>{scope.title()}</h2>
            <Addresses scope shown />
            <CertificateSummary scope=scope.path() suffix=scope.suffix() shown />
            <TestSignIn scope shown />
            <h3 class="fp-subhead">"Settings"<span class="fp-sr-only">{scope.suffix()}</span></h3>
            <form class="fp-form" on:submit=submit>
                {flags(&["enabled"]).into_iter().map(flag).collect_view()}
                {texts(&["idpSsoUrl", "idpEntityId"]).into_iter().map(text_field.clone()).collect_view()}
                <Label target=certificate_id.clone() text=CERTIFICATE_LABEL suffix=scope.suffix() />
                <textarea id=certificate_id class="fp-code" rows="6" spellcheck="false" autocomplete="off"
                    placeholder="-----BEGIN CERTIFICATE-----"
                    aria-invalid=move || invalid("idpCertificate")().to_string()
                    aria-describedby=problem_id.clone()
                    prop:value=move || values.certificate.get()
                    on:input=move |ev| values.certificate.set(event_target_value(&ev))></textarea>
                <UploadCertificate id=format!("fp-sso-{}-upload", scope.path()) suffix=scope.suffix() into=values.certificate problem />
                {texts(&["spEntityId"]).into_iter().map(text_field.clone()).collect_view()}
                {flags(&["jit"]).into_iter().map(flag).collect_view()}
                {texts(&["templateUser"]).into_iter().map(text_field.clone()).collect_view()}
                {(scope == Scope::Agents).then(|| texts(&["sipUserAttribute"]).into_iter().map(text_field.clone()).collect_view())}
                {flags(&["allowSha1", "allowIdpInitiated"]).into_iter().map(flag).collect_view()}
                <div id=problem_id.clone() class="fp-wide">
                    {move || problem.get().map(|p| {
                        let words = fields::in_words(&p, p.field.as_deref().and_then(label_of));
                        view! { <p class="fp-problem" role="alert">{words}</p> }
                    })}
                </div>
                {move || saved.get().map(|message| view! { <p class="fp-wide" role="status">{message}</p> })}
                <div class="fp-actions fp-wide">
                    <button type="submit" class="fp-primary">"Save"<span class="fp-sr-only">{scope.suffix()}</span></button>
                </div>
            </form>
        </section>
    }
}

/// What the identity provider's administrator enters there, and the metadata to import.
#[component]
fn Addresses(scope: Scope, shown: RwSignal<Value>) -> impl IntoView {
    let address = move |key: &str| shown.with(|s| s["addresses"][key].as_str().unwrap_or("").to_owned());
    let entity_id = move || {
        shown.with(|s| {
            s["settings"]["spEntityId"]
                .as_str()
                .or(s["addresses"]["defaultSpEntityId"].as_str())
                .unwrap_or("")
                .to_owned()
        })
    };
    let has_certificate = move || shown.with(|s| !s["certificate"].is_null());
    view! {
        <p class="fp-muted">"For the identity provider's administrator (Entra: Basic SAML Configuration; Okta: SAML Settings):"</p>
        <dl>
            <dt>"Reply URL (Assertion Consumer Service URL)"</dt>
            <dd><code>{move || address("replyUrl")}</code></dd>
            <dt>"Entity ID (Identifier, Audience URI)"</dt>
            <dd><code>{entity_id}</code></dd>
        </dl>
        {move || if has_certificate() {
            view! {
                <p>
                    <a href=address("metadataUrl") download=format!("framephone-{}-metadata.xml", scope.path())>
                        "Download metadata"<span class="fp-sr-only">{scope.suffix()}</span>
                    </a>
                </p>
            }.into_any()
        } else {
            view! { <p class="fp-muted">"The metadata is served once the settings are saved with the identity provider's certificate."</p> }.into_any()
        }}
    }
}

/// Opens the saved settings' sign-in in a new window: the service shows what the identity
/// provider's response carried, signing no one in (the browser sends this session's cookie).
#[component]
fn TestSignIn(scope: Scope, shown: RwSignal<Value>) -> impl IntoView {
    let ready = move || shown.with(|s| !s["certificate"].is_null());
    let hint_id = format!("fp-sso-{}-test-hint", scope.path());
    let open = move |_| {
        let url = format!(
            "{}?test=1",
            shown.with_untracked(|s| s["addresses"]["signInUrl"].as_str().unwrap_or("").to_owned())
        );
        // The IdP's pages get no handle on this page.
        let _ = window().open_with_url_and_target_and_features(&url, "_blank", "noopener");
    };
    view! {
        <div class="fp-actions">
            <button type="button" aria-describedby=hint_id.clone() disabled=move || !ready() on:click=open>
                "Test sign-in"<span class="fp-sr-only">{scope.suffix()}</span>
            </button>
        </div>
        <p id=hint_id class="fp-muted">
            "Test sign-in goes through the saved settings (on or off) in a new window and shows what the identity provider sent; it signs no one in."
        </p>
    }
}
