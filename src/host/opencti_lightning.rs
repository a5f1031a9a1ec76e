//! Salesforce Open CTI for Lightning Experience (`sforce.opencti`).

use js_sys::Object;
use wasm_bindgen::JsValue;

use super::click_to_dial::LightningClickToDial;
use super::js::{self, CALL_TIMEOUT_MS};
use super::{EventSink, Host, HostError, HostEvent, HostFuture, HostKind};
use crate::activity::RecordRef;
use crate::config::PanelSettings;
use crate::origin::Origin;

/// The Open CTI API version the widget asks the org for.
pub(super) const API_VERSION: &str = "60.0";

/// The widget as the Lightning softphone utility item.
pub(super) struct LightningHost {
    origin: Origin,
}

impl LightningHost {
    pub(super) fn new(origin: Origin) -> Self {
        LightningHost { origin }
    }
}

fn api() -> Result<Object, HostError> {
    js::global(&["sforce", "opencti"]).ok_or(HostError::NotLoaded { global: "sforce.opencti" })
}

/// Calls a Lightning method with `{...args, callback}` and unwraps `{success, returnValue, errors}`.
async fn request(method: &'static str, args: &[(&str, JsValue)]) -> Result<JsValue, HostError> {
    let api = api()?;
    let response = js::callback(method, CALL_TIMEOUT_MS, |resolve, _| {
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

/// The record in a navigation or app-view payload: `{recordId, objectType, recordName}`.
fn record_in_view(value: &JsValue) -> Option<RecordRef> {
    let text = |key| js::field(value, key).as_string().unwrap_or_default();
    let (id, object) = (text("recordId"), text("objectType"));
    (!id.is_empty()).then(|| RecordRef { object, id, name: text("recordName") })
}

impl Host for LightningHost {
    fn kind(&self) -> HostKind {
        HostKind::SalesforceLightning
    }

    fn connect<'a>(&'a self, panel: &'a PanelSettings, events: EventSink) -> HostFuture<'a, ()> {
        Box::pin(async move {
            let url = format!("{}/support/api/{API_VERSION}/lightning/opencti_min.js", self.origin);
            js::load_script(&url).await?;
            let api = api().map_err(|_| HostError::MissingApi { url, global: "sforce.opencti" })?;
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
}
