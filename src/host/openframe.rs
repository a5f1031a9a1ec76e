//! ServiceNow OpenFrame, through the instance's own `openFrameAPI.min.js`; screen pop and call
//! logging through the instance's REST APIs at the same validated origin (`topDomain`), with
//! the token from a [`TokenSource`]: the phone's own OAuth client (a consent popup), or the
//! integration service, which then also takes the call logs and posts them itself.

use wasm_bindgen::JsValue;

use super::click_to_dial::OpenFrameCommunication;
use super::js::{self, CALL_TIMEOUT_MS};
use super::service_session::ServiceSession;
use super::servicenow_fetch::{self, Failure, Reply};
use super::servicenow_oauth::PkcePopup;
use super::{EventSink, Host, HostError, HostEvent, HostFuture, HostKind, PostFuture};
use crate::activity::caller_match::is_field_name;
use crate::activity::outbox::PostOutcome;
use crate::activity::servicenow::{Request, answer, is_sys_id, phone_log, search};
use crate::activity::token::{AccessToken, TokenError, TokenSource};
use crate::activity::{CallDirection, CallLog, RecordRef, form_encoding};
use crate::config::{LogTarget, ServiceNowSettings};
use crate::config::{MAX_TITLE_CHARS, PanelSettings};
use crate::i18n::t_args;
use crate::origin::Origin;

/// Why the phone neither searches nor logs in this instance (told in the agent's language by
/// [`super::why_words`]).
pub(super) const NO_REST: &str =
    "neither crm.servicenow.oauthClientId nor service is set, so the phone does not use the instance's REST API";

/// Script versions tried in order: the instance's alias for its newest, then the long-lived 1.0.5.
const SCRIPT_VERSIONS: [&str; 2] = ["latest", "1.0.5"];

/// Where the instance's REST token comes from, and who posts the call logs.
enum Rest {
    /// The phone's own OAuth client; the phone posts the logs.
    Own(PkcePopup),
    /// The integration service, which also takes the logs.
    Service(ServiceSession),
}

/// The widget inside a ServiceNow OpenFrame panel.
pub(super) struct OpenFrameHost {
    origin: Origin,
    settings: ServiceNowSettings,
    rest: Rest,
}

impl OpenFrameHost {
    /// The back-end for the instance at `origin` (the validated `topDomain`). Its REST token
    /// comes from the window's session at the integration service when the configuration names
    /// one, from the PKCE popup otherwise.
    pub(super) fn new(origin: Origin, settings: &ServiceNowSettings, service: Option<&ServiceSession>) -> Self {
        let rest = match service {
            Some(service) => Rest::Service(service.clone()),
            None => Rest::Own(PkcePopup::new(origin.clone(), settings.oauth_client_id.clone())),
        };
        OpenFrameHost { origin, settings: settings.clone(), rest }
    }

    fn tokens(&self) -> &dyn TokenSource {
        match &self.rest {
            Rest::Own(popup) => popup,
            Rest::Service(session) => session,
        }
    }

    async fn load(&self) -> Result<js_sys::Object, HostError> {
        let mut last_error = None;
        for version in SCRIPT_VERSIONS {
            let url = format!("{}/scripts/openframe/{version}/openFrameAPI.min.js", self.origin);
            match js::load_script(&url).await {
                Ok(()) => {
                    return js::global(&["openFrameAPI"]).ok_or(HostError::MissingApi { url, global: "openFrameAPI" });
                }
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.unwrap_or(HostError::ScriptLoad { url: self.origin.to_string() }))
    }
}

fn api() -> Result<js_sys::Object, HostError> {
    js::global(&["openFrameAPI"]).ok_or(HostError::NotLoaded { global: "openFrameAPI" })
}

fn on_communication(events: EventSink) -> JsValue {
    js::listener(move |payload: JsValue| {
        // Some instances deliver the payload as the JSON text it travelled in.
        let payload = match payload.as_string() {
            Some(text) => js_sys::JSON::parse(&text).unwrap_or(JsValue::from_str(&text)),
            None => payload,
        };
        let request = js::from_object::<OpenFrameCommunication>(payload)
            .and_then(|p| p.into_request().map_err(|e| e.to_string()));
        events(match request {
            Ok(request) => HostEvent::ClickToDial(request),
            Err(reason) => HostEvent::ClickToDialRefused(reason),
        });
    })
}

/// `openFrameAPI.openServiceNowForm({entity, query})`.
fn open_form(entity: &str, query: &str) -> Result<(), HostError> {
    let details = js::object(&[("entity", entity.into()), ("query", query.into())]);
    js::call(&api()?, "openFrameAPI.openServiceNowForm", &[details.into()]).map(drop)
}

/// The number as a new record's field value: its digits and a leading `+`, nothing that could
/// end the encoded query (`^`) or the URL parameter.
fn new_record_number(number: &str) -> String {
    let kept: String = number.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
    form_encoding::component(&kept)
}

/// Why a request got no answer, in words naming the likely fix.
fn no_answer(instance: &Origin, failure: Failure) -> String {
    match failure {
        Failure::NoAnswer => {
            let widget = servicenow_fetch::widget_origin();
            match widget {
                Some(widget) => answer::no_answer(instance, &widget),
                None => t_args("crm.no-answer-from", &[("origin", &instance.to_string())]),
            }
        }
        Failure::TimedOut => answer::timed_out(instance),
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(MAX_TITLE_CHARS).collect()
}

impl Host for OpenFrameHost {
    fn kind(&self) -> HostKind {
        HostKind::ServiceNow
    }

    fn connect<'a>(&'a self, panel: &'a PanelSettings, events: EventSink) -> HostFuture<'a, ()> {
        Box::pin(async move {
            let api = self.load().await?;
            let config = js::object(&[
                ("title", truncate(&panel.title).into()),
                ("subTitle", "".into()),
                ("width", panel.width.into()),
                ("height", panel.height.into()),
            ]);
            // OpenFrame times out its own init after 3000 ms and then calls `failure`.
            js::callback("openFrameAPI.init", CALL_TIMEOUT_MS, |success, failure| {
                js::call(&api, "openFrameAPI.init", &[config.into(), success.into(), failure.into()])
            })
            .await?;
            let event_name = js::global(&["openFrameAPI", "EVENTS"])
                .map(|events| js::field(&events, "COMMUNICATION_EVENT"))
                .filter(JsValue::is_string)
                .unwrap_or_else(|| "openframe_communication".into());
            js::call(&api, "openFrameAPI.subscribe", &[event_name, on_communication(events)])?;
            Ok(())
        })
    }

    fn show(&self) -> HostFuture<'_, ()> {
        Box::pin(async { js::call(&api()?, "openFrameAPI.show", &[]).map(drop) })
    }

    fn set_label<'a>(&'a self, label: &'a str) -> HostFuture<'a, ()> {
        Box::pin(async move { js::call(&api()?, "openFrameAPI.setSubtitle", &[truncate(label).into()]).map(drop) })
    }

    fn find_records<'a>(&'a self, number: &'a str, direction: CallDirection) -> HostFuture<'a, Vec<RecordRef>> {
        let _ = direction;
        Box::pin(async move {
            if !self.takes_call_logs() {
                return Err(HostError::Unsupported { method: "find_records", why: NO_REST });
            }
            let token = self.token("find_records").await?;
            // Every table's search starts at once; the answers are read in the configured order.
            let searches: Vec<_> = self
                .settings
                .search
                .iter()
                .filter_map(|table| search::request(&self.origin, table, number).map(|request| (table, request)))
                .map(|(table, request)| (table, servicenow_fetch::send(&request, Some(&token.value))))
                .collect();
            let (mut found, mut failures) = (Vec::new(), Vec::new());
            for (table, reply) in searches {
                match reply.await {
                    Ok(reply) if reply.answer().status == 401 => {
                        self.tokens().refused(&token);
                        return Err(HostError::Unauthorised);
                    }
                    Ok(reply) if reply.answer().is_success() => {
                        match search::matches(table, number, reply.answer().body) {
                            Ok(records) => found.extend(records),
                            Err(reason) => failures.push(reason),
                        }
                    }
                    Ok(reply) => failures.push(answer::describe(&self.origin, &reply.answer())),
                    Err(failure) => failures.push(no_answer(&self.origin, failure)),
                }
            }
            if found.is_empty() && !failures.is_empty() {
                return Err(HostError::Call { method: "find_records", message: failures.join("; ") });
            }
            Ok(found)
        })
    }

    fn open_record<'a>(&'a self, record: &'a RecordRef) -> HostFuture<'a, ()> {
        Box::pin(async move {
            // Records also come from click-to-dial payloads: only a table name and a sys_id
            // go into the form's query.
            if !is_field_name(&record.object) || !is_sys_id(&record.id) {
                let args = [("table", record.object.as_str()), ("id", &record.id), ("field", "sys_id")];
                let message = t_args("crm.servicenow.not-a-record", &args);
                return Err(HostError::Call { method: "openServiceNowForm", message });
            }
            open_form(&record.object, &format!("sys_id={}", record.id))
        })
    }

    fn open_new_record<'a>(&'a self, number: &'a str) -> HostFuture<'a, ()> {
        Box::pin(async move {
            let table = &self.settings.new_record_table;
            if !is_field_name(table) {
                let args = [("setting", "crm.servicenow.newRecordTable"), ("table", table.as_str())];
                let message = t_args("crm.servicenow.not-a-table", &args);
                return Err(HostError::Call { method: "openServiceNowForm", message });
            }
            open_form(table, &format!("sys_id=-1&sysparm_query=phone={}", new_record_number(number)))
        })
    }

    fn post_log<'a>(&'a self, log: &'a CallLog, update: bool) -> PostFuture<'a> {
        Box::pin(async move {
            if let Rest::Service(session) = &self.rest {
                // The service posts it, idempotently by Call-ID: a second hand-over is no
                // second row.
                return session.hand_over(log).await;
            }
            let token = match self.tokens().token().await {
                Ok(token) => token,
                Err(TokenError::Unauthorised) => return PostOutcome::Unauthorised,
                Err(TokenError::NotConfigured(reason)) => return PostOutcome::Refused(reason),
                Err(TokenError::Unavailable(reason)) => return PostOutcome::Unknown(reason),
            };
            let outcome = self.deliver(log, update, &token).await;
            if outcome == PostOutcome::Unauthorised {
                self.tokens().refused(&token);
            }
            outcome
        })
    }

    fn takes_call_logs(&self) -> bool {
        matches!(self.rest, Rest::Service(_)) || self.settings.oauth_client_id.is_some()
    }

    fn needs_authorisation(&self) -> HostFuture<'_, bool> {
        Box::pin(async move { Ok(matches!(self.tokens().token().await, Err(TokenError::Unauthorised))) })
    }

    fn authorise(&self) -> HostFuture<'_, ()> {
        // The popup opens here, within the agent's click; only the rest is awaited.
        let authorising = self.tokens().authorise();
        Box::pin(async move {
            authorising.await.map_err(|error| HostError::Call { method: "authorise", message: error.to_string() })
        })
    }
}

impl OpenFrameHost {
    async fn token(&self, method: &'static str) -> Result<AccessToken, HostError> {
        self.tokens().token().await.map_err(|error| match error {
            TokenError::Unauthorised => HostError::Unauthorised,
            TokenError::NotConfigured(message) | TokenError::Unavailable(message) => {
                HostError::Call { method, message }
            }
        })
    }

    /// Sends one request of a log's delivery; no answer is an unknown outcome.
    async fn exchange(&self, request: &Request, token: &AccessToken) -> Result<Reply, PostOutcome> {
        servicenow_fetch::send(request, Some(&token.value))
            .await
            .map_err(|failure| PostOutcome::Unknown(no_answer(&self.origin, failure)))
    }

    /// Creates the log, or with `update` finds it by its Call-ID and patches it.
    async fn deliver(&self, log: &CallLog, update: bool, token: &AccessToken) -> PostOutcome {
        if update {
            let Some(find) = phone_log::find_request(&self.origin, log) else {
                let args = [("call-id", log.call_id.as_str()), ("agent", &log.agent)];
                return PostOutcome::Refused(t_args("crm.phone-log.no-lookup", &args));
            };
            let reply = match self.exchange(&find, token).await {
                Ok(reply) => reply,
                Err(outcome) => return outcome,
            };
            if !reply.answer().is_success() {
                return answer::post_outcome(&self.origin, &reply.answer());
            }
            match phone_log::found_row(reply.answer().body) {
                Ok(Some(sys_id)) => {
                    let Some(patch) = phone_log::update_request(&self.origin, &sys_id, log) else {
                        return PostOutcome::Refused(t_args("crm.phone-log.no-update", &[("sys-id", &sys_id)]));
                    };
                    return match self.exchange(&patch, token).await {
                        Ok(reply) => answer::post_outcome(&self.origin, &reply.answer()),
                        Err(outcome) => outcome,
                    };
                }
                Ok(None) => {}
                Err(reason) => return PostOutcome::Refused(reason),
            }
        }
        let (request, voice) = match self.settings.log_to {
            LogTarget::PhoneLog => (phone_log::create_request(&self.origin, log), false),
            LogTarget::VoiceInteraction => (phone_log::voice_interaction_request(&self.origin, log), true),
        };
        match self.exchange(&request, token).await {
            Ok(reply) if voice => phone_log::voice_interaction_outcome(&self.origin, &reply.answer()),
            Ok(reply) => answer::post_outcome(&self.origin, &reply.answer()),
            Err(outcome) => outcome,
        }
    }
}
