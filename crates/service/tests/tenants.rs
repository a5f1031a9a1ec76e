//! Tenants, on SQLite and PostgreSQL: a second contact center added by the operator's command,
//! its first administrator from its own setup token, and nothing of one tenant visible to or
//! changeable by the other (people, accounts, audit, call logs, CRM tokens); the same SIP user
//! and account name in both, usernames unique across the service; each tenant's widget
//! configuration checked by the widget's reader and served at `/t/<slug>/framephone.json`; and
//! a database from before tenants migrated with its accounts, secrets and logs kept.

#[macro_use]
mod common;

use common::{
    ADMIN_PASSWORD, Api, Backend, WIDGET_ORIGIN, agent_phone, call_log, fresh_database, key_entry, service_with_admin,
    servicenow_account, start_emulators, start_service,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_databases!(
    a_tenant_sees_and_changes_only_its_own,
    each_tenant_has_its_widget_configuration,
    a_tenant_s_phone_gets_and_uses_only_its_own_agents_tokens,
    a_database_from_before_tenants_keeps_everything
);

/// A widget configuration the widget's reader accepts.
fn widget_config(sip_server: &str) -> String {
    format!(
        "{{\n  \"sip\": {{ \"domain\": \"globex.example\", \"servers\": [\"{sip_server}\"] }},\n  \"hosts\": {{ \"allowedOrigins\": [\"https://globex.service-now.com\"] }}\n}}\n"
    )
}

/// Adds tenant `slug` to the running service's database and signs in its first administrator.
async fn second_tenant(running: &service::Running, slug: &str, admin: &str) -> Api {
    let pool = &running.database.pool;
    let tenant = service::tenants::add(pool, slug, "Globex Corp").await.expect("tenant added");
    let token = service::setup::issue_if_needed(pool, &tenant.id).await.expect("stored").expect("a setup token");
    let mut api = Api::new(&running.url);
    let (status, body) =
        api.post("/api/setup", json!({"setupToken": token, "username": admin, "password": ADMIN_PASSWORD})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    api.sign_in_admin(admin, ADMIN_PASSWORD).await;
    api
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array().into_iter().flatten().filter_map(|item| item[key].as_str().map(str::to_owned)).collect()
}

async fn a_tenant_sees_and_changes_only_its_own(backend: Backend) {
    let (running, mut acme, _, _) = service_with_admin(backend).await;
    let emulators = start_emulators().await;
    let acme_account = servicenow_account(&mut acme, &emulators.servicenow).await;
    let mut acme_phone = agent_phone(&mut acme, &running.url, "1001").await;
    let mut globex = second_tenant(&running, "globex", "globex-root").await;

    // A first administrator whose username another tenant has is refused, and the token stays good.
    let pool = &running.database.pool;
    let initech = service::tenants::add(pool, "initech", "Initech").await.expect("added");
    let token = service::setup::issue_if_needed(pool, &initech.id).await.expect("stored").expect("token");
    let mut anyone = Api::new(&running.url);
    let (status, body) =
        anyone.post("/api/setup", json!({"setupToken": token, "username": "root", "password": ADMIN_PASSWORD})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = anyone
        .post("/api/setup", json!({"setupToken": token, "username": "initech-root", "password": ADMIN_PASSWORD}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // The same SIP user and account name in both tenants; a username only once in the service.
    let (status, body) = globex
        .post(
            "/api/people",
            json!({"username": "agent-g1001", "role": "agent", "sipUser": "1001", "password": "globex agent password"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "a SIP user is unique within a tenant only: {body}");
    let (status, body) =
        globex.post("/api/people", json!({"username": "agent1001", "role": "agent", "sipUser": "1002"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "usernames are unique across the service: {body}");
    let (status, body) = globex
        .post("/api/accounts", json!({"kind": "servicenow", "name": "Acme", "settings": {"instanceUrl": "https://globex.service-now.com", "clientId": "c"}}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "account names are unique within a tenant only: {body}");
    assert_eq!(body["default"], true, "the first of its kind in this tenant is its default");

    // Each administrator lists only their own tenant's.
    let (_, people) = globex.get("/api/people").await;
    assert_eq!(names(&people, "username"), ["agent-g1001", "globex-root"]);
    let (_, people) = acme.get("/api/people").await;
    assert_eq!(names(&people, "username"), ["agent1001", "root"]);
    let (_, accounts) = globex.get("/api/accounts").await;
    assert_eq!(accounts["accounts"].as_array().map(Vec::len), Some(1), "{accounts}");
    let (_, audit) = globex.get("/api/audit").await;
    assert!(!audit.to_string().contains("\"root\""), "no line of the other tenant: {audit}");

    // The other tenant's account and people cannot be read, changed or deleted by id.
    let path = format!("/api/accounts/{acme_account}");
    assert_eq!(globex.get(&path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(globex.patch(&path, json!({"name": "Taken over"})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(globex.post(&format!("{path}/test"), json!({})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(globex.delete(&path).await.0, StatusCode::NOT_FOUND);
    let (_, acme_people) = acme.get("/api/people").await;
    let acme_agent = acme_people[0]["id"].as_str().expect("id").to_owned();
    let person = format!("/api/people/{acme_agent}");
    assert_eq!(globex.patch(&person, json!({"password": "a new long password"})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(globex.delete(&person).await.0, StatusCode::NOT_FOUND);
    let (status, account) = acme.get(&path).await;
    assert_eq!((status, account["name"].as_str()), (StatusCode::OK, Some("Acme")), "untouched");

    // Agents get their own tenant's CRM token and hand logs to their own tenant's outbox.
    let (status, token) = acme_phone.post("/api/crm-token", json!({"kind": "servicenow"})).await;
    assert_eq!((status, token["site"].as_str()), (StatusCode::OK, Some(emulators.servicenow.as_str())), "{token}");
    let mut globex_phone = Api::new(&running.url);
    let (_, session) = globex_phone
        .post("/api/agent/session", json!({"username": "agent-g1001", "password": "globex agent password"}))
        .await;
    globex_phone.set_bearer(session["accessToken"].as_str().map(str::to_owned));
    let (status, body) = globex_phone.post("/api/crm-token", json!({"kind": "servicenow"})).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "this tenant's own account, not the other's: {body}");
    assert!(body["message"].as_str().unwrap_or("").contains("the Acme integration account"), "{body}");
    assert!(body["message"].as_str().unwrap_or("").contains("no client secret"), "{body}");
    let (status, _) = globex_phone.post("/api/call-logs", call_log("g-1@pbx", "1001", "Globex call")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (_, globex_logs) = globex.get("/api/call-logs").await;
    assert_eq!(globex_logs["logs"].as_array().map(Vec::len), Some(1), "{globex_logs}");
    let (_, acme_logs) = acme.get("/api/call-logs").await;
    assert_eq!(acme_logs["logs"].as_array().map(Vec::len), Some(0), "{acme_logs}");
    let (status, _) = acme_phone.get("/api/call-logs/g-1@pbx?kind=servicenow").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the same SIP user in another tenant sees nothing of it");
    let retry = format!("/api/call-logs/{}/retry", globex_logs["logs"][0]["id"].as_str().expect("id"));
    assert_eq!(acme.post(&retry, json!({})).await.0, StatusCode::NOT_FOUND);
}

async fn each_tenant_has_its_widget_configuration(backend: Backend) {
    let (running, mut acme, _, _) = service_with_admin(backend).await;
    let mut globex = second_tenant(&running, "globex", "globex-root").await;
    let (status, tenant) = globex.get("/api/tenant").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tenant["tenant"]["slug"], "globex");
    assert_eq!(tenant["widgetConfigUrl"], format!("{}/t/globex/framephone.json", running.url).as_str());

    // Nothing saved yet: the widget's server is told so.
    let mut anyone = Api::new(&running.url);
    let (status, body) = anyone.get("/t/globex/framephone.json").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["message"].as_str().unwrap_or("").contains("no widget configuration yet"), "{body}");
    assert_eq!(anyone.get("/t/nobody/framephone.json").await.0, StatusCode::NOT_FOUND);
    assert_eq!(anyone.get("/t/..%2F..%2Fetc/framephone.json").await.0, StatusCode::NOT_FOUND);

    // A configuration the widget would refuse is refused with every problem and its key.
    let (status, body) =
        globex.call("PUT", "/api/tenant/widget-config", Some(json!({"config": widget_config("http://pbx")}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let problems = body["problems"].as_array().cloned().unwrap_or_default();
    assert!(problems.iter().any(|p| p.as_str().unwrap_or("").starts_with("sip.servers[0]")), "{body}");
    let (status, body) = globex.put("/api/tenant/widget-config", json!({"config": "{\"sip\": "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["message"].as_str().unwrap_or("").contains("not valid JSON"), "{body}");
    globex.forget_csrf();
    let (status, _) =
        globex.put("/api/tenant/widget-config", json!({"config": widget_config("wss://pbx.globex.example")})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a change needs the CSRF token");
    globex.sign_in_admin("globex-root", ADMIN_PASSWORD).await;

    // Saved as written, served as written to any origin, and each tenant its own.
    let text = widget_config("wss://pbx.globex.example");
    let (status, body) = globex.put("/api/tenant/widget-config", json!({"config": text})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let served = anyone.with_origin("GET", "/t/globex/framephone.json", "https://phone.globex.example").await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["access-control-allow-origin"], "*");
    assert!(served.headers()["content-type"].to_str().unwrap_or("").starts_with("application/json"));
    assert_eq!(served.text().await.unwrap_or_default(), text, "byte for byte");
    let (_, saved) = globex.get("/api/tenant/widget-config").await;
    assert_eq!(saved["config"], text.as_str());
    let (_, acme_saved) = acme.get("/api/tenant/widget-config").await;
    assert_eq!(acme_saved["config"], Value::Null, "the other tenant's is its own");
    assert_eq!(anyone.get("/t/default/framephone.json").await.0, StatusCode::NOT_FOUND);
    let (_, audit) = globex.get("/api/audit").await;
    assert_eq!(audit["lines"][0]["action"], "tenant.widget-config", "{audit}");
}

/// Applies the migrations before tenants (0001–0004) to `database`, as an older service did.
async fn migrate_as_before_tenants(database: &str) {
    sqlx::any::install_default_drivers();
    let dir = std::env::temp_dir().join(format!("framephone-migrations-{}", service::random::id()));
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(if database.starts_with("sqlite") { "sqlite" } else { "postgres" });
    std::fs::create_dir_all(&dir).expect("temp dir");
    for entry in std::fs::read_dir(&source).expect("migrations") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        if name.as_str() < "0005" {
            std::fs::copy(&path, dir.join(&name)).expect("copy");
        }
    }
    let url = if database.starts_with("sqlite") { format!("{database}?mode=rwc") } else { database.to_owned() };
    let pool = sqlx::AnyPool::connect(&url).await.expect("connect");
    sqlx::migrate::Migrator::new(dir.as_path()).await.expect("migrations").run(&pool).await.expect("migrated");
    pool.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

async fn a_database_from_before_tenants_keeps_everything(backend: Backend) {
    let database = fresh_database(backend).await;
    migrate_as_before_tenants(&database).await;
    // Rows as the older service wrote them: an administrator, an agent, an account with a sealed
    // secret and a cached token, a queued log, an audit line.
    let key = key_entry();
    let keys = service::master_key::Keyring::from_sources(Some(&key), None).expect("key");
    let secret = keys.seal("integration_accounts/acc1/clientSecret", &service::secret::Secret::new("s3cret"));
    let pool = sqlx::AnyPool::connect(&database).await.expect("connect");
    let hash = service::password::hash(service::secret::Secret::new(ADMIN_PASSWORD)).await;
    for statement in [
        format!("INSERT INTO people VALUES ('p1', 'root', 'Root', 'admin', '{hash}', NULL, 1, 1)"),
        "INSERT INTO people VALUES ('p2', 'agent1001', 'Agent', 'agent', NULL, '1001', 1, 1)".to_owned(),
        "INSERT INTO integration_accounts VALUES ('acc1', 'servicenow', 'Old account', 1, '{\"instanceUrl\":\"https://old.service-now.com\",\"clientId\":\"c\"}', 1, 1)".to_owned(),
        format!("INSERT INTO account_secrets VALUES ('acc1', 'clientSecret', '{}', '{}', 1, NULL)", secret.key_id, secret.sealed),
        "INSERT INTO crm_access_tokens VALUES ('acc1', 'k', 'sealed', 9999999999999)".to_owned(),
        "INSERT INTO call_logs (id, kind, agent, call_id, log, state, attempts, due_at, created_at, updated_at) VALUES ('l1', 'servicenow', '1001', 'old@pbx', '{}', 'refused', 3, 1, 1, 1)".to_owned(),
        "INSERT INTO audit_log VALUES ('a1', 1, 'root', 'account.create', 'Old account', 'servicenow account')".to_owned(),
        "INSERT INTO sessions VALUES ('h1', 'p2', 'agent', 1, 9999999999999)".to_owned(),
        "INSERT INTO setup_tokens VALUES ('t1', 9999999999999)".to_owned(),
    ] {
        sqlx::query(&statement).execute(&pool).await.unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    pool.close().await;

    // The service migrates it; everything belongs to the default tenant and still works.
    let running = start_service(&database, &key).await;
    assert!(running.setup_token.is_none(), "the default tenant has its administrator");
    let mut api = Api::new(&running.url);
    api.sign_in_admin("root", ADMIN_PASSWORD).await;
    let (_, accounts) = api.get("/api/accounts").await;
    let account = &accounts["accounts"][0];
    assert_eq!(account["name"], "Old account", "{accounts}");
    assert_eq!(account["secrets"]["clientSecret"]["set"], true, "the secret survived the table's rebuild");
    let (_, people) = api.get("/api/people").await;
    assert_eq!(names(&people, "username"), ["agent1001", "root"]);
    let (_, logs) = api.get("/api/call-logs").await;
    assert_eq!(logs["logs"][0]["callId"], "old@pbx", "{logs}");
    let (_, audit) = api.get("/api/audit").await;
    assert!(audit["lines"].as_array().is_some_and(|l| l.iter().any(|l| l["target"] == "Old account")), "{audit}");
    let pool = &running.database.pool;
    for (table, row) in [
        ("crm_access_tokens", "account_id = 'acc1'"),
        ("sessions", "token_hash = 'h1'"),
        ("setup_tokens", "token_hash = 't1'"),
    ] {
        let query = format!("SELECT COUNT(*) AS n FROM {table} WHERE {row}");
        let kept = sqlx::query(&query).fetch_one(pool).await.expect("count");
        assert_eq!(sqlx::Row::try_get::<i64, _>(&kept, "n").expect("n"), 1, "{table} survived too");
    }
    // Nothing is written without naming its tenant, on SQLite as on PostgreSQL.
    let untenanted = sqlx::query(
        "INSERT INTO audit_log (id, at, actor, action, target, detail) VALUES ('a2', 1, 'x', 'y', 'z', '')",
    )
    .execute(pool)
    .await;
    assert!(untenanted.is_err(), "an audit line without a tenant is refused");
}

#[test]
fn the_operator_adds_a_tenant_from_the_command_line() {
    let path = std::env::temp_dir().join(format!("framephone-tenant-cli-{}.sqlite", service::random::id()));
    let url = format!("sqlite://{}", path.display());
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_framephone-service"))
            .args(args)
            .env("DATABASE_URL", &url)
            .output()
            .expect("the binary runs")
    };
    let added = run(&["add-tenant", "globex", "Globex Corp"]);
    let text = String::from_utf8_lossy(&added.stdout);
    assert!(added.status.success(), "{text} {}", String::from_utf8_lossy(&added.stderr));
    assert!(text.contains("Tenant globex has no administrator yet"), "{text}");
    let again = run(&["add-tenant", "globex", "Globex again"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let bad = run(&["add-tenant", "Globex Corp", "x"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("lowercase letters"), "names what is wrong");
    let listed = run(&["tenants"]);
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(text.contains("default\tDefault\tno administrator yet") && text.contains("globex\tGlobex Corp"), "{text}");
    let _ = std::fs::remove_file(path);
}

async fn a_tenant_s_phone_gets_and_uses_only_its_own_agents_tokens(backend: Backend) {
    const GLOBEX_PHONE: &str = "https://phone.globex.example";
    let (running, mut acme, _, _) = service_with_admin(backend).await;
    let mut globex = second_tenant(&running, "globex", "globex-root").await;
    acme.post(
        "/api/people",
        json!({"username": "ana", "role": "agent", "sipUser": "1001", "password": "ana's long password"}),
    )
    .await;
    globex
        .post(
            "/api/people",
            json!({"username": "gus", "role": "agent", "sipUser": "1001", "password": "gus's long password"}),
        )
        .await;

    // The administrator lists where Globex's phone is served from; each origin is checked.
    let (status, body) = globex
        .put("/api/tenant/widget-origins", json!({"origins": [GLOBEX_PHONE, "http://phone.globex.example"]}))
        .await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("origins[1]")), "{body}");
    let (status, body) = globex
        .put("/api/tenant/widget-origins", json!({"origins": ["https://PHONE.globex.example/", GLOBEX_PHONE]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["widgetOrigins"], json!([GLOBEX_PHONE]), "canonical, once");
    let (_, tenant) = globex.get("/api/tenant").await;
    assert_eq!(tenant["tenant"]["widgetOrigins"], json!([GLOBEX_PHONE]));

    // CORS and the sign-in window answer that phone now, and no unknown one.
    let anyone = Api::new(&running.url);
    let preflight = anyone.with_origin("OPTIONS", "/api/crm-token", GLOBEX_PHONE).await;
    assert_eq!(
        preflight.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()),
        Some(GLOBEX_PHONE)
    );
    let stranger = anyone.with_origin("OPTIONS", "/api/crm-token", "https://stranger.example").await;
    assert!(stranger.headers().get("access-control-allow-origin").is_none());
    let mut page = Api::new(&running.url);
    let state = "abcdefghijklmnop0123";
    let (status, _) = page.get(&format!("/agent/sign-in?origin={GLOBEX_PHONE}&state={state}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = page.get(&format!("/agent/sign-in?origin=https://stranger.example&state={state}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Acme's agent gets no token for Globex's phone; Globex's does; the operator's phone serves both.
    let sign_in = |username: &str, password: &str, origin: &str| json!({"username": username, "password": password, "widgetOrigin": origin});
    let mut phone = Api::new(&running.url);
    let (status, body) = phone.post("/api/agent/session", sign_in("ana", "ana's long password", GLOBEX_PHONE)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["message"].as_str().unwrap_or("").contains("not one of your contact center's"), "{body}");
    assert!(body.get("accessToken").is_none());
    let (status, gus) = phone.post("/api/agent/session", sign_in("gus", "gus's long password", GLOBEX_PHONE)).await;
    assert_eq!(status, StatusCode::OK, "{gus}");
    let (status, ana) = phone.post("/api/agent/session", sign_in("ana", "ana's long password", WIDGET_ORIGIN)).await;
    assert_eq!(status, StatusCode::OK, "{ana}");

    // A token is usable only from its own tenant's phones (or from no page at all).
    let mut ana_phone = Api::new(&running.url);
    ana_phone.set_bearer(ana["accessToken"].as_str().map(str::to_owned));
    let status_path = "/api/call-logs/nothing@pbx?kind=servicenow";
    ana_phone.set_origin(Some(GLOBEX_PHONE));
    assert_eq!(ana_phone.get(status_path).await.0, StatusCode::FORBIDDEN, "Globex's page cannot use Acme's token");
    ana_phone.set_origin(Some("null"));
    assert_eq!(ana_phone.get(status_path).await.0, StatusCode::FORBIDDEN, "nor an opaque origin");
    ana_phone.set_origin(Some(WIDGET_ORIGIN));
    assert_eq!(ana_phone.get(status_path).await.0, StatusCode::NOT_FOUND, "the operator's phone can");
    let mut gus_phone = Api::new(&running.url);
    gus_phone.set_bearer(gus["accessToken"].as_str().map(str::to_owned));
    gus_phone.set_origin(Some(GLOBEX_PHONE));
    assert_eq!(gus_phone.get(status_path).await.0, StatusCode::NOT_FOUND, "Globex's own phone can");
    let (_, audit) = globex.get("/api/audit").await;
    assert_eq!(audit["lines"][0]["action"], "tenant.widget-origins", "{audit}");
    assert_eq!(audit["lines"][0]["detail"], GLOBEX_PHONE);
}
