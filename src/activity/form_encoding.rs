//! Percent-encoding of URL query values, path segments and `application/x-www-form-urlencoded`
//! bodies: every byte but RFC 3986's unreserved characters is escaped, so that no value from a
//! caller, a payload or the instance can add a parameter, a path step or a condition.

/// `text` with every byte outside `A–Z a–z 0–9 - . _ ~` written as `%XX` (UTF-8 bytes).
pub fn component(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push('%');
            encoded.push(char::from(HEX[usize::from(byte >> 4)]));
            encoded.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    encoded
}

/// `name=value&…` with both sides encoded: a query string or a form body.
pub fn pairs(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(name, value)| format!("{}={}", component(name), component(value))).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unreserved_characters_stay_as_they_are() {
        assert_eq!(component("AZaz09-._~"), "AZaz09-._~");
        assert_eq!(component("a b+c&d=e^f/g?h#i%j"), "a%20b%2Bc%26d%3De%5Ef%2Fg%3Fh%23i%25j");
        assert_eq!(component("Díaz"), "D%C3%ADaz");
        assert_eq!(component("a7f@10.0.0.1"), "a7f%4010.0.0.1");
        assert_eq!(component(""), "");
    }

    #[test]
    fn a_value_cannot_add_a_pair() {
        assert_eq!(pairs(&[("code", "x&client_id=evil"), ("state", "s")]), "code=x%26client_id%3Devil&state=s");
    }
}
