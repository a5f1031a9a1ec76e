//! Salesforce Open CTI for Salesforce Classic (`sforce.interaction`): positional arguments and
//! `{result, error}` responses.

use js_sys::Object;
use wasm_bindgen::JsValue;

use super::click_to_dial::ClassicClickToDial;
use super::js::{self, CALL_TIMEOUT_MS};
use super::opencti_lightning::API_VERSION;
use super::{EventSink, Host, HostError, HostEvent, HostFuture, HostKind};
use crate::activity::RecordRef;
use crate::config::PanelSettings;
use crate::origin::Origin;

/// The widget in the Classic softphone sidebar.
pub(super) struct ClassicHost {
    origin: Origin,
}

impl ClassicHost {
    pub(super) fn new(origin: Origin) -> Self {
        ClassicHost { origin }
    }
}

fn namespace(path: &'static [&'static str]) -> Result<Object, HostError> {
    js::global(path).ok_or(HostError::NotLoaded { global: "sforce.interaction" })
}

/// Calls `method(...args, callback)` and unwraps `{result, error}`.
async fn request(path: &'static [&'static str], method: &'static str, args: &[JsValue]) -> Result<JsValue, HostError> {
    let target = namespace(path)?;
    let response = js::callback(method, CALL_TIMEOUT_MS, |resolve, _| {
        let mut all = args.to_vec();
        all.push(resolve.into());
        js::call(&target, method, &all)
    })
    .await?;
    let error = js::field(&response, "error");
    if error.is_null() || error.is_undefined() {
        Ok(js::field(&response, "result"))
    } else {
        Err(HostError::Call { method, message: js::describe(&error) })
    }
}

const INTERACTION: &[&str] = &["sforce", "interaction"];
const CTI: &[&str] = &["sforce", "interaction", "cti"];

/// Page info arrives as a JSON string: `{"objectId": …, "object": …, "objectName": …}`.
fn record_in_view(result: &JsValue) -> Option<RecordRef> {
    let info = result.as_string().and_then(|text| js_sys::JSON::parse(&text).ok())?;
    let text = |key| js::field(&info, key).as_string().unwrap_or_default();
    let id = text("objectId");
    (!id.is_empty()).then(|| RecordRef { object: text("object"), id, name: text("objectName") })
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
            let page = request(INTERACTION, "getPageInfo", &[]).await?;
            events(HostEvent::RecordInView(record_in_view(&page)));
            Ok(())
        })
    }

    fn show(&self) -> HostFuture<'_, ()> {
        // Only the Service Cloud console can show a hidden softphone; elsewhere it is always shown.
        Box::pin(async {
            let _ = request(INTERACTION, "setVisible", &[true.into()]).await;
            Ok(())
        })
    }

    fn set_label<'a>(&'a self, _label: &'a str) -> HostFuture<'a, ()> {
        // Classic's sidebar softphone has no label of its own.
        Box::pin(async { Ok(()) })
    }
}
