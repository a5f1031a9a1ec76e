//! Salesforce Open CTI for Salesforce Classic (`sforce.interaction`): positional arguments and
//! `{result, error}` responses.

use std::cell::{Cell, RefCell};

use js_sys::Object;
use wasm_bindgen::JsValue;

use super::click_to_dial::ClassicClickToDial;
use super::js::{self, CALL_TIMEOUT_MS};
use super::opencti_lightning::API_VERSION;
use super::task_ids::TaskIds;
use super::{EventSink, Host, HostError, HostEvent, HostFuture, HostKind, PostFuture, post_outcome};
use crate::activity::outbox::PostOutcome;
use crate::activity::salesforce_task::{self, is_salesforce_id};
use crate::activity::{CallDirection, CallLog, RecordRef};
use crate::config::PanelSettings;
use crate::i18n::{t, t_args};
use crate::origin::Origin;

/// The related list a logged call appears in on a Classic record page.
const ACTIVITY_LIST: &str = "ActivityHistory";

/// Why Classic outside the console opens no record during a call: its `screenPop` loads a new
/// page, and the sidebar softphone (this widget and its call) with it. Told in the agent's
/// language by [`super::why_words`].
pub(super) const POP_CUTS_CALLS: &str = "outside the Service Cloud console, Salesforce Classic reloads the page \
     and the phone with it, which would cut the call off; open it from Salesforce's search (the call is still logged \
     against it)";

/// The widget in the Classic softphone sidebar.
pub(super) struct ClassicHost {
    origin: Origin,
    /// Whether the page is the Service Cloud console, the only place `setVisible` works.
    in_console: Cell<bool>,
    /// The Task each recent Call-ID was logged as, so that a later post of the same call updates it.
    tasks: RefCell<TaskIds>,
}

impl ClassicHost {
    pub(super) fn new(origin: Origin) -> Self {
        ClassicHost { origin, in_console: Cell::new(false), tasks: RefCell::default() }
    }

    /// The Task a call was logged as: remembered, or found by its Call-ID when an earlier post
    /// may have created it unseen.
    async fn task_of(&self, log: &CallLog, update: bool) -> Result<Option<String>, HostError> {
        if let Some(id) = self.tasks.borrow().get(&log.call_id) {
            return Ok(Some(id));
        }
        if !update {
            return Ok(None);
        }
        let found = search(&log.call_id, log.direction).await?;
        Ok(found.into_iter().find(|r| r.object == "Task").map(|r| r.id))
    }
}

fn namespace(path: &'static [&'static str]) -> Result<Object, HostError> {
    js::global(path).ok_or(HostError::NotLoaded { global: "sforce.interaction" })
}

/// Calls `method(...args, callback)` and hands back the whole response.
async fn respond(path: &'static [&'static str], method: &'static str, args: &[JsValue]) -> Result<JsValue, HostError> {
    let target = namespace(path)?;
    let response = js::callback(method, CALL_TIMEOUT_MS, |resolve, _| {
        let mut all = args.to_vec();
        all.push(resolve.into());
        js::call(&target, method, &all)
    })
    .await?;
    let error = js::field(&response, "error");
    if error.is_null() || error.is_undefined() {
        Ok(response)
    } else {
        Err(HostError::Call { method, message: js::describe(&error) })
    }
}

/// Calls `method(...args, callback)` and unwraps `{result, error}`.
async fn request(path: &'static [&'static str], method: &'static str, args: &[JsValue]) -> Result<JsValue, HostError> {
    respond(path, method, args).await.map(|response| js::field(&response, "result"))
}

const INTERACTION: &[&str] = &["sforce", "interaction"];
const CTI: &[&str] = &["sforce", "interaction", "cti"];

fn call_type(direction: CallDirection) -> JsValue {
    match direction {
        CallDirection::Inbound => "inbound".into(),
        CallDirection::Outbound => "outbound".into(),
    }
}

/// The softphone layout's search without a screen pop; the answer is a JSON string of the
/// records by Id, plus `screenPopUrl`.
async fn search(term: &str, direction: CallDirection) -> Result<Vec<RecordRef>, HostError> {
    let args = [term.into(), "".into(), call_type(direction)];
    let result = request(INTERACTION, "searchAndGetScreenPopUrl", &args).await?;
    let parsed = result.as_string().and_then(|text| js_sys::JSON::parse(&text).ok()).unwrap_or(JsValue::NULL);
    Ok(salesforce_task::search_results(js::entries(&parsed), term))
}

/// Pops the relative `url` in the main window.
async fn screen_pop(url: &str) -> Result<(), HostError> {
    request(INTERACTION, "screenPop", &[url.into(), true.into()]).await.map(drop)
}

/// Page info arrives as a JSON string: `{"objectId": …, "object": …, "objectName": …}`.
fn record_in_view(result: &JsValue) -> Option<RecordRef> {
    let info = result.as_string().and_then(|text| js_sys::JSON::parse(&text).ok())?;
    let text = |key| js::field(&info, key).as_string().unwrap_or_default();
    let id = text("objectId");
    (!id.is_empty()).then(|| RecordRef { object: text("object"), id, name: text("objectName"), phone: None })
}

impl Host for ClassicHost {
    fn kind(&self) -> HostKind {
        HostKind::SalesforceClassic
    }

    fn connect<'a>(&'a self, panel: &'a PanelSettings, events: EventSink) -> HostFuture<'a, ()> {
        Box::pin(async move {
            let url = format!("{}/support/api/{API_VERSION}/interaction.js", self.origin);
            js::load_script(&url).await?;
            let cti = namespace(CTI).map_err(|_| HostError::MissingApi { url, global: "sforce.interaction.cti" })?;
            let dial_events = events.clone();
            let on_dial = js::listener(move |payload: JsValue| {
                let text = payload.as_string().unwrap_or_default();
                dial_events(match ClassicClickToDial::from_json(&text) {
                    Ok(request) => HostEvent::ClickToDial(request),
                    Err(reason) => HostEvent::ClickToDialRefused(reason.to_string()),
                });
            });
            js::call(&cti, "sforce.interaction.cti.onClickToDial", &[on_dial])?;
            let nav_events = events.clone();
            let on_focus = js::listener(move |response: JsValue| {
                nav_events(HostEvent::RecordInView(record_in_view(&js::field(&response, "result"))))
            });
            js::call(&namespace(INTERACTION)?, "sforce.interaction.onFocus", &[on_focus])?;
            request(CTI, "notifyInitializationComplete", &[]).await?;
            request(CTI, "enableClickToDial", &[]).await?;
            request(CTI, "setSoftphoneWidth", &[panel.width.into()]).await?;
            request(CTI, "setSoftphoneHeight", &[panel.height.into()]).await?;
            let console = request(INTERACTION, "isInConsole", &[]).await;
            self.in_console.set(console.ok().and_then(|v| v.as_bool()) == Some(true));
            let page = request(INTERACTION, "getPageInfo", &[]).await?;
            events(HostEvent::RecordInView(record_in_view(&page)));
            Ok(())
        })
    }

    fn show(&self) -> HostFuture<'_, ()> {
        // Outside the Service Cloud console the sidebar softphone is always shown and setVisible
        // only fails: it is called in the console alone.
        Box::pin(async {
            if self.in_console.get() {
                request(INTERACTION, "setVisible", &[true.into()]).await?;
            }
            Ok(())
        })
    }

    fn set_label<'a>(&'a self, _label: &'a str) -> HostFuture<'a, ()> {
        // Classic's sidebar softphone has no label of its own.
        Box::pin(async { Ok(()) })
    }

    fn find_records<'a>(&'a self, number: &'a str, direction: CallDirection) -> HostFuture<'a, Vec<RecordRef>> {
        Box::pin(search(number, direction))
    }

    fn open_record<'a>(&'a self, record: &'a RecordRef) -> HostFuture<'a, ()> {
        Box::pin(async move {
            if !self.in_console.get() {
                return Err(HostError::Unsupported { method: "screenPop", why: POP_CUTS_CALLS });
            }
            if !is_salesforce_id(&record.id) {
                let message = t_args("crm.salesforce.not-an-id", &[("id", &record.id)]);
                return Err(HostError::Call { method: "screenPop", message });
            }
            screen_pop(&format!("/{}", record.id)).await
        })
    }

    fn open_new_record<'a>(&'a self, number: &'a str) -> HostFuture<'a, ()> {
        // Classic's new-Contact page (key prefix 003) with the Phone field (`con10`) filled in.
        Box::pin(async move {
            if !self.in_console.get() {
                return Err(HostError::Unsupported { method: "screenPop", why: POP_CUTS_CALLS });
            }
            let number: String = js_sys::encode_uri_component(number).into();
            screen_pop(&format!("/003/e?con10={number}")).await
        })
    }

    fn post_log<'a>(&'a self, log: &'a CallLog, update: bool) -> PostFuture<'a> {
        Box::pin(async move {
            let id = match self.task_of(log, update).await {
                Ok(id) => id,
                Err(error) => return post_outcome(error),
            };
            let params = salesforce_task::classic_params(log, id.as_deref());
            let response = match respond(INTERACTION, "saveLog", &["Task".into(), params.into()]).await {
                Ok(response) => response,
                Err(error) => return post_outcome(error),
            };
            if js::field(&response, "result").as_bool() != Some(true) {
                let message = t("crm.salesforce.task-not-saved");
                return PostOutcome::Refused(HostError::Call { method: "saveLog", message }.to_string());
            }
            if let Some(saved) = salesforce_task::saved_id(&js::to_json(&js::field(&response, "id"))).or(id) {
                self.tasks.borrow_mut().remember(&log.call_id, saved);
            }
            // refreshPage would reload the sidebar, and the phone with it: only the list refreshes.
            let _ = request(INTERACTION, "refreshRelatedList", &[ACTIVITY_LIST.into()]).await;
            PostOutcome::Posted
        })
    }
}
