use super::*;

fn theirs(text: &str, at: u64) -> TextMessage {
    TextMessage { id: 0, incoming: true, text: text.into(), at, delivery: Delivery::Delivered }
}

fn ours(id: u64, text: &str, at: u64) -> TextMessage {
    TextMessage { id, incoming: false, text: text.into(), at, delivery: Delivery::Sending }
}

#[test]
fn text_keeps_its_lines_and_loses_what_could_steer_or_hide() {
    assert_eq!(clean_text("  Can you\r\ntake   line 2?\n\n\n\nThanks\u{202E}  "), "Can you\ntake line 2?\n\nThanks");
    assert_eq!(clean_text("\u{200B}\n\u{0}\n"), "");
    assert_eq!(clean_text("<b>bold</b> & <script>x</script>"), "<b>bold</b> & <script>x</script>", "markup is text");
    assert_eq!(outgoing_text(" \n "), Err(TextError::Empty));
    assert_eq!(outgoing_text(&"é".repeat(MAX_CHARS + 1)), Err(TextError::TooLong(MAX_CHARS + 1)));
    assert_eq!(outgoing_text(&"é".repeat(MAX_CHARS)).map(|t| t.chars().count()), Ok(MAX_CHARS));
    let cut = incoming_text(&"x".repeat(5_000)).expect("text");
    assert_eq!(cut.chars().count(), MAX_CHARS);
    assert!(cut.ends_with('…'));
    assert_eq!(incoming_text("\u{2066}\u{FEFF}"), None);
}

#[test]
fn a_number_as_written_and_as_dialled_key_the_same_conversation() {
    assert_eq!(key_of("+1 (555) 010-1011"), key_of("+15550101011"));
    assert_eq!(key_of(" 1002 "), "1002");
    assert_eq!(key_of("sip:ana@example.com"), key_of(" sip:ana@example.com"));
}

#[test]
fn conversations_are_newest_first_with_unread_counts() {
    let mut all = Vec::new();
    add(&mut all, "1002", Some("Ana".into()), theirs("hi", 1));
    add(&mut all, "1003", None, ours(1, "hello", 2));
    add(&mut all, "1002", None, theirs("there?", 3));
    assert_eq!(all.iter().map(|c| c.number.as_str()).collect::<Vec<_>>(), ["1002", "1003"]);
    assert_eq!(all[0].name.as_deref(), Some("Ana"), "a later message without a name keeps it");
    assert_eq!((all[0].unread, all[1].unread, unread(&all)), (2, 0, 2));
    assert!(read(&mut all, "1002"));
    assert!(!read(&mut all, "1002"), "reading twice changes nothing");
    assert_eq!(unread(&all), 0);
    assert!(settle(&mut all, 1, Delivery::Failed("not available".into())));
    assert_eq!(all[1].messages[0].delivery, Delivery::Failed("not available".into()));
    assert!(!settle(&mut all, 9, Delivery::Delivered));
}

#[test]
fn a_flood_stays_within_every_bound() {
    let mut all = Vec::new();
    let long = "y".repeat(MAX_CHARS);
    for n in 0..2_000u64 {
        add(&mut all, &format!("{}", 5000 + n % 40), None, theirs(&long, n));
    }
    assert_eq!(all.len().min(KEPT_CONVERSATIONS), all.len());
    assert!(all.iter().all(|c| c.messages.len() <= KEPT_PER_CONVERSATION));
    let chars: usize = all.iter().flat_map(|c| &c.messages).map(|m| m.text.chars().count()).sum();
    assert!(chars <= KEPT_CHARS, "{chars}");
    assert!(all.iter().all(|c| c.unread as usize <= c.messages.len()));
    assert_eq!(all[0].messages.last().map(|m| m.at), Some(1_999), "the newest stays");
    for _ in 0..200 {
        add(&mut all, "1002", None, theirs("x", 0));
    }
    assert_eq!(all[0].messages.len(), KEPT_PER_CONVERSATION);
    assert_eq!(all[0].unread as usize, KEPT_PER_CONVERSATION);
}

#[test]
fn stored_lists_round_trip_and_are_read_as_untrusted() {
    let mut all = Vec::new();
    add(&mut all, "1002", Some("Ana".into()), theirs("hi", 1));
    add(&mut all, "1002", None, TextMessage { delivery: Delivery::Delivered, ..ours(1, "hello", 2) });
    assert_eq!(parse(&to_text(&all)), all);
    add(&mut all, "1002", None, ours(2, "still going", 3));
    let read_back = parse(&to_text(&all));
    assert_eq!(read_back[0].messages[2].delivery, Delivery::Failed(UNCONFIRMED.into()));
    assert!(parse("{not json").is_empty());
    let hostile = r#"[{"number":"1002","name":"\u202eAna","unread":99,
        "messages":[{"incoming":true,"text":"\u0000","at":1,"delivery":"Delivered"},
                    {"incoming":true,"text":"ok\u202e","at":2,"delivery":"Delivered"}]}]"#;
    let read_back = parse(hostile);
    assert_eq!(read_back[0].name.as_deref(), Some("Ana"));
    assert_eq!(read_back[0].messages.len(), 1);
    assert_eq!(read_back[0].messages[0].text, "ok");
    assert_eq!(read_back[0].unread, 1, "no more unread than kept messages of theirs");
}
