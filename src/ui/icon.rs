//! The call controls' icons: small inline SVG drawn in the text's colour, hidden from assistive
//! technology (every control carries its name as text beside the icon).

use leptos::prelude::*;

/// One icon of the call controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Icon {
    /// A handset: answer, call.
    Phone,
    /// A handset put down: hang up, decline.
    HangUp,
    /// A microphone.
    Microphone,
    /// A microphone struck through.
    MicrophoneOff,
    /// Two bars: hold.
    Pause,
    /// A triangle: resume.
    Play,
    /// Twelve keys.
    Keypad,
    /// An arrow to the side: transfer.
    Transfer,
}

impl Icon {
    /// The path, in a 16 × 16 box, and whether it is filled (else stroked).
    fn path(self) -> (&'static str, bool) {
        const HANDSET: &str = "M4.2 1.5 6.3 4.6 5 6.1a8.5 8.5 0 0 0 4.9 4.9l1.5-1.3 3.1 2.1-.8 2.4C13 14.6 11 15 8.7 13.7A13 13 0 0 1 2.3 7.3C1 5 1.4 3 1.8 2.3z";
        match self {
            Icon::Phone | Icon::HangUp => (HANDSET, true),
            Icon::Microphone => (
                "M8 1.5a2 2 0 0 0-2 2v4a2 2 0 0 0 4 0v-4a2 2 0 0 0-2-2zM4 7.5a4 4 0 0 0 8 0M8 11.5v3M5.5 14.5h5",
                false,
            ),
            Icon::MicrophoneOff => (
                "M8 1.5a2 2 0 0 0-2 2v4a2 2 0 0 0 4 0v-4a2 2 0 0 0-2-2zM4 7.5a4 4 0 0 0 8 0M8 11.5v3M5.5 14.5h5M2 2l12 12",
                false,
            ),
            Icon::Pause => ("M4 2.5h3v11H4zM9 2.5h3v11H9z", true),
            Icon::Play => ("M5 2.5v11l8.5-5.5z", true),
            Icon::Keypad => (
                "M3 1.5h2v2H3zM7 1.5h2v2H7zM11 1.5h2v2h-2zM3 5.5h2v2H3zM7 5.5h2v2H7zM11 5.5h2v2h-2zM3 9.5h2v2H3zM7 9.5h2v2H7zM11 9.5h2v2h-2zM7 13h2v2H7z",
                true,
            ),
            Icon::Transfer => ("M2 8h11M9.5 4.5 13 8l-3.5 3.5", false),
        }
    }
}

/// `icon` as a 16 × 16 SVG in `currentColor`.
#[component]
pub fn IconView(icon: Icon) -> impl IntoView {
    let (path, filled) = icon.path();
    let (fill, stroke) = if filled { ("currentColor", "none") } else { ("none", "currentColor") };
    // The hang-up handset is the call handset turned down.
    let transform = (icon == Icon::HangUp).then_some("rotate(135 8 8)");
    view! {
        <svg class="fp-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
            <path d=path fill=fill stroke=stroke stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" transform=transform />
        </svg>
    }
}
