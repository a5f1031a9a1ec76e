//! The ServiceNow emulator as the widget meets it, over HTTP: the OAuth authorisation code flow
//! with PKCE and each of its refusals, the CORS rules, the Table API behind the token, the
//! phone-log table and its work-notes rule, the voice-interaction endpoint, and the test
//! controls that make the instance misbehave.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use devserver::{Options, Running, SERVICENOW_OAUTH_CLIENT_ID, ServiceNowField, ServiceNowRecord};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-and-some-more";
const ANA: &str = "c0a7ac7000000000000000000000000a1";
const CALL_ID: &str = "a84b4c76e66710@pc33.atlanta-1.example";

/// One answer: status, headers (lowercase names) and body.
struct Answer {
    status: StatusCode,
    headers: hyper::HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

struct Instance {
    server: Running,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Instance {
    async fn start() -> Self {
        let server = devserver::start(Options::ephemeral(PathBuf::from("no-dist"))).await.expect("the server starts");
        let client = Client::builder(TokioExecutor::new()).build_http();
        Instance { server, client }
    }

    fn redirect_uri(&self) -> String {
        format!("{}/oauth/servicenow.html", self.server.widget)
    }

    async fn send(&self, method: Method, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
        let mut request = Request::builder().method(method).uri(format!("{}{path}", self.server.servicenow));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(Bytes::from(body.to_owned()))).expect("a request");
        let response = self.client.request(request).await.expect("the instance answers");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("a body").to_bytes();
        Answer { status: parts.status, headers: parts.headers, body: String::from_utf8_lossy(&body).into_owned() }
    }

    /// `GET /oauth_auth.do` with the widget's parameters, `changes` applied (an empty value
    /// leaves the parameter out).
    async fn authorise(&self, changes: &[(&str, &str)]) -> Answer {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
        let redirect_uri = self.redirect_uri();
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", SERVICENOW_OAUTH_CLIENT_ID),
            ("redirect_uri", redirect_uri.as_str()),
            ("state", "st@te/1"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        for (name, value) in changes {
            params.retain(|(n, _)| n != name);
            if !value.is_empty() {
                params.push((name, value));
            }
        }
        let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
        self.send(Method::GET, &format!("/oauth_auth.do?{query}"), &[], "").await
    }

    /// Answers the consent page's question; the redirect's query parameters.
    async fn decide(&self, page: &Answer, decision: &str) -> Answer {
        let consent = page.body.split("name=\"consent\" value=\"").nth(1).and_then(|rest| rest.split('"').next());
        let body = format!("consent={}&decision={decision}", consent.expect("the page carries its consent id"));
        self.send(Method::POST, "/oauth_auth.do", &[("content-type", "application/x-www-form-urlencoded")], &body).await
    }

    /// A code from Allow.
    async fn code(&self) -> String {
        let page = self.authorise(&[]).await;
        let redirect = self.decide(&page, "allow").await;
        let location = redirect.header("location").expect("a redirect");
        query_of(location).into_iter().find(|(n, _)| n == "code").map(|(_, v)| v).expect("a code")
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Answer {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let headers = [("content-type", "application/x-www-form-urlencoded"), ("origin", self.server.widget.as_str())];
        self.send(Method::POST, "/oauth_token.do", &headers, &body).await
    }

    async fn trade(&self, code: &str, verifier: &str) -> Answer {
        let redirect_uri = self.redirect_uri();
        self.token_request(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &redirect_uri),
            ("client_id", SERVICENOW_OAUTH_CLIENT_ID),
            ("code_verifier", verifier),
        ])
        .await
    }

    async fn access_token(&self) -> String {
        let code = self.code().await;
        let answer = self.trade(&code, VERIFIER).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.json()["access_token"].as_str().expect("a token").to_owned()
    }

    /// A Table API request from the widget's origin with `token`.
    async fn api(&self, method: Method, path: &str, token: &str, body: &str) -> Answer {
        let authorization = format!("Bearer {token}");
        let headers = [
            ("authorization", authorization.as_str()),
            ("origin", self.server.widget.as_str()),
            ("content-type", "application/json"),
            ("accept", "application/json"),
        ];
        self.send(method, path, &headers, body).await
    }
}

fn query_of(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

fn encoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn authorise_trade_search_log_and_see_the_work_note() {
    let instance = Instance::start().await;
    let page = instance.authorise(&[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Allow Framephone to access your ServiceNow account?"), "{}", page.body);
    assert!(page.body.contains(">Allow</button>") && page.body.contains(">Deny</button>"));
    assert!(page.body.contains("abel.tuter"));

    let redirect = instance.decide(&page, "allow").await;
    assert_eq!(redirect.status, StatusCode::FOUND);
    let location = redirect.header("location").expect("a redirect").to_owned();
    assert!(location.starts_with(&format!("{}?code=", instance.redirect_uri())), "{location}");
    let params = query_of(&location);
    assert!(params.contains(&("state".into(), "st@te/1".into())), "{params:?}");
    let code = params.iter().find(|(n, _)| n == "code").map(|(_, v)| v.clone()).expect("a code");

    let answer = instance.trade(&code, VERIFIER).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.header("access-control-allow-origin"), Some(instance.server.widget.as_str()));
    let token = answer.json();
    assert_eq!((token["scope"].clone(), token["token_type"].clone()), (json!("useraccount"), json!("Bearer")));
    assert_eq!(token["expires_in"], json!(1799));
    assert!(token.get("refresh_token").is_none(), "a public client gets no refresh token");
    let token = token["access_token"].as_str().expect("a token").to_owned();

    let again = instance.trade(&code, VERIFIER).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "a code is good once");
    assert_eq!(again.json(), json!({"error": "access_denied", "error_description": "access_denied"}));

    // The caller's mobile: Ana Díaz's contact and Boxeo Corp's account share it.
    let query = encoded("phoneLIKE0177^ORmobile_phoneLIKE0177");
    let contacts = instance
        .api(
            Method::GET,
            &format!("/api/now/table/customer_contact?sysparm_query={query}&sysparm_fields=sys_id,name,mobile_phone"),
            &token,
            "",
        )
        .await;
    assert_eq!(contacts.status, StatusCode::OK, "{}", contacts.body);
    assert_eq!(
        contacts.json(),
        json!({"result": [{"sys_id": ANA, "name": "Ana Díaz", "mobile_phone": "+1 555 010 0177"}]})
    );
    let accounts = instance
        .api(
            Method::GET,
            &format!(
                "/api/now/table/customer_account?sysparm_query={}&sysparm_fields=name,phone",
                encoded("phoneLIKE0177")
            ),
            &token,
            "",
        )
        .await;
    assert_eq!(accounts.json(), json!({"result": [{"name": "Boxeo Corp", "phone": "+1 555 010 0177"}]}));
    let limited = instance.api(Method::GET, "/api/now/table/customer_contact?sysparm_limit=1", &token, "").await;
    assert_eq!(limited.json()["result"].as_array().map(Vec::len), Some(1));

    // The widget's idempotent log: look for the Call-ID, none → insert, then update.
    let by_call = format!(
        "/api/now/table/sn_openframe_phone_log?sysparm_query={}&sysparm_fields=sys_id",
        encoded(&format!("call_id={CALL_ID}"))
    );
    assert_eq!(instance.api(Method::GET, &by_call, &token, "").await.json(), json!({"result": []}));
    let log = json!({
        "call_id": CALL_ID, "agent": "1001", "direction": "inbound", "phone_number": "+15550100177",
        "caller_name": "Ana Díaz", "start_time": "2025-06-01 09:30:00", "duration": "75", "outcome": "Answered",
        "disposition": "Resolved", "notes": "Reset her password.", "document_table": "customer_contact",
        "document_id": ANA, "short_description": "Inbound call from Ana Díaz", "not_a_column": "dropped",
    });
    let inserted = instance.api(Method::POST, "/api/now/table/sn_openframe_phone_log", &token, &log.to_string()).await;
    assert_eq!(inserted.status, StatusCode::CREATED, "{}", inserted.body);
    let row = inserted.json()["result"].clone();
    let sys_id = row["sys_id"].as_str().expect("a sys_id").to_owned();
    assert_eq!(sys_id.len(), 32);
    assert_eq!((row["call_id"].clone(), row["duration"].clone()), (json!(CALL_ID), json!("75")));
    assert!(row.get("not_a_column").is_none(), "a column the table lacks is ignored");
    assert_eq!(instance.api(Method::GET, &by_call, &token, "").await.json(), json!({"result": [{"sys_id": sys_id}]}));

    let activity = instance.server.servicenow_instance().activity(ANA);
    assert_eq!(
        activity,
        vec!["Inbound call from Ana Díaz · 1:15 · Disposition: Resolved\nReset her password.".to_owned()]
    );
    let page_activity = instance.send(Method::GET, &format!("/emulator/activity/{ANA}"), &[], "").await.json();
    assert_eq!(page_activity[0]["author"], json!("abel.tuter"));
    assert_eq!(page_activity[0]["kind"], json!("Work notes"));
    assert_eq!(page_activity[0]["text"], json!(activity[0]));

    let patched = instance
        .api(
            Method::PATCH,
            &format!("/api/now/table/sn_openframe_phone_log/{sys_id}"),
            &token,
            r#"{"notes":"Reset it twice."}"#,
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.json()["result"]["notes"], json!("Reset it twice."));
    let controls = instance.server.servicenow_instance();
    assert_eq!(controls.phone_logs().len(), 1, "the update changed the row");
    assert_eq!(controls.phone_logs()[0]["notes"], json!("Reset it twice."));
    assert_eq!(controls.activity(ANA).len(), 1, "an update adds no work note");
    let inserts = controls
        .requests()
        .iter()
        .filter(|r| *r == &("POST".into(), "/api/now/table/sn_openframe_phone_log".into()))
        .count();
    assert_eq!(inserts, 1);
}

#[tokio::test]
async fn the_authorise_page_refuses_every_bad_request_without_redirecting() {
    let instance = Instance::start().await;
    let other_redirect = format!("{}/oauth/servicenow.html?x=1", instance.server.widget);
    let cases = [
        (vec![("client_id", "someone-else")], "No OAuth application is registered with client_id"),
        (vec![("client_id", "")], "No OAuth application is registered with client_id"),
        (vec![("redirect_uri", other_redirect.as_str())], "is not the redirect URL registered"),
        (vec![("redirect_uri", "http://127.0.0.1:1/oauth/servicenow.html")], "is not the redirect URL registered"),
        (vec![("response_type", "token")], "response_type must be"),
        (vec![("state", "")], "no state parameter"),
        (vec![("code_challenge", "")], "no code_challenge"),
        (vec![("code_challenge_method", "plain")], "code_challenge_method must be"),
        (vec![("code_challenge_method", "")], "code_challenge_method must be"),
    ];
    for (changes, reason) in cases {
        let page = instance.authorise(&changes).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{changes:?}");
        assert!(page.body.contains(reason), "{changes:?}: {}", page.body);
        assert!(page.header("location").is_none() && !page.body.contains("name=\"consent\""), "{changes:?}");
    }

    let page = instance.authorise(&[]).await;
    let denied = instance.decide(&page, "deny").await;
    assert_eq!(denied.status, StatusCode::FOUND);
    let location = denied.header("location").expect("a redirect");
    assert!(location.starts_with(&instance.redirect_uri()), "{location}");
    assert_eq!(query_of(location), vec![("error".into(), "access_denied".into()), ("state".into(), "st@te/1".into())]);
    let twice = instance.decide(&page, "allow").await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST, "a question is answered once");
    assert!(twice.header("location").is_none());
}

#[tokio::test]
async fn the_token_endpoint_takes_only_a_form_with_the_right_code_verifier_and_redirect() {
    let instance = Instance::start().await;
    let redirect_uri = instance.redirect_uri();
    let code = instance.code().await;
    let json_body = json!({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                           "client_id": SERVICENOW_OAUTH_CLIENT_ID, "code_verifier": VERIFIER});
    let headers = [("content-type", "application/json"), ("origin", instance.server.widget.as_str())];
    let answer = instance.send(Method::POST, "/oauth_token.do", &headers, &json_body.to_string()).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json(), json!({"error": "server_error", "error_description": "unspecified error"}));

    let denied = json!({"error": "access_denied", "error_description": "access_denied"});
    let code = instance.code().await;
    let wrong_verifier = instance.trade(&code, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-and-some-mord").await;
    assert_eq!((wrong_verifier.status, wrong_verifier.json()), (StatusCode::UNAUTHORIZED, denied.clone()));
    let spent = instance.trade(&code, VERIFIER).await;
    assert_eq!(spent.status, StatusCode::UNAUTHORIZED, "a failed attempt spends the code");

    let code = instance.code().await;
    let wrong_redirect = instance
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:1/oauth/servicenow.html"),
            ("client_id", SERVICENOW_OAUTH_CLIENT_ID),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_eq!((wrong_redirect.status, wrong_redirect.json()), (StatusCode::UNAUTHORIZED, denied.clone()));

    let code = instance.code().await;
    let wrong_client = instance
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("client_id", "someone-else"),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_eq!((wrong_client.status, wrong_client.json()), (StatusCode::UNAUTHORIZED, denied.clone()));

    let made_up = instance.trade("not-a-code", VERIFIER).await;
    assert_eq!((made_up.status, made_up.json()), (StatusCode::UNAUTHORIZED, denied));
    let no_verifier = instance.trade(&instance.code().await, "").await;
    assert_eq!(no_verifier.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cors_headers_only_for_an_origin_a_rule_names() {
    let instance = Instance::start().await;
    let widget = instance.server.widget.clone();
    let stranger = "http://127.0.0.1:9";
    let preflight = |origin: &str| {
        let origin = origin.to_owned();
        let instance = &instance;
        async move {
            let headers = [
                ("origin", origin.as_str()),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "authorization,content-type"),
            ];
            instance.send(Method::OPTIONS, "/api/now/table/sn_openframe_phone_log", &headers, "").await
        }
    };
    let allowed = preflight(&widget).await;
    assert_eq!(allowed.header("access-control-allow-origin"), Some(widget.as_str()));
    assert_eq!(allowed.header("access-control-allow-methods"), Some("GET, POST, PATCH"));
    assert_eq!(allowed.header("access-control-allow-headers"), Some("Authorization, Content-Type, Accept"));
    assert_eq!(allowed.header("vary"), Some("Origin"));
    let refused = preflight(stranger).await;
    for name in ["access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers", "vary"]
    {
        assert!(refused.header(name).is_none(), "{name} for an origin no rule names");
    }

    // The actual answers too, a refusal (401) included.
    let from = |origin: &str| {
        let origin = origin.to_owned();
        let instance = &instance;
        async move {
            instance.send(Method::GET, "/api/now/table/customer_contact", &[("origin", origin.as_str())], "").await
        }
    };
    let answer = from(&widget).await;
    assert_eq!(
        (answer.status, answer.header("access-control-allow-origin")),
        (StatusCode::UNAUTHORIZED, Some(widget.as_str()))
    );
    assert!(from(stranger).await.header("access-control-allow-origin").is_none());
    let token = instance
        .send(
            Method::POST,
            "/oauth_token.do",
            &[("origin", stranger), ("content-type", "application/x-www-form-urlencoded")],
            "",
        )
        .await;
    assert!(token.header("access-control-allow-origin").is_none(), "the token endpoint follows the rules too");

    instance.server.servicenow_instance().set_cors_domains(vec![stranger.to_owned()]);
    assert_eq!(preflight(stranger).await.header("access-control-allow-origin"), Some(stranger));
    assert!(
        preflight(&widget).await.header("access-control-allow-origin").is_none(),
        "the rule no longer names the widget"
    );
}

#[tokio::test]
async fn the_table_api_wants_a_live_token_and_refuses_what_the_instance_refuses() {
    let instance = Instance::start().await;
    let unauthenticated = json!({"error": {"message": "User Not Authenticated", "detail": "Required to provide Auth information"}, "status": "failure"});
    let none = instance.send(Method::GET, "/api/now/table/customer_contact", &[], "").await;
    assert_eq!((none.status, none.json()), (StatusCode::UNAUTHORIZED, unauthenticated.clone()));
    let made_up = instance.api(Method::GET, "/api/now/table/customer_contact", "made-up", "").await;
    assert_eq!((made_up.status, made_up.json()), (StatusCode::UNAUTHORIZED, unauthenticated.clone()));

    let token = instance.access_token().await;
    let unknown = instance.api(Method::GET, "/api/now/table/no_such_table", &token, "").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.json()["error"]["message"], json!("Invalid table no_such_table"));
    let missing = instance
        .api(Method::PATCH, "/api/now/table/sn_openframe_phone_log/0123456789abcdef0123456789abcdef", &token, "{}")
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let read_only = instance.api(Method::POST, "/api/now/table/customer_contact", &token, r#"{"name":"x"}"#).await;
    assert_eq!(read_only.status, StatusCode::FORBIDDEN, "the agent may write only the phone log");
    let not_json = instance.api(Method::POST, "/api/now/table/sn_openframe_phone_log", &token, "call_id=1").await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    let unsupported = instance
        .api(Method::GET, &format!("/api/now/table/sys_user?sysparm_query={}", encoded("phoneSTARTSWITH1")), &token, "")
        .await;
    assert_eq!(unsupported.status, StatusCode::BAD_REQUEST);
    assert_eq!(instance.server.servicenow_instance().phone_logs(), Vec::<Value>::new(), "nothing refused was written");

    instance.server.servicenow_instance().expire_tokens();
    let expired = instance.api(Method::GET, "/api/now/table/customer_contact", &token, "").await;
    assert_eq!((expired.status, expired.json()), (StatusCode::UNAUTHORIZED, unauthenticated));
    let fresh = instance.access_token().await;
    assert_eq!(instance.api(Method::GET, "/api/now/table/customer_contact", &fresh, "").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_rest_api_answers_503_while_switched_off_then_serves_again() {
    let instance = Instance::start().await;
    let token = instance.access_token().await;
    let controls = instance.server.servicenow_instance();
    controls.rest_unavailable_for(Duration::from_millis(800));
    let down = instance.api(Method::POST, "/api/now/table/sn_openframe_phone_log", &token, r#"{"call_id":"x"}"#).await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(down.json(), json!({"error": {"message": "Service Unavailable"}}));
    assert_eq!(
        down.header("access-control-allow-origin"),
        Some(instance.server.widget.as_str()),
        "the widget can read it"
    );
    assert!(controls.phone_logs().is_empty());
    // OAuth and the page stay up.
    assert_eq!(instance.authorise(&[]).await.status, StatusCode::OK);

    tokio::time::sleep(Duration::from_millis(900)).await;
    let up = instance.api(Method::POST, "/api/now/table/sn_openframe_phone_log", &token, r#"{"call_id":"x"}"#).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.body);
    assert_eq!(controls.phone_logs().len(), 1);
}

#[tokio::test]
async fn voice_interactions_write_phone_logs_while_the_plugin_is_there() {
    let instance = Instance::start().await;
    let token = instance.access_token().await;
    let body = json!({
        "interaction": {"userPhoneNumber": "1001", "callbackPhoneNumber": "+15550100101", "clientSessionId": CALL_ID},
        "phoneLogs": [{"call_id": CALL_ID, "direction": "outbound", "duration": "5", "short_description": "Outbound call to Ana Díaz"}],
        "relatedRecords": [{"documentTable": "customer_contact", "documentId": ANA}],
    });
    let path = "/api/now/openframe/voice-interaction";
    let answer = instance.api(Method::POST, path, &token, &body.to_string()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["result"]["status"], json!("SUCCESS"));
    assert!(answer.json()["result"]["interactionSysId"].as_str().is_some_and(|id| id.len() == 32));
    let controls = instance.server.servicenow_instance();
    let logs = controls.phone_logs();
    assert_eq!(logs.len(), 1);
    assert_eq!((logs[0]["call_id"].clone(), logs[0]["document_id"].clone()), (json!(CALL_ID), json!(ANA)));
    assert_eq!(controls.activity(ANA), vec!["Outbound call to Ana Díaz · 0:05".to_owned()]);
    assert_eq!(controls.voice_interactions(), vec![body.clone()]);

    controls.set_voice_interaction(false);
    let gone = instance.api(Method::POST, path, &token, &body.to_string()).await;
    assert_eq!(gone.status, StatusCode::BAD_REQUEST);
    assert_eq!(gone.json()["error"]["message"], json!("Requested URI does not represent any resource"));
    assert_eq!(controls.phone_logs().len(), 1);
}

#[tokio::test]
async fn the_page_and_the_table_api_show_the_same_records() {
    let instance = Instance::start().await;
    let records = instance.send(Method::GET, "/emulator/records", &[], "").await.json();
    let labels: Vec<&str> = records.as_array().expect("a list").iter().filter_map(|r| r["label"].as_str()).collect();
    assert_eq!(
        labels,
        ["Case CS0001001", "Contact Ana Díaz", "Contact Marcus Lee", "User Priya Nair", "Account Boxeo Corp"]
    );

    let controls = instance.server.servicenow_instance();
    controls.add_record(ServiceNowRecord {
        table: "sys_user".into(),
        sys_id: "0123456789abcdef0123456789abcdef".into(),
        label: "User Tomás Ruiz".into(),
        title: "Tomás Ruiz".into(),
        contact_name: "Tomás Ruiz".into(),
        fields: vec![
            ServiceNowField::text("name", "Name", "Tomás Ruiz"),
            ServiceNowField::phone("phone", "Business phone", "1009"),
        ],
    });
    let token = instance.access_token().await;
    let found = instance
        .api(
            Method::GET,
            &format!("/api/now/table/sys_user?sysparm_query={}&sysparm_fields=name", encoded("phone=1009")),
            &token,
            "",
        )
        .await;
    assert_eq!(found.json(), json!({"result": [{"name": "Tomás Ruiz"}]}));
    let page = instance.send(Method::GET, "/emulator/records", &[], "").await.json();
    assert!(page.as_array().is_some_and(|r| r.iter().any(|r| r["label"] == json!("User Tomás Ruiz"))));
    assert!(
        !controls.requests().iter().any(|(_, path)| path.starts_with("/emulator/")),
        "the page's own requests are not counted"
    );
}
