//! Short-lived call credentials, on SQLite and PostgreSQL: the administrator sets the SIP and TURN
//! secrets (checked field by field, never shown again, sealed at rest); a signed-in agent gets
//! credentials for their own SIP user that the servers' HMAC accepts; a tenant without secrets,
//! a caller without a bearer token and a burst of requests are refused; every issue is audited.

#[macro_use]
mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Api, Backend, agent_phone, service_with_admin};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

on_both_databases!(agents_get_credentials_the_servers_accept, what_an_administrator_sets_is_checked);

const SIP_SECRET: &str = "sip-shared-secret-for-tests";
const TURN_SECRET: &str = "turn-shared-secret-for-tests";

/// Whether `password` is the servers' `base64(HMAC(secret, username))`.
fn servers_accept(algorithm: ring::hmac::Algorithm, secret: &str, username: &str, password: &str) -> bool {
    let key = ring::hmac::Key::new(algorithm, secret.as_bytes());
    STANDARD.decode(password).is_ok_and(|tag| ring::hmac::verify(&key, username.as_bytes(), &tag).is_ok())
}

/// The expiry in an `<expiry>:<user>` username, and the user.
fn expiry_and_user(username: &str) -> (i64, String) {
    let (expiry, user) = username.split_once(':').expect("EXPIRY:USER");
    (expiry.parse().expect("a number"), user.to_owned())
}

fn now_s() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

async fn set_up(admin: &mut Api) {
    let (status, body) = admin
        .put("/api/tenant/call-credentials/sip", json!({"secret": SIP_SECRET, "hash": "sha256", "ttlSeconds": 600}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ttlSeconds"], 600, "{body}");
    let turn = json!({"secret": TURN_SECRET, "hash": "sha1", "ttlSeconds": 3600, "urls": ["turn:turn.acme.example:3478?transport=udp", "turns:turn.acme.example:5349"]});
    let (status, body) = admin.put("/api/tenant/call-credentials/turn", turn).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn agents_get_credentials_the_servers_accept(backend: Backend) {
    let (running, mut admin, database, _) = service_with_admin(backend).await;
    let mut phone = agent_phone(&mut admin, &running.url, "1001").await;

    let (status, body) = phone.post("/api/agent/call-credentials", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing set up yet: {body}");
    assert!(body["message"].as_str().unwrap_or("").contains("administrator sets them up"), "{body}");

    set_up(&mut admin).await;
    let before = now_s();
    let (status, issued) = phone.post("/api/agent/call-credentials", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    let sip = &issued["sip"];
    assert_eq!(sip["user"], "1001");
    let username = sip["username"].as_str().expect("username");
    let (expiry, user) = expiry_and_user(username);
    assert_eq!(user, "1001");
    assert!((before + 600..=now_s() + 600).contains(&expiry), "expires in the TTL: {issued}");
    assert!((598..=600).contains(&sip["expiresIn"].as_i64().unwrap_or(0)), "{issued}");
    let password = sip["password"].as_str().expect("password");
    assert!(servers_accept(ring::hmac::HMAC_SHA256, SIP_SECRET, username, password), "Kamailio's HMAC: {issued}");
    assert!(!servers_accept(ring::hmac::HMAC_SHA256, "another-secret-entirely", username, password));

    let turn = &issued["turn"];
    assert_eq!(turn["urls"], json!(["turn:turn.acme.example:3478?transport=udp", "turns:turn.acme.example:5349"]));
    let turn_username = turn["username"].as_str().expect("username");
    assert_eq!(expiry_and_user(turn_username).1, "agent1001");
    let credential = turn["credential"].as_str().expect("credential");
    assert!(servers_accept(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, TURN_SECRET, turn_username, credential));

    // The administrator sees the settings, never the secrets; the database holds them sealed.
    let (_, shown) = admin.get("/api/tenant/call-credentials").await;
    assert_eq!(shown["sip"]["hash"], "sha256", "{shown}");
    assert!(!shown.to_string().contains(SIP_SECRET) && !shown.to_string().contains(TURN_SECRET), "{shown}");
    let db = service::database::Database::open(&database).await.expect("open");
    for row in
        sqlx::query("SELECT settings, sealed FROM call_credential_secrets").fetch_all(&db.pool).await.expect("rows")
    {
        let text = format!("{}{}", row.get::<String, _>(0), row.get::<String, _>(1));
        assert!(!text.contains(SIP_SECRET) && !text.contains(TURN_SECRET), "sealed: {text}");
    }

    // Every issue is audited, without the password.
    let (_, audit) = admin.get("/api/audit").await;
    let issue = audit["lines"].as_array().into_iter().flatten().find(|l| l["action"] == "credentials.issue");
    let detail = issue.map(|l| l["detail"].to_string()).unwrap_or_default();
    assert!(detail.contains(username) && !detail.contains(password), "{audit}");

    // SIP removed: TURN alone still comes.
    let (status, _) = admin.delete("/api/tenant/call-credentials/sip").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, issued) = phone.post("/api/agent/call-credentials", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    assert_eq!(issued["sip"], Value::Null, "{issued}");
    assert!(issued["turn"]["credential"].is_string(), "{issued}");

    // Without a bearer token: nothing.
    let (status, _) = Api::new(&running.url).post("/api/agent/call-credentials", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A burst is held (the phone asks once per half-lifetime).
    let mut limited = None;
    for _ in 0..25 {
        let (status, body) = phone.post("/api/agent/call-credentials", json!({})).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(body);
            break;
        }
    }
    assert!(limited.is_some_and(|b| b["error"] == "rate_limited"), "a burst is refused");
}

async fn what_an_administrator_sets_is_checked(backend: Backend) {
    let (running, mut admin, _, _) = service_with_admin(backend).await;
    let refusal = async |admin: &mut Api, kind: &str, body: Value| {
        let (status, body) = admin.put(&format!("/api/tenant/call-credentials/{kind}"), body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        body["field"].as_str().unwrap_or_default().to_owned()
    };
    // No secret stored yet: one is required.
    assert_eq!(refusal(&mut admin, "sip", json!({"hash": "sha256", "ttlSeconds": 600})).await, "secret");
    assert_eq!(
        refusal(&mut admin, "sip", json!({"secret": "short", "hash": "sha256", "ttlSeconds": 600})).await,
        "secret"
    );
    let long_enough = "a-long-enough-secret";
    assert_eq!(
        refusal(&mut admin, "sip", json!({"secret": long_enough, "hash": "sha256", "ttlSeconds": 30})).await,
        "ttlSeconds"
    );
    let turn = json!({"secret": long_enough, "hash": "sha256", "ttlSeconds": 600, "urls": ["turn:t.example"]});
    assert_eq!(refusal(&mut admin, "turn", turn).await, "hash");
    let turn = json!({"secret": long_enough, "hash": "sha1", "ttlSeconds": 600, "urls": ["stun:t.example"]});
    assert_eq!(refusal(&mut admin, "turn", turn).await, "urls[0]");
    let (status, _) = admin.put("/api/tenant/call-credentials/ldap", json!({"hash": "sha1", "ttlSeconds": 600})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Set once, later changes may leave the secret out.
    let (status, _) = admin
        .put("/api/tenant/call-credentials/sip", json!({"secret": long_enough, "hash": "sha256", "ttlSeconds": 600}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) =
        admin.put("/api/tenant/call-credentials/sip", json!({"hash": "sha512", "ttlSeconds": 7200})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["hash"].as_str(), body["ttlSeconds"].as_i64()), (Some("sha512"), Some(7200)), "{body}");

    // Agents change nothing here; administrators need the CSRF token.
    let mut phone = agent_phone(&mut admin, &running.url, "1002").await;
    let (status, _) = phone.put("/api/tenant/call-credentials/sip", json!({"hash": "sha1", "ttlSeconds": 600})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let csrf = admin.forget_csrf();
    let (status, _) = admin.delete("/api/tenant/call-credentials/sip").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    admin.set_csrf(csrf);
    let (status, _) = admin.delete("/api/tenant/call-credentials/sip").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = admin.delete("/api/tenant/call-credentials/sip").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
