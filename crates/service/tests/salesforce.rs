//! Salesforce accounts against the Salesforce emulator, on SQLite and PostgreSQL: Request token
//! (the web-server flow with PKCE), refresh with rotation, Check limits, Test connection, a
//! revoked refresh token, a wrong consumer secret, and the JWT bearer flow with a key made by
//! openssl (a key that does not match the certificate, a user who has not approved the app, a
//! key that is not one).

#[macro_use]
mod common;

use common::{Api, Backend, answer_consent, service_with_admin, start_emulators};
use devserver::{SALESFORCE_CONSUMER_KEY, SALESFORCE_CONSUMER_SECRET, SALESFORCE_ORG_USER};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_databases!(request_token_rotation_and_limits, jwt_bearer_with_an_uploaded_certificate);

async fn create(api: &mut Api, body: Value) -> String {
    let (status, created) = api.post("/api/accounts", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().expect("id").to_owned()
}

async fn test_report(api: &mut Api, id: &str) -> Value {
    let (status, report) = api.post(&format!("/api/accounts/{id}/test"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report
}

async fn request_token_rotation_and_limits(backend: Backend) {
    let (running, mut api, _, _) = service_with_admin(backend).await;
    let emulators = start_emulators().await;
    let org = emulators.salesforce_org();
    org.set_connected_app_redirect_uri(&format!("{}/oauth/callback", running.url));
    let id = create(
        &mut api,
        json!({"kind": "salesforce", "name": "Acme org", "settings": {"myDomainUrl": emulators.salesforce, "consumerKey": SALESFORCE_CONSUMER_KEY},
               "secrets": {"consumerSecret": SALESFORCE_CONSUMER_SECRET}}),
    )
    .await;
    let report = test_report(&mut api, &id).await;
    assert!(report["checks"][0]["message"].as_str().unwrap_or("").contains("choose Request token"), "{report}");

    // Request token: the org's Allow Access? page in the popup, then back.
    let (_, started) = api.post(&format!("/api/accounts/{id}/authorize"), json!({})).await;
    let url = started["url"].as_str().expect("url");
    assert!(
        url.starts_with(&format!("{}/services/oauth2/authorize?", emulators.salesforce))
            && url.contains("code_challenge_method=S256"),
        "{url}"
    );
    let (status, page) =
        answer_consent(url, &format!("{}/services/oauth2/authorize", emulators.salesforce), "allow").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("The refresh token of Acme org is stored."), "{page}");

    // Test connection and Check limits; each refresh rotates the refresh token, which is kept.
    let report = test_report(&mut api, &id).await;
    assert_eq!(report["summary"], "Connection is valid", "{report}");
    let versions = report["checks"][1]["capability"].as_str().unwrap_or("");
    assert_eq!(versions, "API version 68.0");
    let (status, limits) = api.post(&format!("/api/accounts/{id}/limits"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{limits}");
    assert_eq!(limits["dailyApiRequests"]["max"], 15_000);
    assert_eq!(limits["dailyApiRequests"]["used"].as_u64(), Some(org.api_requests()), "{limits}");
    assert!(limits["message"].as_str().unwrap_or("").contains("of 15,000 daily API requests used"), "{limits}");
    let (_, audit) = api.get("/api/audit").await;
    let rotations =
        audit["lines"].as_array().expect("lines").iter().filter(|l| l["detail"] == "rotated by Salesforce").count();
    assert_eq!(rotations, 2, "each refresh's new refresh token kept: {audit}");

    // A wrong consumer secret, then revoked refresh tokens, each say what to do.
    api.patch(&format!("/api/accounts/{id}"), json!({"secrets": {"consumerSecret": "wrong"}})).await;
    let report = test_report(&mut api, &id).await;
    assert!(
        report["checks"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("check the connected app's consumer key and consumer secret"),
        "{report}"
    );
    api.patch(&format!("/api/accounts/{id}"), json!({"secrets": {"consumerSecret": SALESFORCE_CONSUMER_SECRET}})).await;
    org.revoke_refresh_tokens();
    let (status, body) = api.post(&format!("/api/accounts/{id}/limits"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(body["message"].as_str().unwrap_or("").contains("Choose Request token again"), "{body}");

    // Deny in the popup is said so.
    let (_, started) = api.post(&format!("/api/accounts/{id}/authorize"), json!({})).await;
    let (status, page) = answer_consent(
        started["url"].as_str().expect("url"),
        &format!("{}/services/oauth2/authorize", emulators.salesforce),
        "deny",
    )
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("did not authorise the service: access_denied"), "{page}");
}

/// A new RSA key and its self-signed certificate, made by openssl: (key PEM, certificate PEM).
fn key_and_certificate() -> (String, String) {
    let dir = std::env::temp_dir().join(format!("framephone-jwt-{}", service::random::id().replace(['-', '_'], "x")));
    std::fs::create_dir_all(&dir).expect("dir");
    let status = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=framephone-test"])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .output()
        .expect("openssl runs");
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let key = std::fs::read_to_string(dir.join("key.pem")).expect("key");
    let certificate = std::fs::read_to_string(dir.join("cert.pem")).expect("certificate");
    let _ = std::fs::remove_dir_all(&dir);
    (key, certificate)
}

async fn jwt_bearer_with_an_uploaded_certificate(backend: Backend) {
    let (_running, mut api, _, _) = service_with_admin(backend).await;
    let emulators = start_emulators().await;
    let org = emulators.salesforce_org();
    let (key, certificate) = key_and_certificate();
    assert!(org.upload_certificate(&certificate));
    let settings = json!({"myDomainUrl": emulators.salesforce, "consumerKey": SALESFORCE_CONSUMER_KEY, "auth": "jwtBearer", "username": SALESFORCE_ORG_USER});

    let (status, body) =
        api.post("/api/accounts", json!({"kind": "salesforce", "name": "Bad key", "settings": settings, "secrets": {"privateKey": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"}})).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("secrets.privateKey")),
        "{body}"
    );

    let id = create(
        &mut api,
        json!({"kind": "salesforce", "name": "Acme JWT", "settings": settings, "secrets": {"privateKey": key}}),
    )
    .await;
    let report = test_report(&mut api, &id).await;
    assert_eq!(report["summary"], "Connection is valid", "{report}");
    assert_eq!(report["checks"][0]["capability"], format!("Sign-in (JWT bearer as {SALESFORCE_ORG_USER})"));
    let (_, account) = api.get(&format!("/api/accounts/{id}")).await;
    assert_eq!(account["secrets"]["refreshToken"]["set"], false, "the JWT bearer flow keeps no refresh token");
    assert!(!account.to_string().contains("PRIVATE KEY"), "the key never comes back");
    let (status, _) = api.post(&format!("/api/accounts/{id}/authorize"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "no popup sign-in for a JWT bearer account");

    // A user who has not approved the app, and a key whose certificate the app does not hold.
    api.patch(&format!("/api/accounts/{id}"), json!({"settings": {"username": "someone.else@acme.example"}})).await;
    let report = test_report(&mut api, &id).await;
    assert!(
        report["checks"][0]["message"].as_str().unwrap_or("").contains("has not approved the connected app"),
        "{report}"
    );
    let (other_key, _) = key_and_certificate();
    api.patch(
        &format!("/api/accounts/{id}"),
        json!({"settings": {"username": SALESFORCE_ORG_USER}, "secrets": {"privateKey": other_key}}),
    )
    .await;
    let report = test_report(&mut api, &id).await;
    assert!(
        report["checks"][0]["message"].as_str().unwrap_or("").contains("must match the certificate uploaded"),
        "{report}"
    );
}
