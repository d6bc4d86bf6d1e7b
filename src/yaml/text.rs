//! The bytes of a YAML file, before parsing: encodings, the characters YAML
//! allows, and kyaml's splitting of a resource stream at `---` lines.
//!
//! go-yaml (libyaml's reader), which kustomize uses for every YAML file it
//! reads, decodes UTF-8, or UTF-16 after a byte order mark, and refuses any
//! character outside YAML's printable set anywhere in the input ("control
//! characters are not allowed"), in comments and quoted scalars included.

use crate::error::Error;
use std::borrow::Cow;

/// A file's text and the encoding it was read in.
#[derive(Debug)]
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    /// The file was UTF-16 (a byte order mark said so).
    pub utf16: bool,
}

/// Decode a YAML file as go-yaml does: UTF-16 (little or big endian) after
/// its byte order mark, else UTF-8 (a UTF-8 byte order mark stays in the
/// text; the parser skips it).
pub fn decode(bytes: &[u8]) -> Result<Decoded<'_>, Error> {
    let big_endian = match bytes {
        [0xFF, 0xFE, ..] => false,
        [0xFE, 0xFF, ..] => true,
        _ => {
            return match std::str::from_utf8(bytes) {
                Ok(s) => Ok(Decoded {
                    text: Cow::Borrowed(s),
                    utf16: false,
                }),
                Err(e) => Err(utf8_error(bytes, &e)),
            }
        }
    };
    let body = &bytes[2..];
    let units = body.chunks(2).map(|c| match c {
        [a, b] if big_endian => Ok(u16::from_be_bytes([*a, *b])),
        [a, b] => Ok(u16::from_le_bytes([*a, *b])),
        _ => Err(()),
    });
    let mut text = String::with_capacity(body.len() / 2);
    let mut pending: Option<u16> = None;
    let fail = |text: &str, what: &str| {
        let (line, col) = end_position(text);
        Error::yaml(line, col, format!("invalid UTF-16 text: {what}"))
    };
    for u in units {
        let Ok(u) = u else {
            return Err(fail(
                &text,
                "incomplete UTF-16 character at the end of the file",
            ));
        };
        match (pending.take(), u) {
            (None, 0xD800..=0xDBFF) => pending = Some(u),
            (None, 0xDC00..=0xDFFF) => {
                return Err(fail(&text, "unexpected low surrogate"));
            }
            (None, _) => text.push(char::from_u32(u as u32).unwrap_or('\u{FFFD}')),
            (Some(hi), 0xDC00..=0xDFFF) => {
                let c = 0x10000 + (((hi as u32) - 0xD800) << 10) + ((u as u32) - 0xDC00);
                text.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
            (Some(_), _) => return Err(fail(&text, "expected a low surrogate")),
        }
    }
    if pending.is_some() {
        return Err(fail(
            &text,
            "incomplete surrogate pair at the end of the file",
        ));
    }
    Ok(Decoded {
        text: Cow::Owned(text),
        utf16: true,
    })
}

fn utf8_error(bytes: &[u8], e: &std::str::Utf8Error) -> Error {
    let at = e.valid_up_to();
    // The prefix is valid UTF-8 by definition.
    let prefix = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
    let (line, col) = end_position(prefix);
    // The bytes themselves are not shown: they may be part of a secret.
    let what = if e.error_len().is_none() {
        "an incomplete character at the end of the file"
    } else {
        "bytes that are not a character"
    };
    Error::yaml(line, col, format!("invalid UTF-8: {what}"))
}

/// The line and column (1-based, columns in characters) just after `text`.
fn end_position(text: &str) -> (usize, usize) {
    let line = 1 + text.bytes().filter(|&b| b == b'\n').count();
    let start = text.rfind('\n').map_or(0, |i| i + 1);
    (line, text[start..].chars().count() + 1)
}

/// The position of byte `at` in `text`.
pub(crate) fn position(text: &str, at: usize) -> (usize, usize) {
    end_position(&text[..at])
}

/// YAML's printable set (go-yaml's reader check): tab, LF, CR, 0x20–0x7E,
/// NEL, 0xA0–0xD7FF, 0xE000–0xFFFD and 0x10000–0x10FFFF. A `str` cannot hold
/// surrogates or code points past U+10FFFF, so the rest is C0 controls, DEL,
/// C1 controls other than NEL, U+FFFE and U+FFFF.
pub fn check_printable(text: &str) -> Result<(), Error> {
    let b = text.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        let bad = match c {
            0x09 | 0x0A | 0x0D => false,
            0x00..=0x1F | 0x7F => true,
            // Lead bytes only: continuation bytes are 0x80–0xBF.
            0xC2 => matches!(b.get(i + 1), Some(&n) if (0x80..=0x9F).contains(&n) && n != 0x85),
            0xEF => b.get(i + 1) == Some(&0xBF) && matches!(b.get(i + 2), Some(0xBE | 0xBF)),
            _ => false,
        };
        if bad {
            let ch = text[i..].chars().next().unwrap_or('\0');
            let (line, col) = position(text, i);
            return Err(Error::yaml(line, col, format!(
                    "control characters are not allowed: U+{:04X}{}; YAML allows only printable characters (a double-quoted string may hold an escape such as \"\\t\")",
                    ch as u32,
                    if ch == '\0' { " (NUL)" } else { "" }
                )));
        }
    }
    Ok(())
}

/// One `---`-separated piece of a resource stream.
#[derive(Debug, PartialEq)]
pub(crate) struct Chunk {
    pub start: usize,
    pub end: usize,
    /// 1-based line of `start` in the whole text.
    pub line: usize,
}

/// kyaml's `splitDocuments`: a line starting with `---` that follows a line
/// break and ends with one separates documents (after CRLF is read as LF);
/// after the `---` only blanks and a comment may follow. kustomize decodes
/// one document from each piece.
pub(crate) fn split_kio(text: &str) -> Result<Vec<Chunk>, Error> {
    let b = text.as_bytes();
    let mut chunks = Vec::new();
    let (mut prev, mut prev_line) = (0, 1);
    let mut line = 1;
    let mut counted = 0;
    let mut from = 0;
    while let Some(off) = memchr_newline(&b[from..]) {
        let p = from + off;
        if !b[p + 1..].starts_with(b"---") {
            from = p + 1;
            continue;
        }
        let Some(end_off) = memchr_newline(&b[p + 1..]) else {
            break;
        };
        let q = p + 1 + end_off;
        line += b[counted..=p].iter().filter(|&&c| c == b'\n').count();
        let rest = text[p + 4..q].trim();
        if !rest.is_empty() && !rest.starts_with('#') {
            return Err(Error::yaml(line, 1, format!(
                    "document separator `{}` has more than a comment after `---` (kustomize refuses it)",
                    text[p + 1..q].trim()
                )));
        }
        chunks.push(Chunk {
            start: prev,
            end: p + 1,
            line: prev_line,
        });
        prev = q + 1;
        prev_line = line + 1;
        line += 1;
        counted = q + 1;
        from = q + 1;
    }
    chunks.push(Chunk {
        start: prev,
        end: text.len(),
        line: prev_line,
    });
    Ok(chunks)
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

/// libyaml (go-yaml) reads a stream's first document as an implicit one,
/// which cannot begin with the end marker `...`: "did not find expected
/// node content". Returns the line of such a leading `...`.
pub(crate) fn leading_document_end(text: &str) -> Option<usize> {
    for (i, l) in text.lines().enumerate() {
        let t = l.trim_start_matches([' ', '\t']);
        if t.is_empty() || t.trim_end().is_empty() || t.starts_with('#') {
            continue;
        }
        let marker = l
            .strip_prefix("...")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r']));
        return marker.then_some(i + 1);
    }
    None
}

/// Whether a file holds nothing but blank lines, comments and document
/// markers (`---`, `...`), so that yielding no object is expected.
pub fn is_blank_stream(text: &str) -> bool {
    text.trim_start_matches('\u{feff}').lines().all(|l| {
        let t = l.trim();
        let t = t
            .strip_prefix("---")
            .or_else(|| t.strip_prefix("..."))
            .map_or(t, str::trim_start);
        t.is_empty() || t.starts_with('#')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf16_with_bom() {
        let mut le = vec![0xFF, 0xFE];
        le.extend("a: é\n".encode_utf16().flat_map(u16::to_le_bytes));
        let d = decode(&le).unwrap();
        assert!(d.utf16);
        assert_eq!(d.text, "a: é\n");
        let mut be = vec![0xFE, 0xFF];
        be.extend("a: 😀\n".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(&be).unwrap().text, "a: 😀\n");
        // An odd byte count, or a lone surrogate, is an error.
        let mut odd = le.clone();
        odd.push(b'\n');
        assert!(decode(&odd).is_err());
        let mut lone = vec![0xFF, 0xFE];
        lone.extend("a: ".encode_utf16().flat_map(u16::to_le_bytes));
        lone.extend([0x00, 0xD8, b'\n', 0]);
        let e = decode(&lone).unwrap_err();
        assert_eq!(e.pos, Some((1, 4)));
    }

    #[test]
    fn invalid_utf8_has_a_position() {
        let e = decode(b"a: 1\nb: x\xffy\n").unwrap_err();
        assert_eq!(e.pos, Some((2, 5)));
        assert!(e.message.contains("invalid UTF-8"), "{}", e.message);
        let e = decode(b"a: \xe2\x82").unwrap_err();
        assert!(e.message.contains("incomplete"), "{}", e.message);
        // Surrogates encoded in UTF-8 are not UTF-8.
        assert!(decode(b"a: \xed\xa0\x80\n").is_err());
        assert_eq!(
            decode(b"\xef\xbb\xbfa: 1\n").unwrap().text,
            "\u{feff}a: 1\n"
        );
    }

    #[test]
    fn printable_set() {
        for ok in [
            "a\tb\r\n",
            "\u{85}\u{a0}\u{d7ff}\u{e000}\u{feff}\u{fffd}\u{10000}\u{10ffff}",
        ] {
            assert!(check_printable(ok).is_ok(), "{ok:?}");
        }
        for (bad, code) in [
            ("\0", 0),
            ("x\u{1}", 1),
            ("\u{b}", 0xb),
            ("\u{c}", 0xc),
            ("\u{1b}", 0x1b),
            ("\u{7f}", 0x7f),
            ("\u{80}", 0x80),
            ("\u{9f}", 0x9f),
            ("\u{fffe}", 0xfffe),
            ("\u{ffff}", 0xffff),
        ] {
            let e = check_printable(bad).unwrap_err();
            assert!(
                e.message.contains(&format!("U+{code:04X}")),
                "{}",
                e.message
            );
        }
        let e = check_printable("a: 1\n# é \u{1}\n").unwrap_err();
        assert_eq!(e.pos, Some((2, 5)));
    }

    #[test]
    fn splits_as_kyaml() {
        let pieces = |t: &str| -> Vec<(String, usize)> {
            split_kio(t)
                .unwrap()
                .iter()
                .map(|c| (t[c.start..c.end].to_string(), c.line))
                .collect()
        };
        assert_eq!(
            pieces("a: 1\n---\nb: 2\n--- # c\r\nc: 3\n"),
            [
                ("a: 1\n".into(), 1),
                ("b: 2\n".into(), 3),
                ("c: 3\n".into(), 5)
            ]
        );
        // Not separators: the first line, a last line without a line break,
        // and the second of two adjacent `---` lines (kyaml's regexp matches
        // do not overlap).
        assert_eq!(pieces("---\na: 1\n---"), [("---\na: 1\n---".into(), 1)]);
        assert_eq!(
            pieces("a\n---\n---\nb\n"),
            [("a\n".into(), 1), ("---\nb\n".into(), 3)]
        );
        let e = split_kio("a: 1\n--- {b: 2}\n").unwrap_err();
        assert_eq!(e.pos.map(|p| p.0), Some(2));
        assert!(split_kio("a: 1\n----\n").is_err());
    }

    #[test]
    fn leading_end_marker() {
        assert_eq!(leading_document_end("# c\n\n...\n"), Some(3));
        assert_eq!(leading_document_end("... # c"), Some(1));
        assert_eq!(leading_document_end("---\n...\n"), None);
        assert_eq!(leading_document_end("a: 1\n...\n"), None);
        assert_eq!(leading_document_end("....\n"), None);
        assert_eq!(leading_document_end(" ...\n"), None);
    }

    #[test]
    fn blank_streams() {
        assert!(is_blank_stream(""));
        assert!(is_blank_stream("\u{feff}# a\n---\n  \n--- # b\n...\n"));
        assert!(!is_blank_stream("{}\n"));
        assert!(!is_blank_stream("--- ~\n"));
        assert!(!is_blank_stream("kind: List\nitems: []\n"));
    }
}
