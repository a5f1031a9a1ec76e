//! The service's REST API from the page: JSON in and out, the session cookie sent by the
//! browser (same origin), the CSRF token added to every change.

use std::cell::RefCell;

use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestCredentials, RequestInit, Response};

thread_local! {
    static CSRF: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Keeps the session's CSRF token for the changes that follow.
pub fn set_csrf(token: Option<String>) {
    CSRF.with(|csrf| *csrf.borrow_mut() = token);
}

/// What the service refused, as it said it.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The HTTP status (0: no answer).
    pub status: u16,
    /// The service's words.
    pub message: String,
    /// The field at fault (`settings.instanceUrl`), when one is.
    pub field: Option<String>,
    /// Every problem of a refused widget configuration, each with its key's path.
    pub problems: Vec<String>,
}

impl Problem {
    fn network(error: JsValue) -> Problem {
        let detail = error.as_string().or_else(|| js_sys::Error::from(error).message().as_string()).unwrap_or_default();
        Problem {
            status: 0,
            message: format!("the service could not be reached ({detail})"),
            field: None,
            problems: Vec::new(),
        }
    }
}

/// Sends `method path` with `body` and reads the JSON answer (`null` for an empty one).
pub async fn call(method: &str, path: &str, body: Option<&Value>) -> Result<Value, Problem> {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::SameOrigin);
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(&body.to_string()));
    }
    let request = Request::new_with_str_and_init(path, &init).map_err(Problem::network)?;
    let headers = request.headers();
    let _ = headers.set("accept", "application/json");
    if body.is_some() {
        let _ = headers.set("content-type", "application/json");
    }
    if method != "GET"
        && let Some(token) = CSRF.with(|csrf| csrf.borrow().clone())
    {
        let _ = headers.set("x-csrf-token", &token);
    }
    let window = web_sys::window().ok_or_else(|| Problem::network(JsValue::from_str("no window")))?;
    let response: Response =
        JsFuture::from(window.fetch_with_request(&request)).await.map_err(Problem::network)?.unchecked_into();
    let text = match response.text() {
        Ok(promise) => JsFuture::from(promise).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    };
    let value: Value =
        if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    if response.ok() {
        return Ok(value);
    }
    let message = value
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("the service answered {}", response.status()));
    let field = value.get("field").and_then(Value::as_str).map(str::to_owned);
    let problems = value
        .get("problems")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(|p| p.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    Err(Problem { status: response.status(), message, field, problems })
}
