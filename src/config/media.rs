//! The `media` section: what a held call's party hears.

use serde_json::Value;

use super::reader::{ObjectReader, Problems};
use crate::i18n::{t, t_args};

/// Media settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MediaSettings {
    /// A path on the widget's own origin to an audio file played to held parties (looped);
    /// none means they hear silence.
    pub music_on_hold: Option<String>,
}

/// The longest path accepted for the music on hold.
pub const MAX_MUSIC_PATH_CHARS: usize = 1024;

pub(super) fn read_media(value: &Value, problems: &mut Problems) -> Option<MediaSettings> {
    let mut section = ObjectReader::new("media", value, problems)?;
    let music_path = section.path_of("musicOnHold");
    let music = section.string("musicOnHold", problems).map(|text| match check_music_path(text) {
        Ok(()) => Some(text.to_owned()),
        Err(why) => {
            problems.push(&music_path, t_args("config.value-problem", &[("value", &shown(text)), ("reason", &why)]));
            None
        }
    });
    section.finish(problems);
    match music {
        None => Some(MediaSettings::default()),
        Some(None) => None,
        Some(music) => Some(MediaSettings { music_on_hold: music }),
    }
}

/// Checks that `text` is a path on the widget's own origin ("audio/hold.mp3",
/// "/media/hold.ogg"): other origins are refused because the deployment's Content-Security-Policy
/// allows media only from the widget's origin, and because the browser would hand the phone
/// only silence from a cross-origin file without CORS.
fn check_music_path(text: &str) -> Result<(), String> {
    const EXAMPLE: &str = "audio/hold.mp3";
    if text.trim().is_empty() {
        return Err(t_args("config.media.no-file", &[("example", EXAMPLE)]));
    }
    if text.chars().count() > MAX_MUSIC_PATH_CHARS {
        return Err(t_args("config.too-long", &[("max", &MAX_MUSIC_PATH_CHARS.to_string())]));
    }
    if text.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\') {
        return Err(t("config.media.bad-characters"));
    }
    // `//host/…` is another origin with the page's scheme; `scheme:` anything before the first
    // `/`, `?` or `#` is an absolute URL (https:, data:, blob:, javascript:).
    let before_path = text.split(['/', '?', '#']).next().unwrap_or_default();
    if text.starts_with("//") || before_path.contains(':') {
        return Err(t_args("config.media.same-origin", &[("example", EXAMPLE), ("absolute", "/audio/hold.mp3")]));
    }
    Ok(())
}

/// The value as quoted in a problem: cut when long, so that one problem stays one line.
fn shown(text: &str) -> String {
    const SHOWN: usize = 80;
    if text.chars().count() <= SHOWN {
        return text.escape_debug().to_string();
    }
    let cut: String = text.chars().take(SHOWN).collect();
    format!("{}…", cut.escape_debug())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_on_the_widgets_origin_are_accepted() {
        for path in ["hold.mp3", "audio/hold.ogg", "/media/hold%20music.wav", "./hold.wav", "../x/hold.mp3?v=2"] {
            assert_eq!(check_music_path(path), Ok(()), "{path}");
        }
    }

    #[test]
    fn other_origins_and_schemes_are_refused() {
        for url in [
            "https://cdn.example.com/hold.mp3",
            "HTTP://127.0.0.1/hold.mp3",
            "//cdn.example.com/hold.mp3",
            "data:audio/wav;base64,AAAA",
            "blob:https://x/1",
            "javascript:alert(1)",
        ] {
            let error = check_music_path(url).expect_err(url);
            assert!(error.contains("widget's own origin"), "{url}: {error}");
        }
    }

    #[test]
    fn empty_long_and_odd_paths_are_refused() {
        assert!(check_music_path("").is_err());
        assert!(check_music_path("  ").is_err());
        assert!(check_music_path("hold music.mp3").is_err());
        assert!(check_music_path("a\\b.mp3").is_err());
        assert!(check_music_path("/\\evil.example/x.mp3").is_err());
        assert!(check_music_path("hold.mp3\r\nX: y").is_err());
        assert!(check_music_path(&"a".repeat(MAX_MUSIC_PATH_CHARS + 1)).is_err());
        assert_eq!(check_music_path(&"a".repeat(MAX_MUSIC_PATH_CHARS)), Ok(()));
    }

    #[test]
    fn long_values_are_cut_in_the_message() {
        let long = "x:".repeat(200);
        assert!(shown(&long).chars().count() <= 81);
        assert_eq!(shown("a\u{202e}b"), "a\\u{202e}b");
    }
}
