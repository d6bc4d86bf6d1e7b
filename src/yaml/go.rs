//! What Go's libraries make of values, where kustomize's output depends on
//! it: encoding/json's and strconv's float text, go-yaml v2's map key order,
//! the folding of NEL (U+0085) when go-yaml reads JSON text back, and
//! encoding/base64. One implementation each, shared by the emitter, the
//! generators, the parser and validation.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::sync::OnceLock;

/// Go's `base64.StdEncoding`: padding required, stray low bits accepted
/// (Go is strict about them only in `Strict()` mode).
const STD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// `base64.StdEncoding.EncodeToString`.
pub fn base64_encode(data: &[u8]) -> String {
    STD.encode(data)
}

/// `base64.StdEncoding.DecodeString`, which skips `\r` and `\n`.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    if s.contains(['\r', '\n']) {
        let clean: String = s.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
        STD.decode(clean).ok()
    } else {
        STD.decode(s).ok()
    }
}

/// Go's encoding/json float64 text (`null` for what JSON cannot hold).
pub fn json_float(f: f64) -> String {
    if !f.is_finite() {
        return "null".into();
    }
    go_json_float(f)
}

fn go_json_float(f: f64) -> String {
    let (neg, digits, dp) = shortest_digits(f);
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let mut s = fmt_e(neg, &digits, dp);
        // encoding/json turns e-07 into e-7.
        if let Some(pos) = s.find("e-0") {
            s.remove(pos + 2);
        }
        s
    } else if f == 0.0 {
        if neg { "-0" } else { "0" }.to_string()
    } else {
        fmt_f(neg, &digits, dp)
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`.
pub fn format_g(f: f64) -> String {
    let (neg, digits, dp) = shortest_digits(f);
    if f == 0.0 {
        return if neg { "-0" } else { "0" }.to_string();
    }
    let exp = dp - 1;
    if !(-4..6).contains(&exp) {
        fmt_e(neg, &digits, dp)
    } else {
        fmt_f(neg, &digits, dp)
    }
}

/// Shortest round-trip digits and decimal point position of a finite float.
fn shortest_digits(f: f64) -> (bool, String, i32) {
    // `{:e}` gives the shortest round-trip digits, e.g. "-1.2345e6".
    let s = format!("{:e}", f);
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.as_str()),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    (neg, digits, exp + 1)
}

fn fmt_e(neg: bool, digits: &str, dp: i32) -> String {
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    s.push_str(&digits[..1]);
    if digits.len() > 1 {
        s.push('.');
        s.push_str(&digits[1..]);
    }
    let exp = if digits == "0" { 0 } else { dp - 1 };
    s.push('e');
    s.push(if exp < 0 { '-' } else { '+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        s.push('0');
    }
    s.push_str(&a.to_string());
    s
}

fn fmt_f(neg: bool, digits: &str, dp: i32) -> String {
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    if dp <= 0 {
        s.push_str("0.");
        for _ in 0..(-dp) {
            s.push('0');
        }
        s.push_str(digits);
    } else {
        let dp = dp as usize;
        if digits.len() <= dp {
            s.push_str(digits);
            for _ in digits.len()..dp {
                s.push('0');
            }
        } else {
            s.push_str(&digits[..dp]);
            s.push('.');
            s.push_str(&digits[dp..]);
        }
    }
    s
}

/// Map entries in go-yaml v2's key order.
pub fn sorted_entries(m: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(&String, &Value)> = m.iter().collect();
    if entries.len() < 2 {
        return entries;
    }
    merge_sort(&mut entries, &mut |a, b| key_less(a.0, b.0));
    entries
}

/// A stable merge sort that cannot panic on an inconsistent comparator.
pub fn merge_sort<T: Copy>(v: &mut [T], less: &mut impl FnMut(&T, &T) -> bool) {
    let n = v.len();
    if n <= 12 {
        for i in 1..n {
            let mut j = i;
            while j > 0 && less(&v[j], &v[j - 1]) {
                v.swap(j, j - 1);
                j -= 1;
            }
        }
        return;
    }
    let mid = n / 2;
    merge_sort(&mut v[..mid], less);
    merge_sort(&mut v[mid..], less);
    let mut merged = Vec::with_capacity(n);
    let (mut i, mut j) = (0, mid);
    while i < mid && j < n {
        if less(&v[j], &v[i]) {
            merged.push(v[j]);
            j += 1;
        } else {
            merged.push(v[i]);
            i += 1;
        }
    }
    merged.extend_from_slice(&v[i..mid]);
    merged.extend_from_slice(&v[j..n]);
    v.copy_from_slice(&merged);
}

/// A map's keys in go-yaml v2's order, as a new map (insertion order is
/// kept by `preserve_order`).
pub fn sorted_map(m: &Map<String, Value>) -> Map<String, Value> {
    sorted_entries(m)
        .into_iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// go-yaml v2's `keyList.Less` for two string keys: letters compare by code
/// point, non-letters sort before letters, and digit runs compare by value.
pub fn key_less(a: &str, b: &str) -> bool {
    // ASCII keys (nearly all) compare without collecting chars.
    if a.is_ascii() && b.is_ascii() {
        return key_less_runes(a.as_bytes(), b.as_bytes(), |c| c as char);
    }
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    key_less_runes(&ar, &br, |c| c)
}

fn key_less_runes<C: Copy>(a: &[C], b: &[C], ch: impl Fn(C) -> char) -> bool {
    for i in 0..a.len().min(b.len()) {
        let (ai_c, bi_c) = (ch(a[i]), ch(b[i]));
        if ai_c == bi_c {
            continue;
        }
        let al = is_letter(ai_c);
        let bl = is_letter(bi_c);
        if al && bl {
            return ai_c < bi_c;
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ai_c == '0' || bi_c == '0' {
            let mut j = i;
            while j > 0 && is_digit(ch(a[j - 1])) {
                j -= 1;
                if ch(a[j]) != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < a.len() && is_digit(ch(a[ai])) {
            an = an
                .wrapping_mul(10)
                .wrapping_add(ch(a[ai]) as i64 - '0' as i64);
            ai += 1;
        }
        let mut bi = i;
        while bi < b.len() && is_digit(ch(b[bi])) {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(ch(b[bi]) as i64 - '0' as i64);
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ai_c < bi_c;
    }
    a.len() < b.len()
}

/// Go's encoding/json leaves NEL (U+0085) raw, and go-yaml v2 then reads it
/// as a line break inside the double-quoted JSON string: a run of spaces and
/// NELs folds to one space (one NEL) or to n-1 newlines (n NELs).
pub fn fold_nel(s: &str) -> Cow<'_, str> {
    if !s.contains('\u{85}') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let mut nels = 0;
    let flush = |out: &mut String, run: &mut String, nels: &mut usize| {
        match *nels {
            0 => out.push_str(run),
            1 => out.push(' '),
            n => out.extend(std::iter::repeat_n('\n', n - 1)),
        }
        run.clear();
        *nels = 0;
    };
    for c in s.chars() {
        match c {
            ' ' => run.push(c),
            '\u{85}' => nels += 1,
            _ => {
                flush(&mut out, &mut run, &mut nels);
                out.push(c);
            }
        }
    }
    flush(&mut out, &mut run, &mut nels);
    Cow::Owned(out)
}

/// Go's `unicode.IsLetter` (category L).
fn is_letter(c: char) -> bool {
    static L: OnceLock<Option<regex::Regex>> = OnceLock::new();
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        in_category(c, &L, r"^\p{L}$")
    }
}

/// Go's `unicode.IsDigit` (category Nd only: `²` and `Ⅷ` are not digits).
fn is_digit(c: char) -> bool {
    static ND: OnceLock<Option<regex::Regex>> = OnceLock::new();
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        in_category(c, &ND, r"^\p{Nd}$")
    }
}

/// Whether a non-ASCII `c` is in a Unicode category: the regex crate's
/// tables answer for the rare non-ASCII key.
fn in_category(c: char, cell: &OnceLock<Option<regex::Regex>>, class: &str) -> bool {
    cell.get_or_init(|| regex::Regex::new(class).ok())
        .as_ref()
        .is_some_and(|re| re.is_match(c.encode_utf8(&mut [0; 4])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order() {
        let mut keys = vec!["a10", "a9", "Z", "A", "_a", "01", "1", "b"];
        merge_sort(&mut keys, &mut |a, b| key_less(a, b));
        assert_eq!(keys, vec!["_a", "1", "01", "A", "Z", "a9", "a10", "b"]);
        // Checked with kubectl kustomize: `²` is no digit for Go (so not
        // read as one), `٣` is (and weighs its code point minus '0').
        let mut keys = vec!["a1", "a\u{b2}", "c\u{663}", "c5"];
        merge_sort(&mut keys, &mut |a, b| key_less(a, b));
        assert_eq!(keys, vec!["a\u{b2}", "a1", "c5", "c\u{663}"]);
    }

    #[test]
    fn nel_folds_as_go_yaml_reads_it() {
        // Each checked with kubectl kustomize (configMapGenerator literals).
        for (input, want) in [
            ("x \u{85} \u{85} y", "x\ny"),
            ("x\t\u{85}\ty", "x\t \ty"),
            ("x \u{85}\u{85} y", "x\ny"),
            ("x\u{85} \t \u{85}y", "x \t y"),
            (" \u{85}lead", " lead"),
            ("trail\u{85} ", "trail "),
        ] {
            assert_eq!(fold_nel(input), want, "{input:?}");
        }
    }

    #[test]
    fn base64_as_go() {
        assert_eq!(base64_encode(b"v"), "dg==");
        assert_eq!(base64_decode("dg==\r\n").unwrap(), b"v");
        assert_eq!(
            base64_decode("dh=="),
            Some(b"v".to_vec()),
            "stray low bits pass"
        );
        assert!(base64_decode("dg").is_none(), "padding is required");
        assert!(base64_decode("d g==").is_none());
    }

    #[test]
    fn floats() {
        assert_eq!(json_float(1.0), "1");
        assert_eq!(json_float(1.5), "1.5");
        assert_eq!(json_float(1e21), "1e+21");
        assert_eq!(json_float(1e-7), "1e-7");
        assert_eq!(json_float(123456789.0), "123456789");
        assert_eq!(json_float(9.223372036854776e18), "9223372036854776000");
        assert_eq!(json_float(f64::NAN), "null");
    }
}
