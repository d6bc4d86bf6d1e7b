//! The value kustomize prints for a folded block scalar (`>`).
//!
//! kustomize turns an object into JSON by writing its nodes with go-yaml v3
//! and reading the text back (kyaml's `MarshalJSON`), so a folded scalar
//! keeps its style until it is printed. go-yaml v3's folded writer looks at
//! the start of the value where libyaml looks after the current line break:
//! it writes an extra line break after every line that does not start with
//! a blank, which reads back as one more line break before a more-indented
//! line and at the end of a keep-chomped (`>+`) value. It also wraps lines
//! at 80 columns, which reads back differently for a more-indented line; as
//! that depends on how deep kyaml writes the node, such a value is an error.

/// The value read back, or an error when it depends on the nesting depth.
pub fn kustomize_value(value: &str) -> Result<String, String> {
    let shallow = round_trip(value, 2)?;
    for indent in [20, 40, 60] {
        if round_trip(value, indent)? != shallow {
            return Err("kustomize re-wraps this folded block scalar (`>`) at 80 columns in a way that depends on how deeply it is nested, and kcompile cannot reproduce it; write it as a literal block scalar (`|`)".into());
        }
    }
    Ok(shallow)
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// go-yaml v3's `yaml_emitter_write_folded_scalar` with its block hints,
/// as the value of a mapping key whose content is indented `indent`.
fn write_folded(value: &str, indent: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    let pad = " ".repeat(indent);
    let mut out = format!("{}k: >", " ".repeat(indent - 2));
    if chars.first().is_some_and(|&c| c == ' ' || is_break(c)) {
        out.push('2');
    }
    match chars.as_slice() {
        [] => out.push('-'),
        [.., last] if !is_break(*last) => out.push('-'),
        [_] => out.push('+'),
        [.., prev, _] if is_break(*prev) => out.push('+'),
        _ => {}
    }
    out.push('\n');
    // The check libyaml makes after each line break, made at the start.
    let extra = chars
        .iter()
        .find(|c| !is_break(**c))
        .is_some_and(|c| !is_blank(*c));
    let (mut column, mut breaks, mut leading_spaces) = (0, true, true);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_break(c) {
            if !breaks && !leading_spaces && c == '\n' && extra {
                out.push('\n');
            }
            out.push(c);
            column = 0;
            breaks = true;
        } else {
            if breaks {
                out.push_str(&pad);
                column = indent;
                leading_spaces = is_blank(c);
            }
            if !breaks && c == ' ' && chars.get(i + 1) != Some(&' ') && column > 80 {
                out.push('\n');
                out.push_str(&pad);
                column = indent;
            } else {
                out.push(c);
                column += 1;
            }
            breaks = false;
        }
        i += 1;
    }
    out
}

fn round_trip(value: &str, indent: usize) -> Result<String, String> {
    let text = write_folded(value, indent);
    let docs = super::parse_stream(&text).map_err(|e| e.message.clone())?;
    let v = docs.into_iter().next().map(|d| d.value);
    v.as_ref()
        .and_then(|v| v.get("k"))
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .ok_or_else(|| "a folded block scalar did not read back as a string".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Values observed from kustomize v5.5 (kubectl kustomize).
    #[test]
    fn reads_back_as_kustomize_prints() {
        assert_eq!(kustomize_value("a\n\n").unwrap(), "a\n\n\n");
        assert_eq!(kustomize_value("a\n").unwrap(), "a\n");
        assert_eq!(kustomize_value("a b\n").unwrap(), "a b\n");
        assert_eq!(kustomize_value("a\n more\nb\n").unwrap(), "a\n\n more\nb\n");
        assert_eq!(kustomize_value("a\nb").unwrap(), "a\nb");
        assert_eq!(kustomize_value(" lead\nmore\n").unwrap(), " lead\nmore\n");
    }

    #[test]
    fn a_long_more_indented_line_is_refused() {
        let v = format!("a\n {}\n", "word ".repeat(20));
        assert!(kustomize_value(&v).is_err());
        let long = "word ".repeat(30);
        assert_eq!(kustomize_value(long.trim()).unwrap(), long.trim());
    }
}
