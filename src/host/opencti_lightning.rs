//! Salesforce Open CTI for Lightning Experience (`sforce.opencti`).

use std::cell::RefCell;

use js_sys::Object;
use wasm_bindgen::JsValue;

use super::click_to_dial::LightningClickToDial;
use super::js::{self, CALL_TIMEOUT_MS};
use super::task_ids::TaskIds;
use super::{EventSink, Host, HostError, HostEvent, HostFuture, HostKind, PostFuture, post_outcome};
use crate::activity::outbox::PostOutcome;
use crate::activity::salesforce_task::{self, is_salesforce_id};
use crate::activity::{CallDirection, CallLog, RecordRef};
use crate::config::PanelSettings;
use crate::i18n::t_args;
use crate::origin::Origin;

/// The Open CTI API version the widget asks the org for.
pub(super) const API_VERSION: &str = "60.0";
/// How long the Lightning library may take to answer before the page counts as Classic.
const PROBE_TIMEOUT_MS: u32 = 1_500;

/// The widget as the Lightning softphone utility item.
pub(super) struct LightningHost {
    origin: Origin,
    /// The Task each recent Call-ID was logged as, so that a later post of the same call updates it.
    tasks: RefCell<TaskIds>,
}

impl LightningHost {
    pub(super) fn new(origin: Origin) -> Self {
        LightningHost { origin, tasks: RefCell::default() }
    }

    /// The Task a call was logged as: remembered from an earlier post, or found by its Call-ID
    /// (`CallObject`) when an earlier post may have created it unseen.
    async fn task_of(&self, log: &CallLog, update: bool) -> Result<Option<String>, HostError> {
        if let Some(id) = self.tasks.borrow().get(&log.call_id) {
            return Ok(Some(id));
        }
        if !update {
            return Ok(None);
        }
        let answer = search(&log.call_id, log.direction).await?;
        Ok(salesforce_task::search_results(js::entries(&answer), "")
            .into_iter()
            .find(|r| r.object == "Task")
            .map(|r| r.id))
    }
}

fn api() -> Result<Object, HostError> {
    js::global(&["sforce", "opencti"]).ok_or(HostError::NotLoaded { global: "sforce.opencti" })
}

/// Loads `opencti_min.js` from `origin` unless it ran already: a second copy would answer
/// every callback twice.
async fn load(origin: &Origin) -> Result<Object, HostError> {
    if let Ok(api) = api() {
        return Ok(api);
    }
    let url = format!("{origin}/support/api/{API_VERSION}/lightning/opencti_min.js");
    js::load_script(&url).await?;
    api().map_err(|_| HostError::MissingApi { url, global: "sforce.opencti" })
}

/// Whether the page around the widget answers the Lightning library: the fallback when neither
/// the configuration nor the URL says which Open CTI the page speaks.
pub(super) async fn answers(origin: &Origin) -> bool {
    if load(origin).await.is_err() {
        return false;
    }
    // A refusal is an answer too: only Lightning speaks this protocol at all.
    !matches!(request_within("getAppViewInfo", &[], PROBE_TIMEOUT_MS).await, Err(HostError::Timeout { .. }))
}

/// Calls a Lightning method with `{...args, callback}` and unwraps `{success, returnValue, errors}`.
async fn request(method: &'static str, args: &[(&str, JsValue)]) -> Result<JsValue, HostError> {
    request_within(method, args, CALL_TIMEOUT_MS).await
}

async fn request_within(method: &'static str, args: &[(&str, JsValue)], timeout_ms: u32) -> Result<JsValue, HostError> {
    let api = api()?;
    let response = js::callback(method, timeout_ms, |resolve, _| {
        let argument = js::object(args);
        js_sys::Reflect::set(&argument, &"callback".into(), resolve).ok();
        js::call(&api, method, &[argument.into()])
    })
    .await?;
    if js::field(&response, "success").as_bool() == Some(true) {
        Ok(js::field(&response, "returnValue"))
    } else {
        Err(HostError::Call { method, message: js::describe(&js::field(&response, "errors")) })
    }
}

/// `sforce.opencti.<group>.<name>`, as the library defines it, or `fallback`.
fn constant(group: &str, name: &str, fallback: &str) -> JsValue {
    js::global(&["sforce", "opencti", group])
        .map(|values| js::field(&values, name))
        .filter(|value| !value.is_undefined())
        .unwrap_or_else(|| fallback.into())
}

fn call_type(direction: CallDirection) -> JsValue {
    match direction {
        CallDirection::Inbound => constant("CALL_TYPE", "INBOUND", "inbound"),
        CallDirection::Outbound => constant("CALL_TYPE", "OUTBOUND", "outbound"),
    }
}

/// A search of the softphone layout's objects without the screen pop (`deferred`): the widget
/// decides what to open.
async fn search(term: &str, direction: CallDirection) -> Result<JsValue, HostError> {
    let args = [
        ("searchParams", term.into()),
        ("queryParams", "".into()),
        ("callType", call_type(direction)),
        ("deferred", true.into()),
    ];
    request("searchAndScreenPop", &args).await
}

/// The record in a navigation or app-view payload: `{recordId, objectType, recordName}`.
fn record_in_view(value: &JsValue) -> Option<RecordRef> {
    let text = |key| js::field(value, key).as_string().unwrap_or_default();
    let (id, object) = (text("recordId"), text("objectType"));
    (!id.is_empty()).then(|| RecordRef { object, id, name: text("recordName"), phone: None })
}

impl Host for LightningHost {
    fn kind(&self) -> HostKind {
        HostKind::SalesforceLightning
    }

    fn connect<'a>(&'a self, panel: &'a PanelSettings, events: EventSink) -> HostFuture<'a, ()> {
        Box::pin(async move {
            let api = load(&self.origin).await?;
            let dial_events = events.clone();
            let on_dial = js::listener(move |payload: JsValue| {
                let request = js::from_object::<LightningClickToDial>(payload)
                    .and_then(|p| p.into_request().map_err(|e| e.to_string()));
                dial_events(match request {
                    Ok(request) => HostEvent::ClickToDial(request),
                    Err(reason) => HostEvent::ClickToDialRefused(reason),
                });
            });
            js::call(&api, "sforce.opencti.onClickToDial", &[js::object(&[("listener", on_dial)]).into()])?;
            let nav_events = events.clone();
            let on_navigation =
                js::listener(move |payload: JsValue| nav_events(HostEvent::RecordInView(record_in_view(&payload))));
            js::call(&api, "sforce.opencti.onNavigationChange", &[js::object(&[("listener", on_navigation)]).into()])?;
            // Told early, so Salesforce stops its spinner while the rest of the set-up goes on.
            request("notifyInitializationComplete", &[]).await?;
            request("enableClickToDial", &[]).await?;
            request("setSoftphonePanelWidth", &[("widthPX", panel.width.into())]).await?;
            request("setSoftphonePanelHeight", &[("heightPX", panel.height.into())]).await?;
            // The open panel's header and the minimised utility item are labelled apart.
            request("setSoftphonePanelLabel", &[("label", panel.title.as_str().into())]).await?;
            request("setSoftphoneItemLabel", &[("label", panel.title.as_str().into())]).await?;
            let view = request("getAppViewInfo", &[]).await?;
            events(HostEvent::RecordInView(record_in_view(&view)));
            Ok(())
        })
    }

    fn show(&self) -> HostFuture<'_, ()> {
        Box::pin(async { request("setSoftphonePanelVisibility", &[("visible", true.into())]).await.map(drop) })
    }

    fn set_label<'a>(&'a self, label: &'a str) -> HostFuture<'a, ()> {
        Box::pin(async move { request("setSoftphoneItemLabel", &[("label", label.into())]).await.map(drop) })
    }

    fn find_records<'a>(&'a self, number: &'a str, direction: CallDirection) -> HostFuture<'a, Vec<RecordRef>> {
        Box::pin(async move {
            let answer = search(number, direction).await?;
            Ok(salesforce_task::search_results(js::entries(&answer), number))
        })
    }

    fn open_record<'a>(&'a self, record: &'a RecordRef) -> HostFuture<'a, ()> {
        Box::pin(async move {
            if !is_salesforce_id(&record.id) {
                let message = t_args("crm.salesforce.not-an-id", &[("id", &record.id)]);
                return Err(HostError::Call { method: "screenPop", message });
            }
            let params = js::object(&[("recordId", record.id.as_str().into())]);
            let args = [("type", constant("SCREENPOP_TYPE", "SOBJECT", "sobject")), ("params", params.into())];
            request("screenPop", &args).await.map(drop)
        })
    }

    fn open_new_record<'a>(&'a self, number: &'a str) -> HostFuture<'a, ()> {
        Box::pin(async move {
            let defaults = || js::object(&[("Phone", number.into())]).into();
            let params = js::object(&[("entityName", "Contact".into()), ("defaultFieldValues", defaults())]);
            let args = [
                ("type", constant("SCREENPOP_TYPE", "NEW_RECORD_MODAL", "newRecord")),
                ("params", params.into()),
                ("defaultFieldValues", defaults()),
            ];
            request("screenPop", &args).await.map(drop)
        })
    }

    fn post_log<'a>(&'a self, log: &'a CallLog, update: bool) -> PostFuture<'a> {
        Box::pin(async move {
            let id = match self.task_of(log, update).await {
                Ok(id) => id,
                Err(error) => return post_outcome(error),
            };
            let value = js::from_json(&salesforce_task::lightning_value(log, id.as_deref()));
            match request("saveLog", &[("value", value)]).await {
                Ok(answer) => {
                    if let Some(saved) = salesforce_task::saved_id(&js::to_json(&answer)).or(id) {
                        self.tasks.borrow_mut().remember(&log.call_id, saved);
                    }
                    // The Task is saved; a timeline that does not refresh shows it on the next visit.
                    let _ = request("refreshView", &[]).await;
                    PostOutcome::Posted
                }
                Err(error) => post_outcome(error),
            }
        })
    }
}
