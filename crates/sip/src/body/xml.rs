//! A minimal, non-validating XML pull reader, enough for PIDF and dialog-info documents, and the
//! escaping needed to write such documents.
//!
//! The reader checks well-formedness where a mistake would change the meaning (tags balance,
//! attributes are quoted and unique, references are valid) and nothing more: namespaces are not
//! resolved, so callers match on local names, which is all the bodies a softphone reads need.
//! Only UTF-8 is read; every SIP implementation sends these bodies in UTF-8.
//!
//! Document type declarations are refused rather than skipped: no SIP body carries one, and
//! without them no entity other than the five predefined ones can exist, which rules out entity
//! expansion attacks.

use std::borrow::Cow;

use thiserror::Error;

/// Larger documents are refused before anything is read.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;
/// Elements nested deeper than this are refused.
pub const MAX_DEPTH: usize = 64;
/// Elements with more attributes than this are refused (duplicate detection is quadratic).
pub const MAX_ATTRIBUTES: usize = 64;

/// `&#x0010FFFF;` and the like: a longer reference is not one.
const MAX_REFERENCE_LEN: usize = 32;

/// Why bytes are not a well-formed document, and where.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{kind} (at byte {offset})")]
pub struct XmlError {
    /// Byte offset in the input at which the problem was found.
    pub offset: usize,
    /// What is wrong.
    pub kind: XmlErrorKind,
}

/// What is wrong with a document.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum XmlErrorKind {
    /// Over [`MAX_DOCUMENT_BYTES`].
    #[error("the document is larger than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge,
    /// Not UTF-8.
    #[error("the document is not UTF-8")]
    NotUtf8,
    /// Nothing but whitespace, comments and processing instructions.
    #[error("the document has no root element")]
    NoRoot,
    /// The input ends inside a tag, comment, CDATA section or processing instruction.
    #[error("the document ends inside {0}")]
    Unterminated(&'static str),
    /// The input ends before an element is closed.
    #[error("the document ends before <{0}> is closed")]
    Unclosed(String),
    /// An end tag names another element than the one open.
    #[error("</{found}> closes <{expected}>")]
    Mismatched {
        /// The element that is open.
        expected: String,
        /// The name in the end tag.
        found: String,
    },
    /// An end tag with no element open.
    #[error("</{0}> has no start tag")]
    UnexpectedEndTag(String),
    /// Over [`MAX_DEPTH`] levels of elements.
    #[error("elements are nested more than {MAX_DEPTH} levels deep")]
    TooDeep,
    /// Over [`MAX_ATTRIBUTES`] attributes on one element.
    #[error("an element has more than {MAX_ATTRIBUTES} attributes")]
    TooManyAttributes,
    /// A tag or attribute name is missing or starts with a character names cannot start with.
    #[error("a tag or attribute name is missing or invalid")]
    InvalidName,
    /// The same attribute twice on one element.
    #[error("the attribute {0} appears twice")]
    DuplicateAttribute(String),
    /// `&name;` for a name other than lt, gt, amp, apos and quot.
    #[error("&{0}; is not a predefined entity (only lt, gt, amp, apos and quot are)")]
    UnknownEntity(String),
    /// `&#…;` that is not a number or names a character XML does not allow.
    #[error("&{0}; does not refer to a character XML allows")]
    InvalidCharacterReference(String),
    /// A `&` that does not start a reference ending in `;` (write `&amp;`).
    #[error("a & does not start a reference ending in ; (a literal & must be written &amp;)")]
    BareAmpersand,
    /// `<!DOCTYPE …>`.
    #[error("document type declarations are not supported")]
    Doctype,
    /// Text or CDATA before or after the root element.
    #[error("text outside the root element")]
    TextOutsideRoot,
    /// A second element at the top level.
    #[error("the document has more than one root element")]
    SecondRoot,
    /// Something else does not follow the grammar; the text says what.
    #[error("{0}")]
    Syntax(&'static str),
}

impl XmlError {
    fn new(offset: usize, kind: XmlErrorKind) -> Self {
        XmlError { offset, kind }
    }
}

/// A qualified element or attribute name, `prefix:local` or `local`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Name<'a>(&'a str);

impl<'a> Name<'a> {
    /// The name as written.
    pub fn as_str(self) -> &'a str {
        self.0
    }

    /// The namespace prefix, if there is one.
    pub fn prefix(self) -> Option<&'a str> {
        self.0.split_once(':').map(|(prefix, _)| prefix)
    }

    /// The name without its prefix.
    pub fn local(self) -> &'a str {
        self.0.split_once(':').map_or(self.0, |(_, local)| local)
    }
}

/// One attribute, its value with references decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// Its name.
    pub name: Name<'a>,
    /// Its value.
    pub value: Cow<'a, str>,
}

/// A start tag (or a self-closing tag, which the reader follows with an [`Event::End`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element<'a> {
    /// Its name.
    pub name: Name<'a>,
    /// Its attributes in document order, namespace declarations included.
    pub attributes: Vec<Attribute<'a>>,
}

impl<'a> Element<'a> {
    /// The name without its prefix.
    pub fn local_name(&self) -> &'a str {
        self.name.local()
    }

    /// The value of the first attribute whose local name is `local`; namespace declarations
    /// never match.
    pub fn attribute(&self, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .filter(|a| a.name.as_str() != "xmlns" && a.name.prefix() != Some("xmlns"))
            .find(|a| a.name.local() == local)
            .map(|a| a.value.as_ref())
    }
}

/// What the reader found next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A start tag.
    Start(Element<'a>),
    /// An end tag, or the end of a self-closing tag.
    End(Name<'a>),
    /// Text or a CDATA section inside the root element, references decoded.
    Text(Cow<'a, str>),
}

/// Reads a document one event at a time; comments, processing instructions and the XML
/// declaration are skipped.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    input: &'a str,
    pos: usize,
    open: Vec<Name<'a>>,
    // The element on top of `open` came from `<name/>`: its End is due before anything is read.
    self_closing: bool,
    root_seen: bool,
}

impl<'a> Reader<'a> {
    /// A reader of `bytes`, which must be UTF-8 (a byte order mark is skipped) and at most
    /// [`MAX_DOCUMENT_BYTES`] long.
    pub fn new(bytes: &'a [u8]) -> Result<Self, XmlError> {
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(XmlError::new(MAX_DOCUMENT_BYTES, XmlErrorKind::TooLarge));
        }
        let input = std::str::from_utf8(bytes).map_err(|e| XmlError::new(e.valid_up_to(), XmlErrorKind::NotUtf8))?;
        let pos = if input.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
        Ok(Reader { input, pos, open: Vec::new(), self_closing: false, root_seen: false })
    }

    /// How many elements are open: 1 right after the root's start tag, 0 after its end.
    pub fn depth(&self) -> usize {
        self.open.len()
    }

    /// The byte offset of the next thing to read.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// The next event, or `None` once the root element has closed and only whitespace,
    /// comments and processing instructions follow.
    pub fn next_event(&mut self) -> Result<Option<Event<'a>>, XmlError> {
        if self.self_closing {
            self.self_closing = false;
            if let Some(name) = self.open.pop() {
                return Ok(Some(Event::End(name)));
            }
        }
        loop {
            let rest = self.rest();
            if rest.is_empty() {
                return self.end_of_input();
            }
            if !rest.starts_with('<') {
                let start = self.pos;
                let len = rest.find('<').unwrap_or(rest.len());
                self.pos += len;
                let raw = &rest[..len];
                if !self.open.is_empty() {
                    return decode(raw, start, false).map(|text| Some(Event::Text(text)));
                }
                if raw.bytes().all(is_space) {
                    continue;
                }
                return Err(XmlError::new(start, XmlErrorKind::TextOutsideRoot));
            }
            if rest.starts_with("<!--") {
                self.skip_past("<!--", "-->", "a comment")?;
            } else if rest.starts_with("<?") {
                self.skip_past("<?", "?>", "a processing instruction")?;
            } else if rest.starts_with("<![CDATA[") {
                return self.cdata().map(Some);
            } else if rest.starts_with("<!DOCTYPE") {
                return Err(XmlError::new(self.pos, XmlErrorKind::Doctype));
            } else if rest.starts_with("<!") {
                return Err(self.syntax(self.pos, "<! starts neither a comment nor a CDATA section"));
            } else if rest.starts_with("</") {
                return self.end_tag().map(Some);
            } else {
                return self.start_tag().map(Some);
            }
        }
    }

    /// Reads up to the root element's start tag and returns it; call it before anything else.
    pub fn root(&mut self) -> Result<Element<'a>, XmlError> {
        // Before the root, next_event either skips, fails, or returns the root's start tag.
        match self.next_event()? {
            Some(Event::Start(root)) => Ok(root),
            _ => Err(XmlError::new(self.pos, XmlErrorKind::NoRoot)),
        }
    }

    /// The next child element of the element open at `parent_depth`, skipping text and the
    /// content of children the caller did not read; `None` once that element has closed.
    pub fn next_child(&mut self, parent_depth: usize) -> Result<Option<Element<'a>>, XmlError> {
        while let Some(event) = self.next_event()? {
            match event {
                Event::Start(element) if self.depth() == parent_depth + 1 => return Ok(Some(element)),
                Event::End(_) if self.depth() < parent_depth => return Ok(None),
                _ => {}
            }
        }
        Ok(None)
    }

    /// The text inside the element whose start tag was just read, up to its end tag; the text
    /// of nested elements is included and their tags dropped.
    pub fn read_text(&mut self) -> Result<String, XmlError> {
        let depth = self.depth();
        let mut text = String::new();
        while let Some(event) = self.next_event()? {
            match event {
                Event::Text(chunk) => text.push_str(&chunk),
                Event::End(_) if self.depth() < depth => break,
                _ => {}
            }
        }
        Ok(text)
    }

    /// Reads to the end of the document, so that anything malformed after the part a caller
    /// used is still reported.
    pub fn finish(mut self) -> Result<(), XmlError> {
        while self.next_event()?.is_some() {}
        Ok(())
    }

    fn rest(&self) -> &'a str {
        self.input.get(self.pos..).unwrap_or_default()
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.input.as_bytes().get(at).copied()
    }

    fn syntax(&self, at: usize, what: &'static str) -> XmlError {
        let kind =
            if at >= self.input.len() { XmlErrorKind::Unterminated("a tag") } else { XmlErrorKind::Syntax(what) };
        XmlError::new(at, kind)
    }

    fn end_of_input(&self) -> Result<Option<Event<'a>>, XmlError> {
        if let Some(open) = self.open.last() {
            return Err(XmlError::new(self.pos, XmlErrorKind::Unclosed(open.as_str().to_owned())));
        }
        if !self.root_seen {
            return Err(XmlError::new(self.pos, XmlErrorKind::NoRoot));
        }
        Ok(None)
    }

    fn skip_past(&mut self, opener: &str, terminator: &str, what: &'static str) -> Result<(), XmlError> {
        let body = self.rest().get(opener.len()..).unwrap_or_default();
        let end = body.find(terminator).ok_or(XmlError::new(self.pos, XmlErrorKind::Unterminated(what)))?;
        self.pos += opener.len() + end + terminator.len();
        Ok(())
    }

    fn cdata(&mut self) -> Result<Event<'a>, XmlError> {
        const OPENER: &str = "<![CDATA[";
        let start = self.pos;
        let body = self.rest().get(OPENER.len()..).unwrap_or_default();
        let end = body.find("]]>").ok_or(XmlError::new(start, XmlErrorKind::Unterminated("a CDATA section")))?;
        if self.open.is_empty() {
            return Err(XmlError::new(start, XmlErrorKind::TextOutsideRoot));
        }
        self.pos += OPENER.len() + end + "]]>".len();
        Ok(Event::Text(Cow::Borrowed(&body[..end])))
    }

    /// The name starting at `at`, and the offset just after it.
    fn name_at(&self, at: usize) -> Result<(Name<'a>, usize), XmlError> {
        let bytes = self.input.as_bytes();
        match bytes.get(at) {
            None => return Err(XmlError::new(at, XmlErrorKind::Unterminated("a tag"))),
            Some(&b) if !is_name_start(b) => return Err(XmlError::new(at, XmlErrorKind::InvalidName)),
            Some(_) => {}
        }
        let len = bytes[at..].iter().position(|&b| !is_name_byte(b)).unwrap_or(bytes.len() - at);
        // Names end at an ASCII byte or at the end, so both ends are character boundaries.
        let name = self.input.get(at..at + len).ok_or(XmlError::new(at, XmlErrorKind::InvalidName))?;
        Ok((Name(name), at + len))
    }

    fn skip_space(&self, mut at: usize) -> usize {
        while self.byte(at).is_some_and(is_space) {
            at += 1;
        }
        at
    }

    fn end_tag(&mut self) -> Result<Event<'a>, XmlError> {
        let start = self.pos;
        let (name, after) = self.name_at(start + "</".len())?;
        let close = self.skip_space(after);
        if self.byte(close) != Some(b'>') {
            return Err(self.syntax(close, "an end tag must end with >"));
        }
        match self.open.last() {
            Some(open) if *open == name => {
                self.open.pop();
                self.pos = close + 1;
                Ok(Event::End(name))
            }
            Some(open) => Err(XmlError::new(
                start,
                XmlErrorKind::Mismatched { expected: open.as_str().to_owned(), found: name.as_str().to_owned() },
            )),
            None => Err(XmlError::new(start, XmlErrorKind::UnexpectedEndTag(name.as_str().to_owned()))),
        }
    }

    fn start_tag(&mut self) -> Result<Event<'a>, XmlError> {
        let start = self.pos;
        if self.open.is_empty() && self.root_seen {
            return Err(XmlError::new(start, XmlErrorKind::SecondRoot));
        }
        if self.open.len() >= MAX_DEPTH {
            return Err(XmlError::new(start, XmlErrorKind::TooDeep));
        }
        let (name, mut at) = self.name_at(start + 1)?;
        let mut attributes: Vec<Attribute<'a>> = Vec::new();
        let self_closing = loop {
            let next = self.skip_space(at);
            match self.byte(next) {
                None => return Err(XmlError::new(start, XmlErrorKind::Unterminated("a tag"))),
                Some(b'>') => {
                    at = next + 1;
                    break false;
                }
                Some(b'/') => {
                    if self.byte(next + 1) != Some(b'>') {
                        return Err(self.syntax(next + 1, "/ in a tag must be followed by >"));
                    }
                    at = next + 2;
                    break true;
                }
                Some(_) if next == at => {
                    return Err(self.syntax(at, "attributes must be separated by whitespace"));
                }
                Some(_) => {
                    let (attribute, after) = self.attribute_at(next)?;
                    if attributes.len() >= MAX_ATTRIBUTES {
                        return Err(XmlError::new(next, XmlErrorKind::TooManyAttributes));
                    }
                    if attributes.iter().any(|a| a.name == attribute.name) {
                        let duplicate = attribute.name.as_str().to_owned();
                        return Err(XmlError::new(next, XmlErrorKind::DuplicateAttribute(duplicate)));
                    }
                    attributes.push(attribute);
                    at = after;
                }
            }
        };
        self.open.push(name);
        self.root_seen = true;
        self.self_closing = self_closing;
        self.pos = at;
        Ok(Event::Start(Element { name, attributes }))
    }

    /// `name = "value"` starting at `at`, and the offset just after the closing quote.
    fn attribute_at(&self, at: usize) -> Result<(Attribute<'a>, usize), XmlError> {
        let (name, after_name) = self.name_at(at)?;
        let equals = self.skip_space(after_name);
        if self.byte(equals) != Some(b'=') {
            return Err(self.syntax(equals, "an attribute name must be followed by ="));
        }
        let quote_at = self.skip_space(equals + 1);
        let quote = match self.byte(quote_at) {
            Some(quote @ (b'"' | b'\'')) => quote,
            _ => return Err(self.syntax(quote_at, "an attribute value must be in single or double quotes")),
        };
        let value_start = quote_at + 1;
        let raw = self.input.get(value_start..).unwrap_or_default();
        let len = raw.bytes().position(|b| b == quote).ok_or(XmlError::new(at, XmlErrorKind::Unterminated("a tag")))?;
        let raw = &raw[..len];
        if let Some(lt) = raw.find('<') {
            return Err(XmlError::new(
                value_start + lt,
                XmlErrorKind::Syntax("< is not allowed in an attribute value"),
            ));
        }
        let value = decode(raw, value_start, true)?;
        Ok((Attribute { name, value }, value_start + len + 1))
    }
}

/// XML's whitespace: space, tab, CR, LF.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Bytes a name may start with; every byte of a non-ASCII character is accepted, which keeps
/// multi-byte characters whole.
fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':' || b >= 0x80
}

fn is_name_byte(b: u8) -> bool {
    is_name_start(b) || b.is_ascii_digit() || b == b'-' || b == b'.'
}

/// Characters XML 1.0 allows anywhere (its `Char` production).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Decodes references and normalizes line ends (and, in attribute values, whitespace) as
/// XML 1.0 §2.11 and §3.3.3 require. `offset` is where `raw` starts in the document.
fn decode(raw: &str, offset: usize, attribute: bool) -> Result<Cow<'_, str>, XmlError> {
    let special = |b: u8| b == b'&' || b == b'\r' || (attribute && (b == b'\t' || b == b'\n'));
    if !raw.bytes().any(special) {
        return Ok(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let (mut rest, mut at) = (raw, offset);
    while let Some(index) = rest.bytes().position(special) {
        out.push_str(&rest[..index]);
        let after = &rest[index + 1..];
        let used = match rest.as_bytes()[index] {
            b'&' => {
                let semicolon = after
                    .bytes()
                    .take(MAX_REFERENCE_LEN)
                    .position(|b| b == b';')
                    .ok_or(XmlError::new(at + index, XmlErrorKind::BareAmpersand))?;
                out.push(resolve(&after[..semicolon]).map_err(|kind| XmlError::new(at + index, kind))?);
                semicolon + 2
            }
            b'\r' => {
                out.push(if attribute { ' ' } else { '\n' });
                if after.starts_with('\n') { 2 } else { 1 }
            }
            _ => {
                out.push(' ');
                1
            }
        };
        rest = &rest[index + used..];
        at += index + used;
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

/// The character a reference (`lt`, `#60`, `#x3C`) stands for.
fn resolve(reference: &str) -> Result<char, XmlErrorKind> {
    match reference {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        _ => {
            let Some(number) = reference.strip_prefix('#') else {
                return Err(XmlErrorKind::UnknownEntity(reference.to_owned()));
            };
            let (digits, radix) = match number.strip_prefix('x') {
                Some(hex) => (hex, 16),
                None => (number, 10),
            };
            // from_str_radix alone would accept a sign.
            let only_digits = !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix));
            only_digits
                .then(|| u32::from_str_radix(digits, radix).ok())
                .flatten()
                .and_then(char::from_u32)
                .filter(|c| is_xml_char(*c))
                .ok_or_else(|| XmlErrorKind::InvalidCharacterReference(reference.to_owned()))
        }
    }
}

/// `text` made safe for element content: `&`, `<`, `>` and carriage returns (which a reader
/// would turn into line feeds) become references; characters XML cannot carry at all, even as
/// references, are dropped.
pub fn escape_text(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// `value` made safe inside a quoted attribute value (either quote): like [`escape_text`], and
/// quotes, tabs and line feeds become references too, since readers turn raw whitespace in
/// attribute values into spaces.
pub fn escape_attribute(value: &str) -> Cow<'_, str> {
    escape(value, true)
}

fn escape(text: &str, attribute: bool) -> Cow<'_, str> {
    let needs = |c: char| {
        matches!(c, '&' | '<' | '>' | '\r') || !is_xml_char(c) || (attribute && matches!(c, '"' | '\'' | '\t' | '\n'))
    };
    if !text.chars().any(needs) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            c if !is_xml_char(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event of a document, as short strings: `<name a=v>`, `</name>`, `"text"`.
    fn events(document: &str) -> Result<Vec<String>, XmlError> {
        let mut reader = Reader::new(document.as_bytes())?;
        let mut out = Vec::new();
        while let Some(event) = reader.next_event()? {
            out.push(match event {
                Event::Start(e) => {
                    let attributes: String =
                        e.attributes.iter().map(|a| format!(" {}={}", a.name.as_str(), a.value)).collect();
                    format!("<{}{}>", e.name.as_str(), attributes)
                }
                Event::End(name) => format!("</{}>", name.as_str()),
                Event::Text(text) => format!("{text:?}"),
            });
        }
        Ok(out)
    }

    fn error_kind(document: &str) -> XmlErrorKind {
        match events(document) {
            Ok(events) => panic!("{document:?} was accepted: {events:?}"),
            Err(error) => error.kind,
        }
    }

    #[test]
    fn elements_attributes_and_text() {
        let document = "\u{feff}<?xml version='1.0' encoding=\"UTF-8\"?>\n<!-- a comment -->\n\
            <a:root xmlns:a=\"urn:x\" a:id = 'one'>text<b/><c x=\"1\"\ty='2'\n>more</c></a:root>\n<?pi?>\n";
        assert_eq!(
            events(document).unwrap(),
            [
                "<a:root xmlns:a=urn:x a:id=one>",
                "\"text\"",
                "<b>",
                "</b>",
                "<c x=1 y=2>",
                "\"more\"",
                "</c>",
                "</a:root>"
            ]
        );
    }

    #[test]
    fn names_split_at_the_prefix() {
        let name = Name("dm:person");
        assert_eq!((name.prefix(), name.local(), name.as_str()), (Some("dm"), "person", "dm:person"));
        assert_eq!((Name("tuple").prefix(), Name("tuple").local()), (None, "tuple"));
    }

    #[test]
    fn attribute_lookup_ignores_namespace_declarations() {
        let mut reader =
            Reader::new(br#"<p xmlns:entity="urn:x" xmlns="urn:y" xml:lang="en" entity="sip:a@b"/>"#).unwrap();
        let root = reader.root().unwrap();
        assert_eq!(root.attribute("entity"), Some("sip:a@b"));
        assert_eq!(root.attribute("lang"), Some("en"));
        assert_eq!(root.attribute("xmlns"), None);
        assert_eq!(root.local_name(), "p");
    }

    #[test]
    fn references_are_decoded() {
        let document = "<a t='&lt;&#65;&#x42;&quot;&apos;&amp;'>&gt;&#x1F600; &#233;t&#xE9;</a>";
        assert_eq!(events(document).unwrap(), ["<a t=<AB\"'&>", "\">😀 été\"", "</a>"]);
    }

    #[test]
    fn cdata_is_text_as_written() {
        assert_eq!(events("<a><![CDATA[<b>&amp;]]]]></a>").unwrap(), ["<a>", "\"<b>&amp;]]\"", "</a>"]);
    }

    #[test]
    fn line_ends_and_attribute_whitespace_are_normalized() {
        assert_eq!(events("<a v='x\r\ny\tz&#10;'>1\r\n2\r3</a>").unwrap(), ["<a v=x y z\n>", "\"1\\n2\\n3\"", "</a>"]);
    }

    #[test]
    fn next_child_skips_what_the_caller_does_not_read() {
        let mut reader = Reader::new(b"<r><a><deep><deeper/></deep></a>text<b>t</b><c/></r>").unwrap();
        let root = reader.root().unwrap();
        let depth = reader.depth();
        assert_eq!(root.local_name(), "r");
        let mut names = Vec::new();
        while let Some(child) = reader.next_child(depth).unwrap() {
            if child.local_name() == "b" {
                assert_eq!(reader.read_text().unwrap(), "t");
            }
            names.push(child.local_name());
        }
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(reader.depth(), 0);
        reader.finish().unwrap();
    }

    #[test]
    fn read_text_joins_nested_text() {
        let mut reader = Reader::new(b"<n> a <b>b</b> <![CDATA[c]]> </n>").unwrap();
        reader.root().unwrap();
        assert_eq!(reader.read_text().unwrap(), " a b c ");
    }

    #[test]
    fn malformed_documents_are_refused_with_an_offset() {
        let cases: &[(&str, XmlErrorKind, usize)] = &[
            ("", XmlErrorKind::NoRoot, 0),
            ("  <!-- only -->", XmlErrorKind::NoRoot, 15),
            ("<a>", XmlErrorKind::Unclosed("a".into()), 3),
            ("<a", XmlErrorKind::Unterminated("a tag"), 0),
            ("<a b='1", XmlErrorKind::Unterminated("a tag"), 3),
            ("<a><!-- x", XmlErrorKind::Unterminated("a comment"), 3),
            ("<a><![CDATA[x", XmlErrorKind::Unterminated("a CDATA section"), 3),
            ("<?xml", XmlErrorKind::Unterminated("a processing instruction"), 0),
            ("<a></b>", XmlErrorKind::Mismatched { expected: "a".into(), found: "b".into() }, 3),
            ("</a>", XmlErrorKind::UnexpectedEndTag("a".into()), 0),
            ("<a/><b/>", XmlErrorKind::SecondRoot, 4),
            ("x<a/>", XmlErrorKind::TextOutsideRoot, 0),
            ("<a/>x", XmlErrorKind::TextOutsideRoot, 4),
            ("<a/><![CDATA[x]]>", XmlErrorKind::TextOutsideRoot, 4),
            ("<1a/>", XmlErrorKind::InvalidName, 1),
            ("< a/>", XmlErrorKind::InvalidName, 1),
            ("<a b='1' b='2'/>", XmlErrorKind::DuplicateAttribute("b".into()), 9),
            ("<a b='1'c='2'/>", XmlErrorKind::Syntax("attributes must be separated by whitespace"), 8),
            ("<a b=1/>", XmlErrorKind::Syntax("an attribute value must be in single or double quotes"), 5),
            ("<a b/>", XmlErrorKind::Syntax("an attribute name must be followed by ="), 4),
            ("<a b='<'/>", XmlErrorKind::Syntax("< is not allowed in an attribute value"), 6),
            ("<a/ >", XmlErrorKind::Syntax("/ in a tag must be followed by >"), 3),
            ("<a>&nbsp;</a>", XmlErrorKind::UnknownEntity("nbsp".into()), 3),
            ("<a>AT&T</a>", XmlErrorKind::BareAmpersand, 5),
            ("<a>&#x0;</a>", XmlErrorKind::InvalidCharacterReference("#x0".into()), 3),
            ("<a>&#0;</a>", XmlErrorKind::InvalidCharacterReference("#0".into()), 3),
            ("<a>&#xD800;</a>", XmlErrorKind::InvalidCharacterReference("#xD800".into()), 3),
            ("<a>&#x110000;</a>", XmlErrorKind::InvalidCharacterReference("#x110000".into()), 3),
            (
                "<a>&#99999999999999999999;</a>",
                XmlErrorKind::InvalidCharacterReference("#99999999999999999999".into()),
                3,
            ),
            ("<a>&#-1;</a>", XmlErrorKind::InvalidCharacterReference("#-1".into()), 3),
            ("<a>&#+65;</a>", XmlErrorKind::InvalidCharacterReference("#+65".into()), 3),
            ("<a>&#;</a>", XmlErrorKind::InvalidCharacterReference("#".into()), 3),
            ("<a>&#X41;</a>", XmlErrorKind::InvalidCharacterReference("#X41".into()), 3),
            ("<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>", XmlErrorKind::Doctype, 0),
            ("<a><!ELEMENT a ANY></a>", XmlErrorKind::Syntax("<! starts neither a comment nor a CDATA section"), 3),
        ];
        for (document, kind, offset) in cases {
            let error = events(document).expect_err(document);
            assert_eq!((&error.kind, error.offset), (kind, *offset), "{document:?}");
        }
    }

    #[test]
    fn a_long_run_of_digits_is_not_a_reference() {
        let document = format!("<a>&#{};</a>", "9".repeat(100));
        assert_eq!(error_kind(&document), XmlErrorKind::BareAmpersand);
    }

    #[test]
    fn depth_is_limited() {
        let allowed = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(events(&allowed).is_ok());
        let hostile = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        let error = events(&hostile).unwrap_err();
        assert_eq!((error.kind, error.offset), (XmlErrorKind::TooDeep, 3 * MAX_DEPTH));
        // Self-closing elements count while they are open, too.
        let self_closing = format!("{}<b/>{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert_eq!(error_kind(&self_closing), XmlErrorKind::TooDeep);
    }

    #[test]
    fn size_encoding_and_attribute_count_are_limited() {
        let huge = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        assert_eq!(Reader::new(&huge).unwrap_err().kind, XmlErrorKind::TooLarge);
        let error = Reader::new(b"<a>\xff</a>").unwrap_err();
        assert_eq!((error.kind, error.offset), (XmlErrorKind::NotUtf8, 3));
        let attributes: String = (0..=MAX_ATTRIBUTES).map(|i| format!(" a{i}='x'")).collect();
        assert_eq!(error_kind(&format!("<a{attributes}/>")), XmlErrorKind::TooManyAttributes);
    }

    #[test]
    fn errors_say_what_and_where() {
        let error = events("<a>&nbsp;</a>").unwrap_err();
        assert_eq!(
            error.to_string(),
            "&nbsp; is not a predefined entity (only lt, gt, amp, apos and quot are) (at byte 3)"
        );
    }

    #[test]
    fn escaping_round_trips_through_the_reader() {
        let nasty = "a<b>&c\"d'e\tf\ng\r\nh\u{0}i\u{1b}j\u{fffe}k 😀";
        let document =
            format!("<x v=\"{}\" w='{}'>{}</x>", escape_attribute(nasty), escape_attribute(nasty), escape_text(nasty));
        let mut reader = Reader::new(document.as_bytes()).unwrap();
        let root = reader.root().unwrap();
        let expected = "a<b>&c\"d'e\tf\ng\r\nhijk 😀";
        assert_eq!(root.attribute("v"), Some(expected));
        assert_eq!(root.attribute("w"), Some(expected));
        assert_eq!(reader.read_text().unwrap(), expected);
        assert!(matches!(escape_text("plain text"), Cow::Borrowed(_)));
    }
}
