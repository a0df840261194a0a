//! Bytes to text the way MovieLens files need it: UTF-8 where it is valid,
//! latin-1 otherwise (ml-100k and ml-1m), without a byte-order mark or a
//! trailing carriage return.

use std::borrow::Cow;

/// How a line was decoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Decoded {
    /// Not valid UTF-8: read as latin-1.
    pub latin1: bool,
    /// A UTF-8 byte-order mark was removed.
    pub bom: bool,
    /// A `\r` before the line end was removed.
    pub crlf: bool,
}

/// Decodes one line (with or without its `\n`): UTF-8, or latin-1 byte by
/// byte; drops a leading byte-order mark and the line ending.
pub(crate) fn decode_line(bytes: &[u8]) -> (Cow<'_, str>, Decoded) {
    let mut flags = Decoded::default();
    let mut bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if let Some(rest) = bytes.strip_suffix(b"\r") {
        bytes = rest;
        flags.crlf = true;
    }
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        bytes = rest;
        flags.bom = true;
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => {
            flags.latin1 = true;
            Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect())
        }
    };
    (text, flags)
}

/// Decodes a whole file: UTF-8, or latin-1 when it is not valid UTF-8; a
/// leading byte-order mark is dropped. Returns the text and whether it was
/// latin-1 and had a byte-order mark.
pub(crate) fn decode_file(bytes: Vec<u8>) -> (String, Decoded) {
    let mut flags = Decoded::default();
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            flags.latin1 = true;
            err.into_bytes().iter().map(|&b| char::from(b)).collect()
        }
    };
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => {
            flags.bom = true;
            rest.to_owned()
        }
        None => text,
    };
    flags.crlf = text.contains("\r\n");
    (text, flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_lose_bom_and_crlf_and_latin1_is_decoded() {
        let (text, flags) = decode_line(b"\xEF\xBB\xBFuserId,movieId\r\n");
        assert_eq!(text, "userId,movieId");
        assert!(flags.bom && flags.crlf && !flags.latin1);
        let (text, flags) = decode_line(b"1|Caf\xe9 (1995)\n");
        assert_eq!(text, "1|Café (1995)");
        assert!(flags.latin1);
    }

    #[test]
    fn files_lose_their_bom() {
        let (text, flags) = decode_file(b"\xEF\xBB\xBFa\r\nb\r\n".to_vec());
        assert_eq!(text, "a\r\nb\r\n");
        assert!(flags.bom && flags.crlf);
    }
}
