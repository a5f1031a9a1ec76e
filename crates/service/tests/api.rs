//! The service's REST API against a real database (SQLite and PostgreSQL: each scenario runs on
//! both) and the ServiceNow emulator: setup, sign-in, CSRF and rate limits, people, integration
//! accounts and their ServiceNow actions, secrets sealed at rest, the audit log.

#[macro_use]
mod common;

use common::{
    ADMIN_PASSWORD, Api, Backend, WIDGET_ORIGIN, fresh_database, key_entry, logs, service_with_admin,
    servicenow_account, start_emulators, start_service,
};
use devserver::{SERVICENOW_INSTANCE_ADMIN, SERVICENOW_SERVICE_CLIENT_ID, SERVICENOW_SERVICE_CLIENT_SECRET};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Row;

on_both_databases!(
    first_admin_by_setup_token,
    admin_changes_need_the_csrf_token,
    people_and_agent_tokens,
    servicenow_account_actions,
    secrets_stay_sealed_across_key_rotation,
    agents_get_one_shared_crm_token,
    sign_in_with_servicenow_by_authorization_code,
);

async fn first_admin_by_setup_token(backend: Backend) {
    let database = fresh_database(backend).await;
    let running = start_service(&database, &key_entry()).await;
    let token = running.setup_token.clone().expect("no administrator yet: a setup token");
    let mut api = Api::new(&running.url);
    let (status, body) =
        api.post("/api/setup", json!({"setupToken": "guess", "username": "root", "password": ADMIN_PASSWORD})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["message"].as_str().unwrap_or("").contains("setup token is not valid"), "{body}");
    let (status, body) =
        api.post("/api/setup", json!({"setupToken": token, "username": "root", "password": "short"})).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")), "{body}");
    let (status, body) =
        api.post("/api/setup", json!({"setupToken": token, "username": "root", "password": ADMIN_PASSWORD})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["role"], "admin");
    assert!(body.get("passwordHash").is_none() && !body.to_string().contains("argon2"), "{body}");
    let (status, _) =
        api.post("/api/setup", json!({"setupToken": token, "username": "evil", "password": ADMIN_PASSWORD})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a setup token works once");

    // A restart with an administrator issues no new token.
    drop(running);
    let again = start_service(&database, &key_entry()).await;
    assert!(again.setup_token.is_none());

    // Sign-in: a wrong password and an unknown user get the same answer; ten failures lock the
    // username for a while, even with the right password.
    let mut api = Api::new(&again.url);
    let (status, wrong) =
        api.post("/api/admin/session", json!({"username": "root", "password": "not the password"})).await;
    let (_, unknown) =
        api.post("/api/admin/session", json!({"username": "nobody", "password": "not the password"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong, unknown, "no hint whether the username exists");
    for _ in 0..9 {
        api.post("/api/admin/session", json!({"username": "root", "password": "still not it"})).await;
    }
    let (status, body) = api.post("/api/admin/session", json!({"username": "root", "password": ADMIN_PASSWORD})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}

async fn admin_changes_need_the_csrf_token(backend: Backend) {
    let (running, mut api, _, _) = service_with_admin(backend).await;
    let (status, _) = Api::new(&running.url).get("/api/accounts").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no session");
    let csrf = api.forget_csrf();
    let (status, body) = api.get("/api/accounts").await;
    assert_eq!(status, StatusCode::OK, "reads need no CSRF token: {body}");
    let account = json!({"kind": "servicenow", "name": "Acme", "settings": {"instanceUrl": "https://acme.service-now.com", "clientId": "c"}});
    let (status, body) = api.post("/api/accounts", account.clone()).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::FORBIDDEN, Some("csrf")), "{body}");
    api.set_csrf(Some("forged".into()));
    let (status, _) = api.post("/api/accounts", account.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    api.set_csrf(csrf);
    let (status, body) = api.post("/api/accounts", account).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, session) = api.get("/api/admin/session").await;
    assert_eq!(status, StatusCode::OK);
    assert!(session["csrfToken"].is_string(), "a reloaded admin page gets the token again");
    let (status, _) = api.delete("/api/admin/session").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api.get("/api/accounts").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out");
}

async fn people_and_agent_tokens(backend: Backend) {
    let (running, mut api, _, _) = service_with_admin(backend).await;
    let agent = json!({"username": "ana", "displayName": "Ana Díaz", "role": "agent", "password": "ana's long password", "sipUser": "1001"});
    let (status, _) =
        api.post("/api/people", json!({"username": "ana", "role": "agent", "password": "ana's long password"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "an agent needs a SIP user");
    let (status, ana) = api.post("/api/people", agent).await;
    assert_eq!(status, StatusCode::CREATED, "{ana}");
    let (status, body) = api
        .post(
            "/api/people",
            json!({"username": "ben", "role": "agent", "password": "ben's long password", "sipUser": "1001"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["message"].as_str().unwrap_or("").contains("ana"), "names who has it: {body}");

    let mut phone = Api::new(&running.url);
    let (status, body) =
        phone.post("/api/admin/session", json!({"username": "ana", "password": "ana's long password"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "agents do not use the admin UI: {body}");
    let (status, token) =
        phone.post("/api/agent/session", json!({"username": "ana", "password": "ana's long password"})).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["tokenType"], "Bearer");
    assert!(token["expiresIn"].as_i64().is_some_and(|s| (800..=900).contains(&s)), "{token}");
    assert_eq!(token["person"]["sipUser"], "1001");
    phone.set_bearer(token["accessToken"].as_str().map(str::to_owned));
    let (status, _) = phone.get("/api/accounts").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a bearer token is not an admin session");
    let (status, renewed) = phone.post("/api/agent/session/renew", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    let (status, _) = phone.post("/api/agent/session/renew", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the renewed token ended");
    phone.set_bearer(renewed["accessToken"].as_str().map(str::to_owned));

    // A new password ends the agent's sessions.
    let id = ana["id"].as_str().expect("id");
    let (status, body) = api.patch(&format!("/api/people/{id}"), json!({"password": "a brand new password"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = phone.post("/api/agent/session/renew", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The last administrator stays.
    let (_, people) = api.get("/api/people").await;
    let root = people.as_array().and_then(|p| p.iter().find(|p| p["username"] == "root")).expect("root");
    let root_id = root["id"].as_str().expect("id");
    let (status, _) = api.patch(&format!("/api/people/{root_id}"), json!({"role": "agent", "sipUser": "1999"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = api.delete(&format!("/api/people/{root_id}")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = api.delete(&format!("/api/people/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

async fn servicenow_account_actions(backend: Backend) {
    let (running, mut api, database, _) = service_with_admin(backend).await;
    let emulators = start_emulators().await;
    let instance = emulators.servicenow_instance();
    let (instance_user, instance_password) = SERVICENOW_INSTANCE_ADMIN;

    // Bad fields are named.
    let bad = json!({"kind": "servicenow", "name": "Acme", "settings": {"instanceUrl": "http://acme.service-now.com", "clientId": "c"}});
    let (status, body) = api.post("/api/accounts", bad).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("settings.instanceUrl")),
        "{body}"
    );

    let account = json!({
        "kind": "servicenow", "name": "Acme ServiceNow",
        "settings": {"instanceUrl": format!("{}/", emulators.servicenow), "clientId": SERVICENOW_SERVICE_CLIENT_ID},
        "secrets": {"clientSecret": SERVICENOW_SERVICE_CLIENT_SECRET},
    });
    let (status, created) = api.post("/api/accounts", account).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["default"], true, "the first account of its kind is the default");
    assert_eq!(created["settings"]["instanceUrl"], emulators.servicenow.as_str());
    assert_eq!(created["secrets"]["clientSecret"]["set"], true);
    assert_eq!(created["secrets"]["refreshToken"]["set"], false);
    assert!(!created.to_string().contains(SERVICENOW_SERVICE_CLIENT_SECRET), "a secret never comes back: {created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let (status, _) = api
        .post(
            "/api/accounts",
            json!({"kind": "servicenow", "name": "Acme ServiceNow", "settings": created["settings"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "names are unique");

    // Test connection before any token says what to do.
    let (_, report) = api.post(&format!("/api/accounts/{id}/test"), json!({})).await;
    assert_eq!(report["ok"], false);
    assert!(report["checks"][0]["message"].as_str().unwrap_or("").contains("choose Request refresh token"), "{report}");

    // Request refresh token: wrong credentials, then the right ones.
    let path = format!("/api/accounts/{id}/refresh-token");
    let (status, body) = api.post(&path, json!({"username": instance_user, "password": "wrong"})).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(body["message"].as_str().unwrap_or("").contains("check the client id and client secret"), "{body}");
    let (status, body) = api.post(&path, json!({"username": instance_user, "password": instance_password})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token_state = &body["account"]["secrets"]["refreshToken"];
    assert_eq!(
        (token_state["set"].as_bool(), token_state["expiresSoon"].as_bool()),
        (Some(true), Some(false)),
        "{body}"
    );

    let (status, report) = api.post(&format!("/api/accounts/{id}/test"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["summary"], "Connection is valid", "{report}");
    let capabilities: Vec<&str> =
        report["checks"].as_array().expect("checks").iter().filter_map(|c| c["capability"].as_str()).collect();
    assert_eq!(capabilities.len(), 3, "{report}");
    assert!(
        capabilities.iter().any(|c| c.contains("sys_user"))
            && capabilities.iter().any(|c| c.contains("sn_openframe_phone_log"))
    );

    // A hardened instance refuses the password grant: the admin is told the other way.
    instance.set_password_grant(false);
    let (status, body) = api.post(&path, json!({"username": instance_user, "password": instance_password})).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(body["message"].as_str().unwrap_or("").contains("Sign in with ServiceNow"), "{body}");
    instance.set_password_grant(true);

    // An expired refresh token, then a wrong client secret, each say what to do.
    instance.expire_refresh_tokens();
    let (_, report) = api.post(&format!("/api/accounts/{id}/test"), json!({})).await;
    assert_eq!(report["ok"], false);
    assert!(report["checks"][0]["message"].as_str().unwrap_or("").contains("expired or was revoked"), "{report}");
    assert!(report["checks"][1]["message"].as_str().unwrap_or("").contains("not checked"), "{report}");
    api.post(&path, json!({"username": instance_user, "password": instance_password})).await;
    let (status, body) =
        api.patch(&format!("/api/accounts/{id}"), json!({"secrets": {"clientSecret": "not-the-secret"}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, report) = api.post(&format!("/api/accounts/{id}/test"), json!({})).await;
    assert_eq!(report["ok"], false, "{report}");
    let (status, body) = api.patch(&format!("/api/accounts/{id}"), json!({"secrets": {"refreshToken": "typed"}})).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("secrets.refreshToken")),
        "{body}"
    );

    // An unreachable instance is named.
    let (_, body) = api.patch(&format!("/api/accounts/{id}"), json!({"settings": {"instanceUrl": "http://127.0.0.1:9"}, "secrets": {"clientSecret": SERVICENOW_SERVICE_CLIENT_SECRET}})).await;
    assert_eq!(
        body["secrets"]["refreshToken"]["set"], false,
        "a new instance voids the old instance's refresh token: {body}"
    );
    let (_, body) = api.post(&path, json!({"username": instance_user, "password": instance_password})).await;
    assert!(
        body["message"].as_str().unwrap_or("").contains("http://127.0.0.1:9/oauth_token.do could not be reached"),
        "{body}"
    );

    // Nothing in clear: not in answers, the audit log, the service's logs or the database.
    let (_, audit) = api.get("/api/audit").await;
    let actions: Vec<&str> =
        audit["lines"].as_array().expect("lines").iter().filter_map(|l| l["action"].as_str()).collect();
    for action in ["account.create", "account.refresh-token", "account.test", "account.update"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let stored = database_text(&database).await;
    for secret in [SERVICENOW_SERVICE_CLIENT_SECRET, instance_password, ADMIN_PASSWORD, "not-the-secret"] {
        assert!(!audit.to_string().contains(secret), "{secret} in the audit log");
        assert!(!logs().contains(secret), "{secret} in the logs");
        assert!(!stored.contains(secret), "{secret} in the database");
    }
    assert!(stored.contains(SERVICENOW_SERVICE_CLIENT_ID), "the check reads the database it should");

    let (status, _) = api.delete(&format!("/api/accounts/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api.get(&format!("/api/accounts/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    drop(running);
}

/// Every text column of every table, and for SQLite the file's bytes too.
async fn database_text(url: &str) -> String {
    let db = service::database::Database::open(url).await.expect("open");
    let mut text = String::new();
    for (table, columns) in [
        ("people", "username, display_name, password_hash"),
        ("integration_accounts", "name, settings"),
        ("account_secrets", "name, key_id, sealed"),
        ("audit_log", "actor, action, target, detail"),
    ] {
        for row in sqlx::query(&format!("SELECT {columns} FROM {table}")).fetch_all(&db.pool).await.expect("select") {
            for i in 0..columns.split(", ").count() {
                text.push_str(&row.try_get::<Option<String>, _>(i).unwrap_or_default().unwrap_or_default());
                text.push('\n');
            }
        }
    }
    if let Some(path) = url.strip_prefix("sqlite://") {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
        assert_eq!(mode, 0o600, "the database file is its owner's alone");
        for file in [path.to_owned(), format!("{path}-wal")] {
            text.push_str(&String::from_utf8_lossy(&std::fs::read(file).unwrap_or_default()));
        }
    }
    text
}

async fn secrets_stay_sealed_across_key_rotation(backend: Backend) {
    let database = fresh_database(backend).await;
    let old_key = key_entry();
    let running = start_service(&database, &old_key).await;
    let mut api = Api::new(&running.url);
    let token = running.setup_token.clone().expect("setup token");
    api.post("/api/setup", json!({"setupToken": token, "username": "root", "password": ADMIN_PASSWORD})).await;
    api.sign_in_admin("root", ADMIN_PASSWORD).await;
    let emulators = start_emulators().await;
    let id = servicenow_account(&mut api, &emulators.servicenow).await;
    drop(running);

    // A new key first, the old one kept: old values still open.
    let rotated = start_service(&database, &format!("{},{old_key}", key_entry())).await;
    let mut api = Api::new(&rotated.url);
    api.sign_in_admin("root", ADMIN_PASSWORD).await;
    let (_, report) = api.post(&format!("/api/accounts/{id}/test"), json!({})).await;
    assert_eq!(report["summary"], "Connection is valid", "{report}");
    drop(rotated);

    // Without the old key, the service says which key is missing instead of failing silently.
    let without = start_service(&database, &key_entry()).await;
    let mut api = Api::new(&without.url);
    api.sign_in_admin("root", ADMIN_PASSWORD).await;
    let (status, body) = api.post(&format!("/api/accounts/{id}/test"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let old_id = old_key.split(':').next().expect("id");
    assert!(body["message"].as_str().unwrap_or("").contains(old_id), "names the missing key: {body}");
}

#[test]
fn the_service_refuses_to_start_without_a_master_key() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_framephone-service"))
        .env_remove("FRAMEPHONE_MASTER_KEY")
        .env_remove("FRAMEPHONE_MASTER_KEY_FILE")
        .env("DATABASE_URL", "sqlite::memory:")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("no master key") && said.contains("generate-key"), "{said}");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_framephone-service"))
        .arg("generate-key")
        .output()
        .expect("runs");
    let entry = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert!(service::master_key::Keyring::from_sources(Some(&entry), None).is_ok(), "{entry}");
}

async fn agents_get_one_shared_crm_token(backend: Backend) {
    let (running, mut api, _, _) = service_with_admin(backend).await;
    let emulators = start_emulators().await;
    let instance = emulators.servicenow_instance();
    let mut phone = Api::new(&running.url);
    let (status, _) = phone.post("/api/crm-token", json!({"kind": "servicenow"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "only signed-in agents");
    api.post(
        "/api/people",
        json!({"username": "ana", "role": "agent", "password": "ana's long password", "sipUser": "1001"}),
    )
    .await;
    let (_, session) =
        phone.post("/api/agent/session", json!({"username": "ana", "password": "ana's long password"})).await;
    phone.set_bearer(session["accessToken"].as_str().map(str::to_owned));
    let (status, body) = phone.post("/api/crm-token", json!({"kind": "servicenow"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["message"].as_str().unwrap_or("").contains("no default servicenow integration account"), "{body}");

    servicenow_account(&mut api, &emulators.servicenow).await;
    let grants_before = token_grants(&instance);
    // Fifty at once (one agent's limit is sixty a minute).
    let answers = futures_join(&phone, 50).await;
    let first = answers[0]["accessToken"].as_str().expect("token").to_owned();
    assert!(answers.iter().all(|a| a["accessToken"] == first.as_str()), "one token for all");
    assert_eq!(token_grants(&instance) - grants_before, 1, "concurrent requests cost the instance one refresh");
    assert_eq!(answers[0]["site"], emulators.servicenow.as_str());
    assert!(answers[0]["expiresIn"].as_i64().is_some_and(|s| (1400..=1500).contains(&s)), "{}", answers[0]);
    assert_eq!(table_status(&emulators.servicenow, &first).await, 200, "the token works on the instance");

    // The instance refused it: the widget says so and gets a new one.
    instance.expire_tokens();
    assert_eq!(table_status(&emulators.servicenow, &first).await, 401);
    let (_, same) = phone.post("/api/crm-token", json!({"kind": "servicenow"})).await;
    assert_eq!(same["accessToken"], first.as_str(), "the service cannot know until told");
    let (status, fresh) = phone.post("/api/crm-token", json!({"kind": "servicenow", "refused": first})).await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    let fresh = fresh["accessToken"].as_str().expect("token");
    assert_ne!(fresh, first);
    assert_eq!(table_status(&emulators.servicenow, fresh).await, 200);

    // CORS: the widget's origin may call the widget's routes, no other origin, and no origin the
    // admin routes.
    let preflight = phone.with_origin("OPTIONS", "/api/crm-token", WIDGET_ORIGIN).await;
    assert_eq!(
        preflight.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()),
        Some(WIDGET_ORIGIN)
    );
    assert!(preflight.headers().get("access-control-allow-credentials").is_none());
    let evil = phone.with_origin("OPTIONS", "/api/crm-token", "https://evil.example").await;
    assert!(evil.headers().get("access-control-allow-origin").is_none());
    let admin = api.with_origin("GET", "/api/accounts", WIDGET_ORIGIN).await;
    assert!(admin.headers().get("access-control-allow-origin").is_none());
    assert!(!logs().contains(&first), "a handed-out token is never logged");

    // Another instance URL: the old instance's tokens are not handed out for it.
    let (_, accounts) = api.get("/api/accounts").await;
    let id = accounts["accounts"][0]["id"].as_str().expect("id").to_owned();
    api.patch(&format!("/api/accounts/{id}"), json!({"settings": {"instanceUrl": "http://127.0.0.1:9"}})).await;
    let (status, body) = phone.post("/api/crm-token", json!({"kind": "servicenow"})).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert!(body["message"].as_str().unwrap_or("").contains("no refresh token yet"), "{body}");

    // A widget that asks in a loop is stopped.
    let mut limited = false;
    for _ in 0..70 {
        let (status, _) = phone.post("/api/crm-token", json!({"kind": "servicenow"})).await;
        limited |= status == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(limited, "sixty token requests a minute per agent at most");
}

/// How many times the instance's token endpoint was called.
fn token_grants(instance: &devserver::ServiceNowInstance) -> usize {
    instance.requests().iter().filter(|(method, path)| method == "POST" && path == "/oauth_token.do").count()
}

/// `n` concurrent token requests of one agent's widget.
async fn futures_join(phone: &Api, n: usize) -> Vec<serde_json::Value> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let mut phone = phone.clone();
            tokio::spawn(async move { phone.post("/api/crm-token", json!({"kind": "servicenow"})).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        let (status, body) = task.await.expect("task");
        assert_eq!(status, StatusCode::OK, "{body}");
        answers.push(body);
    }
    answers
}

/// The Table API's status for a read of `sys_user` with `token`.
async fn table_status(instance: &str, token: &str) -> u16 {
    let url = format!("{instance}/api/now/table/sys_user?sysparm_limit=1");
    reqwest::Client::new().get(url).bearer_auth(token).send().await.map(|r| r.status().as_u16()).unwrap_or(0)
}

async fn sign_in_with_servicenow_by_authorization_code(backend: Backend) {
    let (running, mut api, _, _) = service_with_admin(backend).await;
    let emulators = start_emulators().await;
    let instance = emulators.servicenow_instance();
    instance.set_password_grant(false);
    let callback = format!("{}/oauth/callback", running.url);
    instance.set_service_redirect_uri(&callback);
    let account = json!({
        "kind": "servicenow", "name": "Hardened",
        "settings": {"instanceUrl": emulators.servicenow, "clientId": SERVICENOW_SERVICE_CLIENT_ID},
        "secrets": {"clientSecret": SERVICENOW_SERVICE_CLIENT_SECRET},
    });
    let (_, created) = api.post("/api/accounts", account).await;
    let id = created["id"].as_str().expect("id").to_owned();
    let (status, started) = api.post(&format!("/api/accounts/{id}/authorize"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    assert_eq!(started["redirectUri"], callback.as_str());
    let url = started["url"].as_str().expect("url");
    assert!(
        url.starts_with(&format!("{}/oauth_auth.do?", emulators.servicenow))
            && url.contains("code_challenge_method=S256"),
        "{url}"
    );

    // The browser's part, by hand: the consent page, Allow, the redirect back.
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let consent_page = browser.get(url).send().await.expect("consent").text().await.expect("page");
    let consent = consent_page
        .split("name=\"consent\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("consent id");
    let allowed = browser
        .post(format!("{}/oauth_auth.do", emulators.servicenow))
        .form(&[("consent", consent), ("decision", "allow")])
        .send()
        .await
        .expect("allow");
    let back = allowed.headers().get("location").and_then(|v| v.to_str().ok()).expect("redirect").to_owned();
    assert!(back.starts_with(&callback), "{back}");
    let page = browser.get(&back).send().await.expect("callback");
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()
            .get("content-security-policy")
            .is_some_and(|v| v.to_str().unwrap_or("").contains("script-src 'self'"))
    );
    assert!(page.text().await.expect("page").contains("The refresh token of Hardened is stored."));
    let (_, report) = api.post(&format!("/api/accounts/{id}/test"), json!({})).await;
    assert_eq!(report["summary"], "Connection is valid", "{report}");

    // The same state again, a forged one, and a Deny each say what happened.
    let again = browser.get(&back).send().await.expect("replay");
    assert_eq!(again.status(), 400);
    assert!(again.text().await.expect("page").contains("unknown or expired"));
    let (_, started) = api.post(&format!("/api/accounts/{id}/authorize"), json!({})).await;
    let state = started["url"]
        .as_str()
        .and_then(|u| u.split("state=").nth(1))
        .and_then(|s| s.split('&').next())
        .expect("state");
    let denied = browser.get(format!("{callback}?error=access_denied&state={state}")).send().await.expect("deny");
    assert!(denied.text().await.expect("page").contains("did not authorise the service: access_denied"));
    let (_, audit) = api.get("/api/audit").await;
    assert!(audit.to_string().contains("signed in with ServiceNow (authorization code)"), "{audit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_every_route() {
    let database = fresh_database(Backend::Sqlite).await;
    let running = start_service(&database, &key_entry()).await;
    let (status, document) = Api::new(&running.url).get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(document["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{document}");
    let routes = [
        ("/api/health", "get"),
        ("/api/setup", "post"),
        ("/api/admin/session", "post"),
        ("/api/admin/session", "get"),
        ("/api/admin/session", "delete"),
        ("/api/agent/session", "post"),
        ("/api/agent/session", "delete"),
        ("/api/agent/session/renew", "post"),
        ("/api/people", "get"),
        ("/api/people", "post"),
        ("/api/people/{id}", "patch"),
        ("/api/people/{id}", "delete"),
        ("/api/accounts", "get"),
        ("/api/accounts", "post"),
        ("/api/accounts/{id}", "get"),
        ("/api/accounts/{id}", "patch"),
        ("/api/accounts/{id}", "delete"),
        ("/api/accounts/{id}/refresh-token", "post"),
        ("/api/accounts/{id}/test", "post"),
        ("/api/accounts/{id}/authorize", "post"),
        ("/api/accounts/{id}/limits", "post"),
        ("/oauth/callback", "get"),
        ("/agent/sign-in", "get"),
        ("/api/audit", "get"),
        ("/api/crm-token", "post"),
        ("/api/call-logs", "post"),
        ("/api/call-logs", "get"),
        ("/api/call-logs/{id}", "get"),
        ("/api/call-logs/{id}/retry", "post"),
        ("/api/tenant", "get"),
        ("/api/tenant/widget-config", "get"),
        ("/api/tenant/widget-config", "put"),
        ("/api/tenant/widget-origins", "put"),
        ("/t/{slug}/framephone.json", "get"),
        ("/api/tenant/call-credentials", "get"),
        ("/api/tenant/call-credentials/{kind}", "put"),
        ("/api/tenant/call-credentials/{kind}", "delete"),
        ("/api/agent/call-credentials", "post"),
        ("/api/tenant/sso", "get"),
        ("/api/tenant/sso/{scope}", "put"),
        ("/sso/{slug}/{scope}/metadata", "get"),
        ("/sso/{slug}/{scope}/start", "get"),
        ("/sso/{slug}/{scope}/acs", "post"),
        ("/api/agent/sso/claim", "post"),
    ];
    for (path, method) in routes {
        assert!(document["paths"][path][method].is_object(), "{method} {path} is documented");
    }
    let documented: usize = document["paths"]
        .as_object()
        .map(|paths| paths.values().map(|p| p.as_object().map_or(0, |m| m.len())).sum())
        .unwrap_or(0);
    assert_eq!(documented, routes.len(), "nothing documented that this list lacks");
    for scheme in ["adminSession", "csrfToken", "agentBearer"] {
        assert!(document["components"]["securitySchemes"][scheme].is_object(), "{scheme}");
    }
    let account = &document["components"]["schemas"]["AccountRequest"]["properties"];
    assert!(account["secrets"].is_object() && account["settings"].is_object(), "{account}");
}

/// The agent's sign-in window answers only for the service's widget origins, under a CSP that
/// allows its own script alone, and its script posts the token to that origin only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_sign_in_window_serves_only_the_widget_origins() {
    let running = start_service(&fresh_database(Backend::Sqlite).await, &key_entry()).await;
    let http = reqwest::Client::new();
    let page = |origin: &str, state: &str| {
        let url = format!("{}/agent/sign-in", running.url);
        http.get(url).query(&[("origin", origin), ("state", state)]).send()
    };
    let state = "abcdefghijklmnopqrstuv";

    let served = page(WIDGET_ORIGIN, state).await.expect("the page");
    assert_eq!(served.status(), StatusCode::OK);
    let csp = served.headers()["content-security-policy"].to_str().expect("csp").to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = served.text().await.expect("html");
    assert!(html.contains(&format!("data-origin=\"{WIDGET_ORIGIN}\"")) && html.contains(state), "{html}");
    assert!(!html.contains("<script>"), "no inline script");

    let stranger = page("https://evil.example.test", state).await.expect("the page");
    assert_eq!(stranger.status(), StatusCode::BAD_REQUEST);
    let html = stranger.text().await.expect("html");
    assert!(html.contains("https://evil.example.test is not one of the phones") && !html.contains("<form"), "{html}");

    let forged = page(WIDGET_ORIGIN, "\"><img src=x onerror=alert(1)>").await.expect("the page");
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    assert!(!forged.text().await.expect("html").contains("<img"), "nothing of it is echoed");

    let script = http.get(format!("{}/agent/sign-in.js", running.url)).send().await.expect("the script");
    assert!(script.headers()["content-type"].to_str().expect("type").starts_with("text/javascript"));
    assert!(script.text().await.expect("js").contains("form.dataset.origin"), "posted to the checked origin");
}
