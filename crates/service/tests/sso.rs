//! Single sign-on with SAML 2.0 against responses signed at test time by xmlsec1 with keys made
//! by the test: a good response signs the agent in (the phone claims the token with its nonce);
//! a corpus of forged and broken responses is refused, each with its reason (signature
//! wrapping, a comment in the NameID, a duplicate ID, unsigned, signature stripped, another
//! certificate, expired, not yet valid, another audience, destination or request, a replay,
//! RSA-SHA1 unless allowed, another issuer naming both, a DTD); just-in-time provisioning from
//! the template; administrators' sign-in with a cookie; the settings checked (no SSO without a
//! certificate), and the metadata. The settings and database run on SQLite and PostgreSQL.

#[macro_use]
mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::saml::{Response, TestIdp, encoded};
use common::{Api, Backend, WIDGET_ORIGIN, service_with_admin};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

on_both_databases!(agents_sign_in_with_a_signed_response, administrators_and_just_in_time_people);

const IDP_ENTITY_ID: &str = "https://sts.windows.net/8f2c-test/";
const SP_ENTITY_ID: &str = "default_agents_sso";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

fn settings(idp: &TestIdp, jit: bool) -> Value {
    json!({
        "enabled": true, "idpSsoUrl": "https://login.microsoftonline.com/8f2c-test/saml2",
        "idpEntityId": IDP_ENTITY_ID, "idpCertificate": idp.certificate, "spEntityId": SP_ENTITY_ID,
        "jit": jit, "templateUser": if jit { Value::from("template.agent") } else { Value::Null },
    })
}

/// A sign-in started the way the phone's window starts it: its request ID, RelayState, nonce.
struct Started {
    request_id: String,
    relay_state: String,
    nonce: String,
}

async fn start(running: &service::Running, scope: &str) -> Started {
    let nonce = service::random::token();
    let hash = URL_SAFE_NO_PAD.encode(Sha256::digest(nonce.as_bytes()));
    let url = format!(
        "{}/sso/default/{scope}/start?origin={}&nonce_hash={hash}",
        running.url,
        url::form_urlencoded::byte_serialize(WIDGET_ORIGIN.as_bytes()).collect::<String>()
    );
    let answer = no_redirects().get(&url).send().await.expect("start");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER, "{}", answer.text().await.unwrap_or_default());
    let location = answer.headers()["location"].to_str().expect("location").to_owned();
    assert!(location.starts_with("https://login.microsoftonline.com/8f2c-test/saml2?SAMLRequest="), "{location}");
    let location = url::Url::parse(&location).expect("url");
    let relay_state =
        location.query_pairs().find(|(k, _)| k == "RelayState").map(|(_, v)| v.into_owned()).expect("relay");
    // The AuthnRequest's ID, as the service keeps it.
    let row = sqlx::query("SELECT request_id FROM sso_requests ORDER BY expires_at DESC")
        .fetch_one(&running.database.pool)
        .await
        .expect("the request is kept");
    let request_id: String = sqlx::Row::get(&row, "request_id");
    Started { request_id, relay_state, nonce }
}

/// Posts `xml` to the reply URL of `scope` with `relay_state`: the status and the page's text.
async fn post(
    running: &service::Running,
    scope: &str,
    xml: &str,
    relay_state: &str,
) -> (StatusCode, String, Option<String>) {
    let form = [("SAMLResponse", encoded(xml)), ("RelayState", relay_state.to_owned())];
    let answer = no_redirects()
        .post(format!("{}/sso/default/{scope}/acs", running.url))
        .form(&form)
        .send()
        .await
        .expect("the reply URL answers");
    let status = answer.status();
    let cookie = answer
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .map(|c| c.split(';').next().unwrap_or("").to_owned());
    (status, answer.text().await.unwrap_or_default(), cookie)
}

fn acs(running: &service::Running, scope: &str) -> String {
    format!("{}/sso/default/{scope}/acs", running.url)
}

/// A good response to `started` for `name_id`.
fn good(running: &service::Running, started: &Started, name_id: &str) -> Response {
    Response::new(Some(&started.request_id), &acs(running, "agents"), IDP_ENTITY_ID, SP_ENTITY_ID, name_id)
}

async fn claim(running: &service::Running, nonce: &str) -> (StatusCode, Value) {
    Api::new(&running.url).post("/api/agent/sso/claim", json!({ "nonce": nonce })).await
}

async fn agents_sign_in_with_a_signed_response(backend: Backend) {
    let (running, mut admin, _, _) = service_with_admin(backend).await;
    let idp = TestIdp::new("idp");
    let attacker = TestIdp::new("attacker");
    let (status, body) = admin
        .post(
            "/api/people",
            json!({"username": "ana.diaz", "role": "agent", "sipUser": "1001", "password": "ana's long password"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // No certificate, no single sign-on.
    let mut without = settings(&idp, false);
    without["idpCertificate"] = "".into();
    let (status, body) = admin.put("/api/tenant/sso/agents", without).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("idpCertificate")), "{body}");
    let (status, body) = admin.put("/api/tenant/sso/agents", settings(&idp, false)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["certificate"]["subject"], "CN=idp", "{body}");
    assert_eq!(body["certificate"]["expiresSoon"], true, "30 days left: warned");
    assert_eq!(body["addresses"]["replyUrl"], acs(&running, "agents"));

    // The metadata names this service provider and its reply URL.
    let metadata = reqwest::get(format!("{}/sso/default/agents/metadata", running.url)).await.expect("metadata");
    let metadata = metadata.text().await.unwrap_or_default();
    assert!(
        metadata.contains(&format!("entityID=\"{SP_ENTITY_ID}\"")) && metadata.contains(&acs(&running, "agents")),
        "{metadata}"
    );

    // A good response: the phone's poll sees it pending, then claims the token once.
    let started = start(&running, "agents").await;
    assert_eq!(claim(&running, &started.nonce).await.0, StatusCode::ACCEPTED, "pending while at the IdP");
    let response = good(&running, &started, "ana.diaz");
    let signed = idp.sign(&response.template());
    let (status, page, _) = post(&running, "agents", &signed, &started.relay_state).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Signed in") && page.contains(WIDGET_ORIGIN), "{page}");
    let (status, token) = claim(&running, &started.nonce).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["person"]["username"], "ana.diaz");
    let mut phone = Api::new(&running.url);
    phone.set_bearer(token["accessToken"].as_str().map(str::to_owned));
    let (status, _) = phone.post("/api/agent/session/renew", json!({})).await;
    assert_eq!(status, StatusCode::OK, "the claimed token works");
    assert_eq!(claim(&running, &started.nonce).await.0, StatusCode::NOT_FOUND, "claimed once");
    // The same response again: its request is closed.
    let (status, page, _) = post(&running, "agents", &signed, &started.relay_state).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("was not started here"), "{page}");

    // The corpus: each refused with its reason.
    type Forge<'a> = Box<dyn Fn(&Response) -> String + 'a>;
    let sign = |r: &Response| idp.sign(&r.template());
    let cases: Vec<(&str, Forge<'_>, &str)> = vec![
        ("unsigned", Box::new(|r: &Response| Response { unsigned: true, ..r.clone() }.template()), "unsigned"),
        ("signature stripped", Box::new(|r: &Response| strip_signature(&idp.sign(&r.template()))), "unsigned"),
        (
            "another certificate",
            Box::new(|r: &Response| attacker.sign(&r.template())),
            "does not verify against the pinned certificate",
        ),
        (
            "NameID changed after signing",
            Box::new(|r: &Response| sign(r).replace(">ana.diaz<", ">root<")),
            "does not verify against the pinned certificate",
        ),
        (
            "a comment inside the NameID",
            Box::new(|r: &Response| {
                let r = Response { name_id: "ana.diaz.evil".into(), ..r.clone() };
                sign(&r).replace(">ana.diaz.evil<", ">ana.diaz<!---->.evil<")
            }),
            "XML comment",
        ),
        (
            "expired",
            Box::new(|r: &Response| {
                sign(&Response { issued: -900, not_before: -900, not_on_or_after: -600, ..r.clone() })
            }),
            "expired",
        ),
        (
            "not yet valid",
            Box::new(|r: &Response| sign(&Response { not_before: 3600, not_on_or_after: 7200, ..r.clone() })),
            "not valid yet",
        ),
        (
            "another audience",
            Box::new(|r: &Response| sign(&Response { audience: "someone_else_sso".into(), ..r.clone() })),
            "another service provider",
        ),
        (
            "another destination",
            Box::new(|r: &Response| sign(&Response { destination: "https://evil.example/acs".into(), ..r.clone() })),
            "addressed to another service",
        ),
        (
            "another request",
            Box::new(|r: &Response| sign(&Response { in_response_to: Some("_not-our-request".into()), ..r.clone() })),
            "answers no sign-in request",
        ),
        ("RSA-SHA1", Box::new(|r: &Response| sign(&Response { sha1: true, ..r.clone() })), "SHA-1"),
        (
            "another issuer",
            Box::new(|r: &Response| sign(&Response { issuer: "https://evil.example/idp".into(), ..r.clone() })),
            "issuer \"https://evil.example/idp\", but the settings expect \"https://sts.windows.net/8f2c-test/\"",
        ),
        ("a DTD", Box::new(|r: &Response| format!("<!DOCTYPE x [<!ENTITY e \"root\">]>{}", sign(r))), "DTD"),
        (
            "duplicate IDs",
            // The response (unsigned) given the signed assertion's ID after signing.
            Box::new(|r: &Response| {
                sign(r).replacen(&format!("ID=\"{}\"", r.response_id), &format!("ID=\"{}\"", r.assertion_id), 1)
            }),
            "two elements carry the ID",
        ),
    ];
    for (name, forge, reason) in cases {
        assert_refused(&running, name, &|r| forge(r), reason).await;
    }
    // Signature wrapping: the signed assertion kept, a forged one added around, before, after or
    // inside it (XSW3–XSW8), or the signed one moved into an Extensions or Object element.
    for (i, wrap) in xsw_variants().into_iter().enumerate() {
        assert_refused(&running, &format!("XSW{}", i + 3), &|r| wrap(r, &idp), "signature wrapping").await;
    }
    // Response wrapping (XSW1, XSW2): the signed response inside a forged one, as a child or
    // in its Extensions, beside a forged assertion.
    for (name, in_extensions) in [("XSW1", false), ("XSW2", true)] {
        let forge = |r: &Response| {
            let signed = idp.sign(&r.template()).replace("<?xml version=\"1.0\"?>", "");
            let evil = Response { name_id: "root".into(), unsigned: true, ..r.clone() };
            let signed = if in_extensions { format!("<samlp:Extensions>{signed}</samlp:Extensions>") } else { signed };
            evil.wrap(&format!("{signed}{}", evil.assertion()))
        };
        assert_refused(&running, name, &forge, "signature wrapping").await;
    }

    // RSA-SHA1 once the administrator allows it (an older IdP).
    let mut allowing = settings(&idp, false);
    allowing["allowSha1"] = true.into();
    let (status, body) = admin.put("/api/tenant/sso/agents", allowing).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let started = start(&running, "agents").await;
    let sha1 = Response { sha1: true, ..good(&running, &started, "ana.diaz") };
    let (status, page, _) = post(&running, "agents", &idp.sign(&sha1.template()), &started.relay_state).await;
    assert_eq!(status, StatusCode::OK, "RSA-SHA1 allowed: {page}");

    // Each refusal is in the audit log with its reason.
    let (_, audit) = admin.get("/api/audit?limit=1000").await;
    let refusals = audit["lines"].as_array().into_iter().flatten().filter(|l| l["action"] == "sso.refused").count();
    assert!(refusals >= 20, "{refusals} refusals audited");
    drop(running);
}

/// Starts a sign-in, posts `forge(good response)` and checks it is refused with `reason` on the
/// page, and that the phone's claim gets the same reason instead of a token.
async fn assert_refused(running: &service::Running, name: &str, forge: &dyn Fn(&Response) -> String, reason: &str) {
    let started = start(running, "agents").await;
    let response = good(running, &started, "ana.diaz");
    let (status, page, _) = post(running, "agents", &forge(&response), &started.relay_state).await;
    let page = page.replace("&quot;", "\"").replace("&#39;", "'");
    assert!(status.is_client_error(), "{name}: refused, not {status}: {page}");
    assert!(page.contains(reason), "{name}: the page says {reason:?}: {page}");
    let (status, body) = claim(running, &started.nonce).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{name}: no token for the phone: {body}");
    assert!(body["message"].as_str().unwrap_or("").contains(reason), "{name}: the phone is told why: {body}");
}

/// The signed document without its `ds:Signature` element.
fn strip_signature(signed: &str) -> String {
    let start = signed.find("<ds:Signature").expect("signed");
    let end = signed.find("</ds:Signature>").expect("signed") + "</ds:Signature>".len();
    format!("{}{}", &signed[..start], &signed[end..])
}

type Wrap = Box<dyn Fn(&Response, &TestIdp) -> String>;

/// XSW3–XSW8 (after "On Breaking SAML"): a forged unsigned assertion naming `root` beside or
/// around the signed one.
fn xsw_variants() -> Vec<Wrap> {
    fn parts(r: &Response, idp: &TestIdp) -> (String, String) {
        let signed = idp.sign(&r.template());
        let start = signed.find("<saml:Assertion").expect("assertion");
        let end = signed.find("</saml:Assertion>").expect("assertion") + "</saml:Assertion>".len();
        let evil = Response { name_id: "root".into(), unsigned: true, ..r.clone() };
        (signed[start..end].to_owned(), evil.assertion())
    }
    let with_id = |evil: String, id: &str| {
        let start = evil.find(" ID=\"").expect("id") + 5;
        let end = start + evil[start..].find('"').expect("quote");
        format!("{}{id}{}", &evil[..start], &evil[end..])
    };
    vec![
        // XSW3: the forged assertion (the signed one's ID) before the signed one.
        Box::new(move |r, idp| {
            let (signed, evil) = parts(r, idp);
            r.wrap(&format!("{}{signed}", with_id(evil, &r.assertion_id)))
        }),
        // XSW4: the signed assertion inside the forged one.
        Box::new(move |r, idp| {
            let (signed, evil) = parts(r, idp);
            r.wrap(&evil.replace("</saml:Assertion>", &format!("{signed}</saml:Assertion>")))
        }),
        // XSW5: a forged assertion carrying the signature, the signed one in Extensions.
        Box::new(move |r, idp| {
            let (signed, evil) = parts(r, idp);
            let extensions = format!("<samlp:Extensions>{signed}</samlp:Extensions>");
            r.wrap(&format!("{extensions}{}", with_id(evil, &r.assertion_id)))
        }),
        // XSW6: the signed assertion inside the forged one's signature's Object.
        Box::new(move |r, idp| {
            let (signed, evil) = parts(r, idp);
            let object = format!("<ds:Object xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">{signed}</ds:Object>");
            r.wrap(&with_id(evil, &r.assertion_id).replace("<saml:Subject>", &format!("{object}<saml:Subject>")))
        }),
        // XSW7: the forged assertion after the signed one.
        Box::new(move |r, idp| {
            let (signed, evil) = parts(r, idp);
            r.wrap(&format!("{signed}{evil}"))
        }),
        // XSW8: the signed assertion in an Extensions of the forged one.
        Box::new(move |r, idp| {
            let (signed, evil) = parts(r, idp);
            r.wrap(
                &evil
                    .replace("<saml:Subject>", &format!("<samlp:Extensions>{signed}</samlp:Extensions><saml:Subject>")),
            )
        }),
    ]
}

async fn administrators_and_just_in_time_people(backend: Backend) {
    let (running, mut admin, _, _) = service_with_admin(backend).await;
    let idp = TestIdp::new("idp");
    for (username, role, sip) in [("template.agent", "agent", Some("1900")), ("rosa.lind", "admin", None)] {
        let mut person = json!({"username": username, "role": role, "password": "a long enough password"});
        if let Some(sip) = sip {
            person["sipUser"] = sip.into();
        }
        let (status, body) = admin.post("/api/people", person).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // Just in time off: an unknown agent is refused.
    let (status, body) = admin.put("/api/tenant/sso/agents", settings(&idp, false)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let started = start(&running, "agents").await;
    let signed = idp.sign(&good(&running, &started, "kenji.sato").template());
    let (status, page, _) = post(&running, "agents", &signed, &started.relay_state).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains("just-in-time provisioning is off"), "{page}");

    // On: created from the template with the assertion's names, e-mail and SIP user.
    let (status, body) = admin.put("/api/tenant/sso/agents", settings(&idp, true)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let started = start(&running, "agents").await;
    let mut response = good(&running, &started, "kenji.sato");
    response.attributes = vec![
        ("FirstName".into(), "Kenji".into()),
        ("LastName".into(), "Sato".into()),
        ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/Email".into(), "kenji.sato@acme.test".into()),
        ("SipUser".into(), "1901".into()),
    ];
    let (status, page, _) = post(&running, "agents", &idp.sign(&response.template()), &started.relay_state).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (_, people) = admin.get("/api/people").await;
    let kenji =
        people.as_array().into_iter().flatten().find(|p| p["username"] == "kenji.sato").cloned().unwrap_or_default();
    assert_eq!(
        (kenji["displayName"].as_str(), kenji["sipUser"].as_str()),
        (Some("Kenji Sato"), Some("1901")),
        "{people}"
    );
    assert_eq!((kenji["role"].as_str(), kenji["email"].as_str()), (Some("agent"), Some("kenji.sato@acme.test")));
    assert_eq!(kenji["hasPassword"], false);
    // Without a SIP user attribute, no agent is created.
    let started = start(&running, "agents").await;
    let signed = idp.sign(&good(&running, &started, "no.extension").template());
    let (status, page, _) = post(&running, "agents", &signed, &started.relay_state).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains("SipUser"), "{page}");

    // Administrators: the session cookie works in the API; an agent cannot use this scope.
    let mut admins = settings(&idp, false);
    admins["spEntityId"] = "default_admins_sso".into();
    admins["allowIdpInitiated"] = true.into();
    let (status, body) = admin.put("/api/tenant/sso/admins", admins).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let unasked = |name: &str| Response::new(None, &acs(&running, "admins"), IDP_ENTITY_ID, "default_admins_sso", name);
    let response = unasked("rosa.lind");
    let signed = idp.sign(&response.template());
    let (status, page, cookie) = post(&running, "admins", &signed, "").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut rosa = Api::new(&running.url);
    rosa.set_cookie(cookie);
    let (status, session) = rosa.get("/api/admin/session").await;
    assert_eq!((status, session["person"]["username"].as_str()), (StatusCode::OK, Some("rosa.lind")), "{session}");
    // The same unasked assertion again: a replay.
    let (status, page, _) = post(&running, "admins", &signed, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains("already used"), "{page}");
    let (status, page, _) = post(&running, "admins", &idp.sign(&unasked("template.agent").template()), "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains("is an agent"), "{page}");

    // The audit log has the sign-ins and the creation.
    let (_, audit) = admin.get("/api/audit").await;
    let actions: Vec<&str> =
        audit["lines"].as_array().into_iter().flatten().filter_map(|l| l["action"].as_str()).collect();
    for action in ["sso.sign-in", "person.jit-create", "sso.refused", "tenant.sso"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}
