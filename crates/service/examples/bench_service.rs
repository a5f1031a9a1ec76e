//! The integration service's figures, on SQLite and on PostgreSQL, against the ServiceNow
//! emulator on loopback: CRM token hand-out latency (p50, p99) with 100 agents asking at once,
//! call-credential issue latency (p50, p99: minted, audited) with the same 100 agents at once,
//! and the outbox's throughput (call logs per second written to the emulator).
//!
//! `cargo run --release -p service --example bench_service` (PostgreSQL from
//! `FRAMEPHONE_TEST_POSTGRES`, or the cluster `scripts/postgres.sh start` starts).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use service::master_key::Keyring;
use sqlx::Connection;

const AGENTS: usize = 100;
const TOKENS_PER_AGENT: usize = 20;
/// Below the per-agent limit of 20 a minute.
const CREDENTIALS_PER_AGENT: usize = 10;
const LOGS: usize = 1000;

struct Client {
    http: reqwest::Client,
    base: String,
    cookie: Option<String>,
    csrf: Option<String>,
    bearer: Option<String>,
}

impl Client {
    fn new(base: &str) -> Client {
        Client { http: reqwest::Client::new(), base: base.to_owned(), cookie: None, csrf: None, bearer: None }
    }

    async fn post(&mut self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, body).await
    }

    async fn put(&mut self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, body).await
    }

    async fn send(&mut self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base)).json(&body);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        if let Some(csrf) = &self.csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if let Some(bearer) = &self.bearer {
            request = request.bearer_auth(bearer);
        }
        let response = request.send().await.expect("the service answers");
        let status = response.status().as_u16();
        if let Some(set) = response.headers().get("set-cookie").and_then(|v| v.to_str().ok()) {
            self.cookie = set.split(';').next().map(str::to_owned);
        }
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

fn postgres_admin_url() -> String {
    if let Ok(url) = std::env::var("FRAMEPHONE_TEST_POSTGRES") {
        return url;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/postgres.sh");
    let output = std::process::Command::new(script).arg("start").output().expect("scripts/postgres.sh runs");
    String::from_utf8_lossy(&output.stdout).lines().last().unwrap_or("").trim().to_owned()
}

async fn fresh_database(postgres: bool) -> String {
    let name = format!("bench_{}", service::random::id().to_lowercase().replace(['-', '_'], "x"));
    if !postgres {
        return format!("sqlite://{}", std::env::temp_dir().join(format!("{name}.sqlite")).display());
    }
    let admin = postgres_admin_url();
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("PostgreSQL answers");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create database");
    admin.rsplit_once('/').map(|(base, _)| format!("{base}/{name}")).expect("url")
}

/// Every agent runs `path` `times` in a row, all agents at once: the agents back and the
/// latencies, sorted.
async fn all_at_once(
    agents: Vec<Client>,
    path: &'static str,
    body: Value,
    times: usize,
) -> (Vec<Client>, Vec<Duration>) {
    let tasks: Vec<_> = agents
        .into_iter()
        .map(|mut agent| {
            let body = body.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                for _ in 0..times {
                    let started = Instant::now();
                    let (status, answer) = agent.post(path, body.clone()).await;
                    assert_eq!(status, 200, "{path}: {answer}");
                    latencies.push(started.elapsed());
                }
                (agent, latencies)
            })
        })
        .collect();
    let (mut agents, mut latencies) = (Vec::new(), Vec::new());
    for task in tasks {
        let (agent, measured) = task.await.expect("task");
        latencies.extend(measured);
        agents.push(agent);
    }
    latencies.sort();
    (agents, latencies)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

async fn run(postgres: bool, servicenow: &str, instance: &devserver::ServiceNowInstance) -> Figures {
    let database = fresh_database(postgres).await;
    let running = service::start(service::Options {
        address: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: database,
        keys: Keyring::from_sources(Some(&Keyring::generate_entry()), None).expect("key"),
        secure_cookies: false,
        widget_origins: Vec::new(),
        retry: service::outbox::RetryPolicy::default(),
        admin_dir: None,
        public_url: None,
    })
    .await
    .expect("the service starts");
    let mut admin = Client::new(&running.url);
    let token = running.setup_token.clone().expect("setup token");
    admin
        .post("/api/setup", json!({"setupToken": token, "username": "root", "password": "bench admin password"}))
        .await;
    let (_, session) =
        admin.post("/api/admin/session", json!({"username": "root", "password": "bench admin password"})).await;
    admin.csrf = session["csrfToken"].as_str().map(str::to_owned);
    let (_, account) = admin
        .post("/api/accounts", json!({"kind": "servicenow", "name": "Bench", "settings": {"instanceUrl": servicenow, "clientId": devserver::SERVICENOW_SERVICE_CLIENT_ID}, "secrets": {"clientSecret": devserver::SERVICENOW_SERVICE_CLIENT_SECRET}}))
        .await;
    let id = account["id"].as_str().expect("account id").to_owned();
    let (user, password) = devserver::SERVICENOW_INSTANCE_ADMIN;
    admin.post(&format!("/api/accounts/{id}/refresh-token"), json!({"username": user, "password": password})).await;

    let mut agents = Vec::new();
    for i in 0..AGENTS {
        let sip = format!("{}", 5000 + i);
        let password = format!("bench agent {sip} password");
        admin
            .post(
                "/api/people",
                json!({"username": format!("a{sip}"), "role": "agent", "password": password, "sipUser": sip}),
            )
            .await;
        let mut agent = Client::new(&running.url);
        let (_, signed) =
            agent.post("/api/agent/session", json!({"username": format!("a{sip}"), "password": password})).await;
        agent.bearer = signed["accessToken"].as_str().map(str::to_owned);
        agents.push(agent);
    }

    // CRM tokens: every agent asks at once, then again, TOKENS_PER_AGENT times.
    let (agents, latencies) =
        all_at_once(agents, "/api/crm-token", json!({"kind": "servicenow"}), TOKENS_PER_AGENT).await;
    let tokens = (percentile(&latencies, 0.5), percentile(&latencies, 0.99));

    // Call credentials: SIP and TURN minted for each agent, each issue audited.
    for (kind, settings) in [
        ("sip", json!({"secret": "bench-sip-shared-secret", "hash": "sha256", "ttlSeconds": 3600})),
        (
            "turn",
            json!({"secret": "bench-turn-shared-secret", "hash": "sha1", "ttlSeconds": 3600, "urls": ["turn:127.0.0.1:3478"]}),
        ),
    ] {
        let (status, body) = admin.put(&format!("/api/tenant/call-credentials/{kind}"), settings).await;
        assert_eq!(status, 200, "{body}");
    }
    let (agents, latencies) =
        all_at_once(agents, "/api/agent/call-credentials", json!({}), CREDENTIALS_PER_AGENT).await;
    let credentials = (percentile(&latencies, 0.5), percentile(&latencies, 0.99));

    // The outbox: LOGS logs handed over by the agents, timed until the last is in the emulator.
    let before = instance.phone_logs().len();
    let started = Instant::now();
    let per_agent = LOGS / AGENTS;
    let tasks: Vec<_> = agents
        .into_iter()
        .enumerate()
        .map(|(i, mut agent)| {
            tokio::spawn(async move {
                let sip = format!("{}", 5000 + i);
                for n in 0..per_agent {
                    let log = json!({"kind": "servicenow", "log": {
                        "call_id": format!("bench-{}-{sip}-{n}", if postgres { "pg" } else { "sqlite" }), "agent": sip, "direction": "Inbound",
                        "number": "+14155550131", "party": "Bench", "started": 1_765_000_000_000u64, "seconds": 30,
                        "outcome": "Answered", "disposition": null, "notes": "", "record": null,
                    }});
                    let (status, _) = agent.post("/api/call-logs", log).await;
                    assert_eq!(status, 202);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    while instance.phone_logs().len() < before + per_agent * AGENTS {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let throughput = (per_agent * AGENTS) as f64 / started.elapsed().as_secs_f64();
    Figures { tokens, credentials, throughput }
}

/// One database's figures.
struct Figures {
    /// CRM token hand-out, p50 and p99 (ms).
    tokens: (f64, f64),
    /// Call-credential issue, p50 and p99 (ms).
    credentials: (f64, f64),
    /// Logs written per second.
    throughput: f64,
}

#[tokio::main]
async fn main() {
    let emulators = devserver::start(devserver::Options::ephemeral(std::env::temp_dir())).await.expect("emulators");
    let instance = emulators.servicenow_instance();
    println!("| database | CRM token p50 | CRM token p99 | call credentials p50 | call credentials p99 | outbox |");
    println!("|---|---|---|---|---|---|");
    for postgres in [false, true] {
        let Figures { tokens, credentials, throughput } = run(postgres, &emulators.servicenow, &instance).await;
        let name = if postgres { "PostgreSQL 15" } else { "SQLite" };
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {throughput:.0} logs/s |",
            tokens.0, tokens.1, credentials.0, credentials.1
        );
    }
}
