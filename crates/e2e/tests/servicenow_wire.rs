//! The widget's ServiceNow requests against the emulator: every request that
//! `framephone::activity::servicenow` builds is sent as it is, and every answer read by the
//! widget's own readers, over HTTP from the widget's origin. The popup and `fetch` are the
//! browser's part; what they carry is this.

use std::path::PathBuf;
use std::time::Duration;

use devserver::{Options, Running, SERVICENOW_OAUTH_CLIENT_ID};
use framephone::activity::outbox::PostOutcome;
use framephone::activity::servicenow::answer::{self, Answer};
use framephone::activity::servicenow::oauth::{self, Redirect};
use framephone::activity::servicenow::{Request, phone_log, search};
use framephone::activity::{CallDirection, CallLog, RecordRef};
use framephone::config::CrmSettings;
use framephone::history::Outcome;
use framephone::origin::Origin;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

const ANA: &str = "c0a7ac7000000000000000000000000a1";

struct Reply {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Reply {
    fn answer(&self) -> Answer<'_> {
        Answer { status: self.status, retry_after: None, body: &self.body }
    }
}

struct Wire {
    server: Running,
    instance: Origin,
    widget: Origin,
    client: Client<HttpConnector, Full<std::io::Cursor<Vec<u8>>>>,
}

impl Wire {
    async fn start() -> Self {
        let server = devserver::start(Options::ephemeral(PathBuf::from("no-dist"))).await.expect("the server starts");
        let instance = Origin::parse(&server.servicenow).expect("the instance's origin");
        let widget = Origin::parse(&server.widget).expect("the widget's origin");
        Wire { server, instance, widget, client: Client::builder(TokioExecutor::new()).build_http() }
    }

    /// Sends `url` as the browser would from the widget's page.
    async fn raw(&self, method: &str, url: &str, headers: &[(&str, &str)], body: String) -> Reply {
        let mut request = http::Request::builder().method(method).uri(url).header("origin", self.widget.to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .client
            .request(request.body(Full::new(std::io::Cursor::new(body.into_bytes()))).expect("a request"))
            .await;
        let response = response.expect("the instance answers");
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.expect("a body").to_bytes();
        Reply { status, location, body: String::from_utf8_lossy(&body).into_owned() }
    }

    /// Sends one of the widget's requests.
    async fn send(&self, request: &Request, token: &str) -> Reply {
        assert!(request.url.starts_with(&format!("{}/", self.instance)), "only to the instance: {}", request.url);
        let authorization = format!("Bearer {token}");
        let mut headers = vec![("accept", "application/json")];
        if request.authorised {
            headers.push(("authorization", authorization.as_str()));
        }
        let body = request.body.as_ref().map(|b| b.text().to_owned()).unwrap_or_default();
        if let Some(kind) = &request.body {
            headers.push(("content-type", kind.content_type()));
        }
        self.raw(request.method.as_str(), &request.url, &headers, body).await
    }

    /// The popup's journey: the consent page, Allow, the redirect page's parameters.
    async fn consent(&self, state: &str, challenge: &str, decision: &str) -> Redirect {
        let redirect_uri = oauth::redirect_uri(&self.widget);
        let url = oauth::authorize_url(&self.instance, SERVICENOW_OAUTH_CLIENT_ID, &redirect_uri, state, challenge);
        let page = self.raw("GET", &url, &[], String::new()).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let consent = page.body.split("name=\"consent\" value=\"").nth(1).and_then(|rest| rest.split('"').next());
        let form = format!("consent={}&decision={decision}", consent.expect("the page carries its consent id"));
        let url = format!("{}/oauth_auth.do", self.instance);
        let back = self.raw("POST", &url, &[("content-type", "application/x-www-form-urlencoded")], form).await;
        let location = back.location.expect("a redirect");
        assert!(location.starts_with(&format!("{redirect_uri}?")), "{location}");
        let query: Vec<(String, String)> = url::Url::parse(&location)
            .expect("a URL")
            .query_pairs()
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        let find = |name: &str| query.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        Redirect { code: find("code"), state: find("state"), error: find("error") }
    }

    /// A token, as the PKCE source gets one.
    async fn token(&self) -> String {
        let verifier = oauth::verifier(&[7; oauth::VERIFIER_BYTES]);
        let digest: [u8; 32] = sha256(verifier.as_bytes());
        let redirect = self.consent("st-1", &oauth::challenge(&digest), "allow").await;
        let code = oauth::read_redirect(&redirect, "st-1").expect("a code");
        let request = oauth::token_request(
            &self.instance,
            &code,
            &oauth::redirect_uri(&self.widget),
            SERVICENOW_OAUTH_CLIENT_ID,
            &verifier,
        );
        let reply = self.send(&request, "").await;
        oauth::read_token(&self.instance, reply.status, &reply.body, 0).expect("a token").value
    }

    /// Delivers a log as the OpenFrame back-end does: with `update`, find by Call-ID, then patch.
    async fn post(&self, log: &CallLog, update: bool, token: &str) -> PostOutcome {
        if update {
            let find = phone_log::find_request(&self.instance, log).expect("a lookup");
            let reply = self.send(&find, token).await;
            if !reply.answer().is_success() {
                return answer::post_outcome(&self.instance, &reply.answer());
            }
            if let Some(sys_id) = phone_log::found_row(&reply.body).expect("a readable lookup") {
                let patch = phone_log::update_request(&self.instance, &sys_id, log).expect("a patch");
                return answer::post_outcome(&self.instance, &self.send(&patch, token).await.answer());
            }
        }
        let reply = self.send(&phone_log::create_request(&self.instance, log), token).await;
        answer::post_outcome(&self.instance, &reply.answer())
    }
}

/// SHA-256 as WebCrypto computes it in the page (tests/web.rs checks that one against RFC 7636).
fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).into()
}

fn log(notes: &str) -> CallLog {
    CallLog {
        call_id: "a84b4c76e66710@pc33.atlanta-1.example".into(),
        agent: "1001".into(),
        direction: CallDirection::Inbound,
        number: "+15550100177".into(),
        party: "Ana Díaz".into(),
        started: 1_767_225_600_000,
        seconds: 75,
        outcome: Outcome::Answered,
        disposition: Some("Resolved".into()),
        notes: notes.into(),
        record: Some(RecordRef {
            object: "customer_contact".into(),
            id: ANA.into(),
            name: "Ana Díaz".into(),
            phone: None,
        }),
    }
}

#[tokio::test]
async fn authorise_search_and_log_exactly_once() {
    let wire = Wire::start().await;
    let token = wire.token().await;

    let mut found = Vec::new();
    for table in &CrmSettings::default().servicenow.search {
        let request = search::request(&wire.instance, table, "+1 (555) 010-0177").expect("a search");
        let reply = wire.send(&request, &token).await;
        assert_eq!(reply.status, 200, "{}: {}", table.table, reply.body);
        found.extend(search::matches(table, "+1 (555) 010-0177", &reply.body).expect("readable"));
    }
    let names: Vec<(&str, &str)> = found.iter().map(|r| (r.object.as_str(), r.name.as_str())).collect();
    assert_eq!(names, [("customer_contact", "Ana Díaz"), ("customer_account", "Boxeo Corp")]);
    assert_eq!(found[0].id, ANA);

    assert_eq!(wire.post(&log("first"), false, &token).await, PostOutcome::Posted);
    // A retry after an unknown outcome, with more notes: the same row, updated.
    assert_eq!(wire.post(&log("first, then more"), true, &token).await, PostOutcome::Posted);
    let instance = wire.server.servicenow_instance();
    let logs = instance.phone_logs();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(logs[0]["notes"], "first, then more");
    assert_eq!(logs[0]["start_time"], "2026-01-01 00:00:00");
    let activity = instance.activity(ANA);
    assert_eq!(activity.len(), 1, "one work note, from the insert: {activity:?}");
    assert!(activity[0].contains("Inbound call from Ana Díaz (+15550100177)"), "{activity:?}");
}

#[tokio::test]
async fn an_update_of_a_log_never_created_creates_it() {
    let wire = Wire::start().await;
    let token = wire.token().await;
    assert_eq!(wire.post(&log("lost answer"), true, &token).await, PostOutcome::Posted);
    assert_eq!(wire.server.servicenow_instance().phone_logs().len(), 1);
}

#[tokio::test]
async fn outages_expiry_and_refusals_have_their_outcomes() {
    let wire = Wire::start().await;
    let token = wire.token().await;
    let instance = wire.server.servicenow_instance();

    instance.rest_unavailable_for(Duration::from_secs(60));
    let busy = wire.post(&log("x"), false, &token).await;
    assert!(matches!(&busy, PostOutcome::Busy { reason, .. } if reason.contains("HTTP 503")), "{busy:?}");

    instance.rest_unavailable_for(Duration::ZERO);
    instance.expire_tokens();
    assert_eq!(wire.post(&log("x"), false, &token).await, PostOutcome::Unauthorised);
    assert!(instance.phone_logs().is_empty());

    let denied = wire.consent("st-2", &oauth::challenge(&sha256(b"v")), "deny").await;
    let error = oauth::read_redirect(&denied, "st-2").expect_err("Deny gives no code");
    assert!(error.to_string().contains("denied"), "{error}");

    let verifier = oauth::verifier(&[1; oauth::VERIFIER_BYTES]);
    let redirect = wire.consent("st-3", &oauth::challenge(&sha256(verifier.as_bytes())), "allow").await;
    let code = oauth::read_redirect(&redirect, "st-3").expect("a code");
    let wrong = oauth::verifier(&[2; oauth::VERIFIER_BYTES]);
    let request = oauth::token_request(
        &wire.instance,
        &code,
        &oauth::redirect_uri(&wire.widget),
        SERVICENOW_OAUTH_CLIENT_ID,
        &wrong,
    );
    let reply = wire.send(&request, "").await;
    let refused = oauth::read_token(&wire.instance, reply.status, &reply.body, 0).expect_err("a wrong verifier");
    assert!(refused.to_string().contains("HTTP 401"), "{refused}");
}
