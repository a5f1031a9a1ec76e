//! The identity provider's signing certificate: read from a file into the settings form (PEM,
//! or a DER `.cer` turned into PEM), and the saved one described by its fingerprint, subject
//! and expiry, with a warning while it is about to expire or has.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;
use wasm_bindgen_futures::JsFuture;

use crate::api::Problem;
use crate::fields::Label;

const DAY_MS: f64 = 86_400_000.0;

/// A certificate file's text as PEM: PEM as it is, DER in PEM's base64 lines; `None` for
/// anything else.
fn pem_of(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    if text.contains("-----BEGIN CERTIFICATE-----") {
        return Some(text.trim().to_owned());
    }
    // DER starts with a SEQUENCE; Windows exports .cer files either way.
    if bytes.first() != Some(&0x30) {
        return None;
    }
    // btoa reads each UTF-16 unit as a byte: chars U+0000 to U+00FF are exactly the bytes.
    let binary: String = bytes.iter().copied().map(char::from).collect();
    let encoded = window().btoa(&binary).ok()?;
    let lines: Vec<&str> = encoded.as_bytes().chunks(64).filter_map(|line| std::str::from_utf8(line).ok()).collect();
    Some(format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----", lines.join("\n")))
}

/// A file input that puts a certificate file's PEM `into` the form; a file that is not one is
/// a `problem` of the certificate field.
#[component]
pub fn UploadCertificate(
    id: String,
    suffix: &'static str,
    into: RwSignal<String>,
    problem: RwSignal<Option<Problem>>,
) -> impl IntoView {
    let read = RwSignal::new(None::<String>);
    let choose = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
        // Emptied, the input takes the same file again after an edit.
        input.set_value("");
        let name = file.name();
        spawn_local(async move {
            let bytes =
                JsFuture::from(file.array_buffer()).await.map(|buffer| js_sys::Uint8Array::new(&buffer).to_vec());
            match bytes.ok().as_deref().and_then(pem_of) {
                Some(pem) => {
                    into.set(pem);
                    problem.set(None);
                    read.set(Some(format!("Read {name}: save to keep it.")));
                }
                None => {
                    read.set(None);
                    problem.set(Some(Problem {
                        status: 0,
                        message: format!(
                            "idpCertificate: {name} is not a certificate file (PEM, or DER as some .cer files are)"
                        ),
                        field: Some("idpCertificate".to_owned()),
                        problems: Vec::new(),
                    }));
                }
            }
        });
    };
    view! {
        <Label target=id.clone() text="Upload certificate" suffix />
        <input id=id type="file" accept=".pem,.cer,.crt,application/x-pem-file,application/pkix-cert" on:change=choose />
        {move || read.get().map(|message| view! { <p class="fp-wide" role="status">{message}</p> })}
    }
}

/// When a certificate expires, as the admin reads it: `2025-01-31 12:00 UTC`.
fn date_of(rfc3339: &str) -> String {
    format!("{} UTC", rfc3339.replace('T', " ").chars().take(16).collect::<String>())
}

/// The warning of a certificate that expires at `not_after` (ms since 1970).
fn expiry_warning(not_after: f64, date: &str) -> String {
    let days = ((not_after - js_sys::Date::now()) / DAY_MS).ceil();
    if days <= 0.0 {
        format!(
            "The identity provider's certificate has expired ({date}): its sign-ins are refused until its new certificate is saved here."
        )
    } else {
        let unit = if days == 1.0 { "day" } else { "days" };
        format!(
            "The identity provider's certificate expires in {days} {unit} ({date}): save its next certificate here before then, or sign-ins stop."
        )
    }
}

/// The saved certificate of a scope (`shown` as `GET /api/tenant/sso` gives it), if any.
#[component]
pub fn CertificateSummary(scope: &'static str, suffix: &'static str, shown: RwSignal<Value>) -> impl IntoView {
    let title_id = format!("fp-sso-{scope}-certificate-title");
    move || {
        let certificate = shown.with(|s| s["certificate"].clone());
        let updated = shown.with(|s| s["updatedAt"].as_str().map(date_of));
        if certificate.is_null() {
            return view! { <p class="fp-muted">"No certificate is saved: single sign-on stays off until one is."</p> }
                .into_any();
        }
        let text = |key: &str| certificate[key].as_str().unwrap_or("").to_owned();
        let date = date_of(&text("notAfterText"));
        let warning = (certificate["expiresSoon"] == true)
            .then(|| expiry_warning(certificate["notAfter"].as_f64().unwrap_or(0.0), &date));
        view! {
            <h3 id=title_id.clone() class="fp-subhead">"Saved certificate"<span class="fp-sr-only">{suffix}</span></h3>
            <dl aria-labelledby=title_id.clone()>
                <dt>"SHA-256 fingerprint"</dt>
                <dd><code>{text("fingerprintSha256")}</code></dd>
                <dt>"Subject"</dt>
                <dd>{text("subject")}</dd>
                <dt>"Expires"</dt>
                <dd>{date}</dd>
                <dt>"Settings saved"</dt>
                <dd>{updated}</dd>
            </dl>
            {warning.map(|w| view! { <p class="fp-problem" role="alert">{w}</p> })}
        }
        .into_any()
    }
}
