//! Names the phone shows but did not write: a caller's SIP display name and number, a CRM
//! record's name, a directory contact from the configuration. Any of them may carry control
//! characters, bidirectional overrides that turn the widget's own text around them backwards
//! ("Ana\u{202E}" makes " (1002)" read "(2001) "), invisible characters, or 60 KB of text.
//!
//! [`clean`] keeps what a person can read; [`DisplayName`] is a cleaned name capped for the
//! screen with its whole text for a tooltip; [`isolate`] wraps a name in FIRST STRONG ISOLATE …
//! POP DIRECTIONAL ISOLATE for plain-text places (tab title, host labels, notifications) where
//! the page cannot use `<bdi>`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The most characters of a name shown in the page and in labels.
pub const MAX_SHOWN_CHARS: usize = 64;

/// The most characters kept of a name at all (the tooltip's full value).
pub const MAX_KEPT_CHARS: usize = 1024;

/// U+2068 FIRST STRONG ISOLATE: the name's own direction, isolated from the text around it.
pub const FSI: char = '\u{2068}';
/// U+2069 POP DIRECTIONAL ISOLATE: ends what [`FSI`] began.
pub const PDI: char = '\u{2069}';

/// What to do with one character of an untrusted name.
enum Keep {
    /// Keep it.
    Char,
    /// Replace it with a space (it separated words: tab, line break).
    Space,
    /// Leave it out.
    Drop,
}

fn classify(c: char) -> Keep {
    match c {
        '\t' | '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => Keep::Space,
        // Other C0 and C1 controls, DEL.
        '\0'..='\u{1F}' | '\u{7F}'..='\u{9F}' => Keep::Drop,
        // Bidi marks, embeddings, overrides and isolates: the name must not steer the text
        // around it (isolation is ours to add).
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => Keep::Drop,
        // Invisible characters that hide or split text: zero-width space, word joiner, invisible
        // operators, deprecated format controls, BOM, interlinear annotations, soft hyphen,
        // Mongolian vowel separator, Hangul fillers, tag characters (invisible ASCII).
        '\u{00AD}' | '\u{180E}' | '\u{200B}' | '\u{2060}'..='\u{2064}' | '\u{206A}'..='\u{206F}' | '\u{FEFF}' => {
            Keep::Drop
        }
        '\u{FFF9}'..='\u{FFFB}' | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{E0000}'..='\u{E007F}' => {
            Keep::Drop
        }
        // Unassigned-by-design code points that render as nothing or as boxes.
        '\u{FFFE}' | '\u{FFFF}' => Keep::Drop,
        // Other space characters read as one plain space.
        c if c.is_whitespace() => Keep::Space,
        // ZWJ and ZWNJ stay: emoji sequences and Persian or Indic spelling need them.
        _ => Keep::Char,
    }
}

/// The readable text of an untrusted name: controls, bidi controls and harmful invisible
/// characters removed, line breaks and tabs as spaces, runs of spaces as one, trimmed, and at
/// most [`MAX_KEPT_CHARS`] characters.
pub fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len().min(MAX_KEPT_CHARS * 4));
    let mut kept = 0;
    let mut pending_space = false;
    for c in raw.chars() {
        match classify(c) {
            Keep::Drop => {}
            Keep::Space => pending_space = !out.is_empty(),
            Keep::Char => {
                if kept >= MAX_KEPT_CHARS {
                    break;
                }
                if pending_space {
                    out.push(' ');
                    kept += 1;
                    pending_space = false;
                    if kept >= MAX_KEPT_CHARS {
                        break;
                    }
                }
                out.push(c);
                kept += 1;
            }
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// `text` (already clean) cut to `max` characters with an ellipsis, never ending on a joiner or
/// a space; `None` when it fits.
fn shorten(text: &str, max: usize) -> Option<String> {
    if text.chars().count() <= max {
        return None;
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let cut = cut.trim_end_matches(['\u{200C}', '\u{200D}', ' ']);
    Some(format!("{cut}…"))
}

/// Wraps `text` in FSI … PDI, for plain text that mixes a name with the widget's own words
/// (`Ringing: ⟨FSI⟩name⟨PDI⟩ (⟨FSI⟩1002⟨PDI⟩)`).
pub fn isolate(text: &str) -> String {
    format!("{FSI}{text}{PDI}")
}

/// A cleaned name, as shown (capped) and whole (for the tooltip). Serialized as the cleaned
/// text and cleaned again when read back: a snapshot from elsewhere is input too.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub struct DisplayName {
    full: String,
    shown: Option<String>,
}

impl DisplayName {
    /// Cleans `raw` and caps it at [`MAX_SHOWN_CHARS`].
    pub fn new(raw: &str) -> Self {
        Self::with_limit(raw, MAX_SHOWN_CHARS)
    }

    /// Cleans `raw` and caps it at `max` characters (a text made of several names).
    pub fn with_limit(raw: &str, max: usize) -> Self {
        let full = clean(raw);
        let shown = shorten(&full, max.max(1));
        DisplayName { full, shown }
    }

    /// What the page shows: at most [`MAX_SHOWN_CHARS`] characters, with `…` when cut.
    pub fn shown(&self) -> &str {
        self.shown.as_deref().unwrap_or(&self.full)
    }

    /// The whole cleaned name, for a `title` tooltip.
    pub fn full(&self) -> &str {
        &self.full
    }

    /// Whether [`shown`](Self::shown) is cut short.
    pub fn is_shortened(&self) -> bool {
        self.shown.is_some()
    }

    /// Whether nothing readable is left.
    pub fn is_empty(&self) -> bool {
        self.full.is_empty()
    }

    /// The shown text between FSI and PDI, for titles and labels.
    pub fn isolated(&self) -> String {
        isolate(self.shown())
    }
}

impl From<DisplayName> for String {
    fn from(name: DisplayName) -> String {
        name.full
    }
}

impl From<String> for DisplayName {
    fn from(raw: String) -> DisplayName {
        DisplayName::new(&raw)
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.shown())
    }
}

/// The other party of a call as the phone shows it: a name when there is one, and the number
/// or address, each cleaned and capped. The widget's own words (` (`, `)`) go between them.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Party {
    /// The display name, if a readable one was given.
    pub name: Option<DisplayName>,
    /// The number or address.
    pub number: DisplayName,
}

impl Party {
    /// A party from an untrusted name and number.
    pub fn new(name: Option<&str>, number: &str) -> Self {
        let name = name.map(DisplayName::new).filter(|n| !n.is_empty());
        Party { name, number: DisplayName::new(number) }
    }

    /// `⟨FSI⟩Ana⟨PDI⟩ (⟨FSI⟩1002⟨PDI⟩)`: each untrusted part isolated, for plain-text titles and labels.
    pub fn isolated(&self) -> String {
        match &self.name {
            Some(name) => format!("{} ({})", name.isolated(), self.number.isolated()),
            None => self.number.isolated(),
        }
    }

    /// The whole name and number, for a tooltip.
    pub fn full(&self) -> String {
        match &self.name {
            Some(name) => format!("{} ({})", name.full(), self.number.full()),
            None => self.number.full().to_owned(),
        }
    }

    /// Whether any part is cut short in [`Display`](fmt::Display).
    pub fn is_shortened(&self) -> bool {
        self.number.is_shortened() || self.name.as_ref().is_some_and(DisplayName::is_shortened)
    }
}

/// `Ana (1002)`, each part capped, without isolation marks.
impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name} ({})", self.number),
            None => write!(f, "{}", self.number),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_steering_are_removed() {
        assert_eq!(clean("Ana\u{202E}"), "Ana");
        assert_eq!(clean("\u{202D}Evil\u{202C} \u{2066}x\u{2069}\u{200F}"), "Evil x");
        assert_eq!(clean("A\u{0}n\u{7}a\u{1B}[31m"), "Ana[31m");
        assert_eq!(clean("A\u{85}na\u{9B}"), "A na");
        assert_eq!(clean("Bob\r\nX-Injected: yes"), "Bob X-Injected: yes");
        assert_eq!(clean("  Ana \t\t Díaz  "), "Ana Díaz");
        assert_eq!(clean("Pay\u{200B}Pal\u{FEFF}\u{2060}\u{00AD}"), "PayPal");
        assert_eq!(clean("ad\u{E0061}\u{E0062}min"), "admin", "tag characters hide text");
        assert_eq!(clean("\u{202E}\u{200B}\u{0}"), "");
    }

    #[test]
    fn readable_text_of_any_script_is_kept() {
        for name in ["Ana Díaz", "שלום עליכם", "محمد", "王小明", "👩‍💻 Dev", "می‌خواهم", "Zoë O'Brien <vip>"]
        {
            assert_eq!(clean(name), name);
        }
    }

    #[test]
    fn names_are_capped_with_the_whole_text_kept_for_the_tooltip() {
        let long = "A".repeat(70);
        let name = DisplayName::new(&long);
        assert!(name.is_shortened());
        assert_eq!(name.shown().chars().count(), MAX_SHOWN_CHARS);
        assert!(name.shown().ends_with('…'));
        assert_eq!(name.full(), long);
        let composite = DisplayName::with_limit(&"C".repeat(140), 131);
        assert_eq!(composite.shown().chars().count(), 131);
        assert_eq!(DisplayName::with_limit("abc", 0).shown(), "…", "even a zero limit shows that something was cut");
        let exact = "B".repeat(MAX_SHOWN_CHARS);
        assert_eq!(DisplayName::new(&exact).shown(), exact);
        assert!(!DisplayName::new(&exact).is_shortened());
        // 60 KB of name keeps at most MAX_KEPT_CHARS characters even for the tooltip.
        let huge = DisplayName::new(&"é".repeat(60_000));
        assert_eq!(huge.full().chars().count(), MAX_KEPT_CHARS);
        assert_eq!(huge.shown().chars().count(), MAX_SHOWN_CHARS);
    }

    #[test]
    fn a_cut_never_ends_on_a_joiner_or_a_space() {
        let text = format!("{}\u{200D}xyz", "a".repeat(MAX_SHOWN_CHARS - 2));
        let shown = DisplayName::new(&text).shown().to_owned();
        assert!(!shown.contains('\u{200D}'), "{shown:?}");
        let spaced = format!("{} tail of the name", "a".repeat(MAX_SHOWN_CHARS - 2));
        assert!(DisplayName::new(&spaced).shown().ends_with("a…"));
    }

    #[test]
    fn parties_isolate_each_untrusted_part() {
        let party = Party::new(Some("Ana\u{202E}<b>x</b>"), "1002");
        assert_eq!(party.to_string(), "Ana<b>x</b> (1002)");
        assert_eq!(party.isolated(), "\u{2068}Ana<b>x</b>\u{2069} (\u{2068}1002\u{2069})");
        assert_eq!(Party::new(None, "1002").isolated(), "\u{2068}1002\u{2069}");
        assert_eq!(Party::new(Some(" \u{202E} "), "1002"), Party::new(None, "1002"), "an empty name is no name");
        let long = Party::new(Some(&"N".repeat(100)), "1002");
        assert!(long.is_shortened());
        assert_eq!(long.full(), format!("{} (1002)", "N".repeat(100)));
        assert_eq!(isolate("x"), "\u{2068}x\u{2069}");
    }

    #[test]
    fn cleaning_is_idempotent_and_leaves_no_steering_character() {
        let nasty = "\u{202E}a\u{2067}b\u{0}c\u{9F}d\u{200B}e\n\u{2028}f\u{E0041}";
        let once = clean(nasty);
        assert_eq!(clean(&once), once);
        assert_eq!(once, "abcde f");
        assert!(once.chars().all(|c| c == ' ' || matches!(classify(c), Keep::Char)), "{once:?}");
    }
}
