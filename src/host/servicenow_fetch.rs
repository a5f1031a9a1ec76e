//! Sends the ServiceNow requests built by `activity::servicenow`: `fetch` with the bearer
//! token, no cookies, and an abort after [`POST_TIMEOUT_MS`]. The answer is handed back as it
//! came for the pure modules to read.

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, RequestCredentials, RequestInit, Response};

use crate::activity::outbox::POST_TIMEOUT_MS;
use crate::activity::servicenow::Request;
use crate::activity::servicenow::answer::Answer;
use crate::origin::Origin;

/// An answer as it came.
pub(super) struct Reply {
    status: u16,
    retry_after: Option<String>,
    body: String,
}

impl Reply {
    /// The answer for the pure readers.
    pub(super) fn answer(&self) -> Answer<'_> {
        Answer { status: self.status, retry_after: self.retry_after.as_deref(), body: &self.body }
    }
}

/// Why no answer came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Failure {
    /// `fetch` rejected: the network, or the instance's CORS rules (the browser hides which).
    NoAnswer,
    /// Nothing within [`POST_TIMEOUT_MS`]: the request was aborted.
    TimedOut,
}

/// Starts `request` now (so that several run at once) with `token` as its bearer; the future
/// gives its answer.
pub(super) fn send(request: &Request, token: Option<&str>) -> impl Future<Output = Result<Reply, Failure>> + use<> {
    let started = start(request, token);
    async move {
        let (response, timer) = started?;
        let read = async {
            let response: Response = JsFuture::from(response).await?.unchecked_into();
            let retry_after = response.headers().get("Retry-After").ok().flatten();
            let body = JsFuture::from(response.text()?).await?.as_string().unwrap_or_default();
            Ok::<_, wasm_bindgen::JsValue>(Reply { status: response.status(), retry_after, body })
        };
        let result = read.await;
        let timed_out = timer.finish();
        result.map_err(|_| if timed_out { Failure::TimedOut } else { Failure::NoAnswer })
    }
}

/// The abort timer of one request; dropped (and cleared) once the answer is read.
struct Timer {
    handle: i32,
    fired: Rc<Cell<bool>>,
    _fire: Closure<dyn FnMut()>,
}

impl Timer {
    /// Clears the timer; whether it had fired.
    fn finish(self) -> bool {
        if let Some(window) = web_sys::window() {
            window.clear_timeout_with_handle(self.handle);
        }
        self.fired.get()
    }
}

fn start(request: &Request, token: Option<&str>) -> Result<(js_sys::Promise, Timer), Failure> {
    let window = web_sys::window().ok_or(Failure::NoAnswer)?;
    let headers = Headers::new().map_err(|_| Failure::NoAnswer)?;
    let init = RequestInit::new();
    init.set_method(request.method.as_str());
    // The bearer token is the only credential: the instance's session cookies stay out, so
    // that the CORS rule needs no Access-Control-Allow-Credentials.
    init.set_credentials(RequestCredentials::Omit);
    let _ = headers.set("Accept", "application/json");
    if let Some(body) = &request.body {
        let _ = headers.set("Content-Type", body.content_type());
        init.set_body(&body.text().into());
    }
    if let (true, Some(token)) = (request.authorised, token) {
        headers.set("Authorization", &format!("Bearer {token}")).map_err(|_| Failure::NoAnswer)?;
    }
    init.set_headers(&headers);
    let controller = AbortController::new().map_err(|_| Failure::NoAnswer)?;
    init.set_signal(Some(&controller.signal()));
    let fired = Rc::new(Cell::new(false));
    let fire = {
        let fired = fired.clone();
        Closure::<dyn FnMut()>::new(move || {
            fired.set(true);
            controller.abort();
        })
    };
    let handle = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(fire.as_ref().unchecked_ref(), POST_TIMEOUT_MS as i32)
        .map_err(|_| Failure::NoAnswer)?;
    let response = window.fetch_with_str_and_init(&request.url, &init);
    Ok((response, Timer { handle, fired, _fire: fire }))
}

/// The widget's own origin (the page's), as the CORS rules must name it.
pub(super) fn widget_origin() -> Option<Origin> {
    let origin = web_sys::window()?.location().origin().ok()?;
    Origin::parse(&origin).ok()
}
