//! `serde_json::Value` -> YAML text exactly as `kubectl kustomize` prints it.
//!
//! kustomize marshals each resource to JSON and converts it with
//! sigs.k8s.io/yaml `JSONToYAML`: go-yaml v2 decodes the JSON and re-encodes
//! it. So the output follows go-yaml v2's encoder (YAML 1.1 quoting decisions,
//! sorted keys) and its port of libyaml's emitter (scalar analysis, style
//! selection, folding at 80 columns). The emitter state below mirrors the
//! libyaml fields that influence layout: column, indent, whitespace,
//! indention.

use serde_json::{Map, Number, Value};

use super::go;
use super::parse::{go_parse_float, go_parse_int, parse_timestamp, resolve_number};

const BEST_INDENT: isize = 2;
const BEST_WIDTH: usize = 80;

/// One document as `kubectl kustomize` prints it, ending in a newline.
pub fn to_string(v: &Value) -> String {
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        indent: -1,
        whitespace: true,
        indention: true,
    };
    e.node(v, Ctx::Root);
    // Document end: libyaml finishes the last line via write_indent.
    e.write_indent();
    e.out
}

/// Documents joined by `---\n`, as `kubectl kustomize` prints a stream.
pub fn stream_to_string(docs: &[&Value]) -> String {
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&to_string(d));
    }
    out
}

#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    Root,
    Seq,
    /// A mapping value (or a complex key).
    Map,
    /// A simple (implicit) mapping key.
    SimpleKey,
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

struct Emitter {
    out: String,
    column: usize,
    indent: isize,
    whitespace: bool,
    indention: bool,
}

impl Emitter {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        self.out.push_str(ind);
        self.column += ind.chars().count();
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn node(&mut self, v: &Value, ctx: Ctx) {
        match v {
            Value::Null => self.scalar("null", Style::Plain, ctx),
            Value::Bool(true) => self.scalar("true", Style::Plain, ctx),
            Value::Bool(false) => self.scalar("false", Style::Plain, ctx),
            Value::Number(n) => {
                let s = number_text(n);
                self.scalar(&s, Style::Plain, ctx);
            }
            Value::String(s) => {
                let s = go::fold_nel(s);
                self.scalar(&s, string_style(&s), ctx);
            }
            Value::Array(a) if a.is_empty() => self.empty_flow("[", "]"),
            Value::Object(m) if m.is_empty() => self.empty_flow("{", "}"),
            Value::Array(a) => self.block_sequence(a, ctx),
            Value::Object(m) => self.block_mapping(m),
        }
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.write_indicator(close, false, false, false);
    }

    fn block_sequence(&mut self, items: &[Value], ctx: Ctx) {
        let saved = self.indent;
        self.increase_indent(false, ctx == Ctx::Map && !self.indention);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, Ctx::Seq);
        }
        self.indent = saved;
    }

    fn block_mapping(&mut self, m: &Map<String, Value>) {
        let saved = self.indent;
        self.increase_indent(false, false);
        for (k, v) in go::sorted_entries(m) {
            let k = &*go::fold_nel(k);
            self.write_indent();
            let key_style = string_style(k);
            let a = analyze(k);
            // libyaml's check_simple_key: single line and at most 128 bytes.
            if !a.multiline && k.len() <= 128 {
                self.scalar_analyzed(k, key_style, Ctx::SimpleKey, &a);
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.scalar_analyzed(k, key_style, Ctx::Map, &a);
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(v, Ctx::Map);
        }
        self.indent = saved;
    }

    fn scalar(&mut self, s: &str, style: Style, ctx: Ctx) {
        let a = analyze(s);
        self.scalar_analyzed(s, style, ctx, &a);
    }

    fn scalar_analyzed(&mut self, s: &str, requested: Style, ctx: Ctx, a: &Analysis) {
        let simple_key = ctx == Ctx::SimpleKey;
        let mut style = requested;
        if simple_key && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain && (!a.block_plain || (s.is_empty() && simple_key)) {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_quoted {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block || simple_key) {
            style = Style::Double;
        }
        let saved = self.indent;
        self.increase_indent(true, false);
        let breaks = !simple_key;
        match style {
            Style::Plain => self.write_plain(s, breaks),
            Style::Single => self.write_single(s, breaks),
            Style::Double => self.write_double(s, breaks),
            Style::Literal => self.write_literal(s),
        }
        self.indent = saved;
    }

    fn write_plain(&mut self, s: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let mut spaces = false;
        let mut it = s.chars().peekable();
        while let Some(c) = it.next() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && it.peek().is_some_and(|&n| n != ' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                self.indention = false;
                spaces = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    /// libyaml's write_break: `\n` is a newline; other breaks (NEL, LS, PS)
    /// are copied as they are but still reset the column.
    fn write_break(&mut self, c: char) {
        self.out.push(c);
        self.column = 0;
    }

    fn write_single(&mut self, s: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let n = s.chars().count();
        let mut it = s.chars().enumerate().peekable();
        while let Some((i, c)) = it.next() {
            if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i != 0
                    && i != n - 1
                    && it.peek().is_some_and(|&(_, n)| n != ' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double(&mut self, s: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let mut spaces = false;
        let n = s.chars().count();
        // go-yaml v2's is_bom looks at the start of the value, not at the
        // current character: a leading BOM makes it escape every character.
        let escape_all = s.starts_with('\u{feff}');
        let mut it = s.chars().enumerate().peekable();
        while let Some((i, c)) = it.next() {
            if escape_all
                || !is_printable(c)
                || c == '\u{feff}'
                || is_break(c)
                || c == '"'
                || c == '\\'
            {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{7}' => self.put('a'),
                    '\u{8}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{b}' => self.put('v'),
                    '\u{c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{a0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    _ => {
                        let v = c as u32;
                        let (p, w) = if v <= 0xff {
                            ('x', 2)
                        } else if v <= 0xffff {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(p);
                        for k in (0..w).rev() {
                            let d = (v >> (4 * k)) & 0xf;
                            self.put(
                                char::from_digit(d, 16).map_or('0', |c| c.to_ascii_uppercase()),
                            );
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i != 0 && i != n - 1 {
                    self.write_indent();
                    if it.peek().is_some_and(|&(_, n)| n == ' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, s: &str) {
        self.write_indicator("|", true, false, false);
        // Block scalar hints: explicit indentation when the text starts with a
        // space or break; chomping from the trailing breaks.
        let first = s.chars().next();
        if first.is_some_and(|c| c == ' ' || is_break(c)) {
            self.write_indicator("2", false, false, false);
        }
        let mut rev = s.chars().rev();
        let last = rev.next();
        let chomp = match last {
            None => Some('-'),
            Some(c) if !is_break(c) => Some('-'),
            Some(_) => match rev.next() {
                None => Some('+'),
                Some(p) if is_break(p) => Some('+'),
                Some(_) => None,
            },
        };
        if let Some(c) = chomp {
            let mut buf = [0u8; 4];
            self.write_indicator(c.encode_utf8(&mut buf), false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for c in s.chars() {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                    breaks = false;
                }
                self.put(c);
                self.indention = false;
            }
        }
    }
}

/// libyaml's `is_break` (the writer treats these as line breaks).
fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// go-yaml v2's `is_printable`. Unlike libyaml it rejects NEL and everything
/// outside the BMP (4-byte UTF-8), so emoji force double quotes with `\U`.
fn is_printable(c: char) -> bool {
    let v = c as u32;
    v == 0x0a
        || (0x20..=0x7e).contains(&v)
        || (0xa0..=0xd7ff).contains(&v)
        || ((0xe000..=0xfffd).contains(&v) && v != 0xfeff)
}

/// The outcome of libyaml's `analyze_scalar` that matters in block context.
struct Analysis {
    multiline: bool,
    block_plain: bool,
    single_quoted: bool,
    block: bool,
}

fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            block_plain: true,
            single_quoted: true,
            block: false,
        };
    }
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_by_ws = true;
    let mut it = s.chars().peekable();
    let mut first = true;
    while let Some(c) = it.next() {
        let next = it.peek().copied();
        let followed_by_ws = next.is_none_or(|n| n == ' ' || n == '\t');
        let last = next.is_none();
        if first {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_ws => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_ws => block_indicators = true,
                '#' if preceded_by_ws => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            leading_space |= first;
            trailing_space |= last;
            break_space |= prev_break;
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= first;
            trailing_break |= last;
            space_break |= prev_space;
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = matches!(c, ' ' | '\t' | '\0') || is_break(c);
        first = false;
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain: true,
        single_quoted: true,
        block: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain = false;
    }
    if trailing_space {
        a.block = false;
    }
    if break_space {
        a.block_plain = false;
        a.single_quoted = false;
    }
    if space_break || special {
        a.block_plain = false;
        a.single_quoted = false;
        a.block = false;
    }
    if line_breaks || block_indicators {
        a.block_plain = false;
    }
    a
}

/// go-yaml v2's choice for a string: literal if it has a newline, plain if it
/// would read back as a string, else double-quoted.
fn string_style(s: &str) -> Style {
    if s.contains('\n') {
        Style::Literal
    } else if resolves_to_str_v2(s) && !is_base60_float(s) {
        Style::Plain
    } else {
        Style::Double
    }
}

/// Whether go-yaml v2's `resolve("", s)` yields `!!str` (YAML 1.1 rules).
fn resolves_to_str_v2(s: &str) -> bool {
    let Some(&first) = s.as_bytes().first() else {
        return false; // "" is null
    };
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "n" | "N" | "no" | "No" | "NO" | "true" | "True"
        | "TRUE" | "false" | "False" | "FALSE" | "on" | "On" | "ON" | "off" | "Off" | "OFF"
        | "~" | "null" | "Null" | "NULL" | ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF"
        | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF" => return false,
        _ => {}
    }
    match first {
        b'.' => go_parse_float(s).is_none(),
        b'0'..=b'9' | b'+' | b'-' => parse_timestamp(s).is_none() && resolve_number(s).is_none(),
        _ => true,
    }
}

/// go-yaml v2.4's `isBase60Float`:
/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        // `[0-5]?[0-9]`: one digit, or two with the first in 0-5.
        match (b.get(i), b.get(i + 1)) {
            (Some(d0 @ b'0'..=b'5'), Some(b'0'..=b'9')) if d0.is_ascii_digit() => i += 2,
            (Some(b'0'..=b'9'), _) => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// A JSON number as go-yaml v2 prints it after the JSON round trip.
fn number_text(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    let json = go::json_float(f);
    // go-yaml v2 reads the JSON text back: integral text becomes an int.
    if !json.contains(['.', 'e']) {
        if let Some(i) = go_parse_int(&json, 10) {
            return i.to_string();
        }
        if json.parse::<u64>().is_ok() {
            return json;
        }
    }
    go::format_g(f)
}

/// The text a scalar has as an annotation value: kustomize turns every
/// annotation into the string of its YAML node, and a node decoded from
/// JSON (after a JSON patch, or a value without source text) holds the
/// JSON text. `None` for lists and maps.
pub(crate) fn annotation_text(v: &Value) -> Option<String> {
    Some(match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (_, Some(u)) => u.to_string(),
            _ => go::json_float(n.as_f64().unwrap_or(0.0)),
        },
        Value::Array(_) | Value::Object(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn basic_layout() {
        let v = json!({"b": [1, {"x": "y", "a": []}], "a": {"c": {}}, "s": "multi\nline\n"});
        assert_eq!(
            to_string(&v),
            "a:\n  c: {}\nb:\n- 1\n- a: []\n  x: \"y\"\ns: |\n  multi\n  line\n"
        );
    }

    #[test]
    fn floats() {
        let f = |x: f64| number_text(&Number::from_f64(x).unwrap());
        assert_eq!(f(1.0), "1");
        assert_eq!(f(1.5), "1.5");
        assert_eq!(f(1e21), "1e+21");
        assert_eq!(f(1e20), "1e+20");
        assert_eq!(f(1234567.5), "1.2345675e+06");
        assert_eq!(f(1e-7), "1e-07");
        assert_eq!(f(-0.0), "0");
        assert_eq!(f(0.5), "0.5");
        assert_eq!(f(1e19), "10000000000000000000");
    }

    #[test]
    fn quoting() {
        for (s, want) in [
            ("yes", "\"yes\""),
            ("1:20", "\"1:20\""),
            ("", "\"\""),
            ("a: b", "'a: b'"),
            ("- x", "'- x'"),
            (" x", "' x'"),
            ("tab\there", "\"tab\\there\""),
            ("😀", "\"\\U0001F600\""),
            ("<<", "<<"),
            ("2020-01-01", "\"2020-01-01\""),
        ] {
            assert_eq!(to_string(&json!({ "k": s })), format!("k: {want}\n"), "{s}");
        }
    }
}
