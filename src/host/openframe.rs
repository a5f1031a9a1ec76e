//! ServiceNow OpenFrame, through the instance's own `openFrameAPI.min.js`.

use wasm_bindgen::JsValue;

use super::click_to_dial::OpenFrameCommunication;
use super::js::{self, CALL_TIMEOUT_MS};
use super::{EventSink, Host, HostError, HostEvent, HostFuture, HostKind};
use crate::config::{MAX_TITLE_CHARS, PanelSettings};
use crate::origin::Origin;

/// Script versions tried in order: the instance's alias for its newest, then the long-lived 1.0.5.
const SCRIPT_VERSIONS: [&str; 2] = ["latest", "1.0.5"];

/// The widget inside a ServiceNow OpenFrame panel.
pub(super) struct OpenFrameHost {
    origin: Origin,
}

impl OpenFrameHost {
    pub(super) fn new(origin: Origin) -> Self {
        OpenFrameHost { origin }
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
}
