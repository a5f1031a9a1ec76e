//! Whether the other side's offer puts us on hold: its audio stream is `sendonly` or
//! `inactive` (RFC 3264 §8.4), or, as phones built on RFC 2543 still do, its connection address
//! is `0.0.0.0`. The media section's own attributes win over the session's.

/// Whether `offer` (an SDP body from the other side) holds the call.
pub fn holds_us(offer: &str) -> bool {
    let mut session = Section::default();
    let mut audio: Option<Section> = None;
    // Where the lines read now belong: the session (None), the first audio stream, or another.
    let mut reading_audio = None;
    for line in offer.lines().map(str::trim_end) {
        if let Some(media) = line.strip_prefix("m=") {
            if audio.is_some() {
                break;
            }
            let is_audio = media.starts_with("audio ");
            if is_audio {
                audio = Some(Section::default());
            }
            reading_audio = Some(is_audio);
            continue;
        }
        match (reading_audio, &mut audio) {
            (None, _) => session.read(line),
            (Some(true), Some(audio)) => audio.read(line),
            _ => {}
        }
    }
    let Some(audio) = audio else { return false };
    let direction = audio.direction.or(session.direction).unwrap_or(Direction::SendRecv);
    let address_zero = audio.address_zero.or(session.address_zero).unwrap_or(false);
    matches!(direction, Direction::SendOnly | Direction::Inactive) || address_zero
}

/// A stream direction attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

/// What one level of the description (session or media) says.
#[derive(Default)]
struct Section {
    direction: Option<Direction>,
    address_zero: Option<bool>,
}

impl Section {
    fn read(&mut self, line: &str) {
        self.direction = match line {
            "a=sendrecv" => Some(Direction::SendRecv),
            "a=sendonly" => Some(Direction::SendOnly),
            "a=recvonly" => Some(Direction::RecvOnly),
            "a=inactive" => Some(Direction::Inactive),
            _ => self.direction,
        };
        if let Some(connection) = line.strip_prefix("c=") {
            let address = connection.split_whitespace().nth(2).unwrap_or_default();
            self.address_zero = Some(address.split('/').next() == Some("0.0.0.0"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::holds_us;

    const HEAD: &str = "v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n";

    fn offer(session: &str, audio: &str) -> String {
        format!("{HEAD}{session}m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 10.0.0.1\r\n{audio}")
    }

    #[test]
    fn sendonly_and_inactive_hold_sendrecv_and_recvonly_do_not() {
        assert!(holds_us(&offer("", "a=sendonly\r\n")));
        assert!(holds_us(&offer("", "a=inactive\r\n")));
        assert!(!holds_us(&offer("", "a=sendrecv\r\n")));
        assert!(!holds_us(&offer("", "a=recvonly\r\n")));
        assert!(!holds_us(&offer("", "")), "no attribute means sendrecv");
    }

    #[test]
    fn the_media_level_wins_over_the_session_level() {
        assert!(holds_us(&offer("a=sendonly\r\n", "")));
        assert!(!holds_us(&offer("a=sendonly\r\n", "a=sendrecv\r\n")));
        assert!(holds_us(&offer("a=sendrecv\r\n", "a=inactive\r\n")));
    }

    #[test]
    fn an_rfc_2543_hold_by_address() {
        let old = format!("{HEAD}c=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 0\r\n");
        assert!(holds_us(&old));
        let resumed = format!("{HEAD}c=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 10.0.0.2\r\n");
        assert!(!holds_us(&resumed));
    }

    #[test]
    fn only_the_audio_stream_counts_and_odd_bodies_hold_nothing() {
        let video_first = format!(
            "{HEAD}m=video 9 RTP/AVP 96\r\na=inactive\r\nm=audio 9 RTP/AVP 0\r\na=sendrecv\r\nm=audio 9 RTP/AVP 0\r\n"
        );
        assert!(!holds_us(&video_first));
        let later_stream = format!("{HEAD}m=audio 9 RTP/AVP 0\r\nm=video 9 RTP/AVP 96\r\na=sendonly\r\n");
        assert!(!holds_us(&later_stream));
        for odd in ["", "garbage", "m=", "a=sendonly", "c=IN IP4 0.0.0.0", "m=audio\nc=\na=sendonly\n"] {
            let _ = holds_us(odd);
        }
        assert!(!holds_us("a=sendonly\r\n"), "no audio stream, no hold");
        assert!(holds_us("m=audio 1 RTP/AVP 0\na=sendonly\n"), "bare newlines");
    }
}
