//! The pop-out tab: no host API; the tab title carries the label.

use super::{EventSink, Host, HostFuture, HostKind};
use crate::config::PanelSettings;

/// The widget in a browser tab of its own.
pub(super) struct StandaloneHost;

impl Host for StandaloneHost {
    fn kind(&self) -> HostKind {
        HostKind::Standalone
    }

    fn connect<'a>(&'a self, panel: &'a PanelSettings, _events: EventSink) -> HostFuture<'a, ()> {
        self.set_label(&panel.title)
    }

    fn show(&self) -> HostFuture<'_, ()> {
        Box::pin(async {
            if let Some(window) = web_sys::window() {
                let _ = window.focus();
            }
            Ok(())
        })
    }

    fn set_label<'a>(&'a self, label: &'a str) -> HostFuture<'a, ()> {
        Box::pin(async move {
            if let Some(document) = web_sys::window().and_then(|w| w.document()) {
                document.set_title(label);
            }
            Ok(())
        })
    }
}
