//! The string formats the Kubernetes API server enforces (k8s.io/apimachinery
//! `util/validation`, `api/resource`): DNS names, label keys and values,
//! port names, percentages and quantities. Each check returns why a value
//! fails, in words a person can act on. Lengths are in bytes, as the
//! server counts them.

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`: the body of a DNS-1123 label.
fn is_label_body(s: &str) -> bool {
    let b = s.as_bytes();
    let inner = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && inner(&b[0])
        && inner(&b[b.len() - 1])
        && b.iter().all(|c| inner(c) || *c == b'-')
}

/// A DNS-1123 label: Namespace, Service and StatefulSet names, container,
/// volume and Service port names.
pub fn dns1123_label(s: &str) -> Result<(), String> {
    if s.len() > 63 {
        return Err(format!("is {} characters long; at most 63", s.len()));
    }
    if is_label_body(s) {
        return Ok(());
    }
    if dns1123_subdomain(s).is_ok() {
        return Err("must not contain dots".into());
    }
    Err(LABEL_RULE.into())
}

const LABEL_RULE: &str =
    "must be lowercase letters, digits and '-', starting and ending with a letter or digit";
const SUBDOMAIN_RULE: &str = "must be lowercase letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit";

/// A DNS-1123 subdomain: most object names, label key prefixes.
pub fn dns1123_subdomain(s: &str) -> Result<(), String> {
    if s.len() > 253 {
        return Err(format!("is {} characters long; at most 253", s.len()));
    }
    if s.split('.').all(is_label_body) {
        Ok(())
    } else {
        Err(SUBDOMAIN_RULE.into())
    }
}

/// A name usable as one URL path segment: every object name must be one.
pub fn path_segment(s: &str) -> Result<(), String> {
    if s == "." || s == ".." {
        return Err(format!("may not be '{s}'"));
    }
    for bad in ["/", "%"] {
        if s.contains(bad) {
            return Err(format!("may not contain '{bad}'"));
        }
    }
    Ok(())
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`: a label key's name part and
/// a non-empty label value.
fn is_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    let edge = |c: &u8| c.is_ascii_alphanumeric();
    !b.is_empty()
        && edge(&b[0])
        && edge(&b[b.len() - 1])
        && b.iter().all(|c| edge(c) || matches!(c, b'-' | b'_' | b'.'))
}

const NAME_PART_RULE: &str =
    "must be letters, digits, '-', '_' and '.', starting and ending with a letter or digit";

/// A label key (a "qualified name"): `[prefix/]name`, the prefix a DNS
/// subdomain, the name at most 63 characters.
pub fn label_key(s: &str) -> Result<(), String> {
    let parts: Vec<&str> = s.split('/').collect();
    let name = match parts.as_slice() {
        [name] => name,
        [prefix, name] => {
            if prefix.is_empty() {
                return Err("has an empty prefix before '/'".into());
            }
            if let Err(e) = dns1123_subdomain(prefix) {
                return Err(format!("prefix `{prefix}` {e}"));
            }
            name
        }
        _ => {
            return Err(
                "may contain at most one '/' (an optional DNS-subdomain prefix, then a name)"
                    .into(),
            )
        }
    };
    if name.is_empty() {
        return Err("has an empty name part".into());
    }
    if name.len() > 63 {
        return Err(format!(
            "name part is {} characters long; at most 63",
            name.len()
        ));
    }
    if !is_name_part(name) {
        return Err(format!("name part {NAME_PART_RULE}"));
    }
    Ok(())
}

/// A label value: empty, or at most 63 letters, digits, `-`, `_`, `.`,
/// starting and ending with a letter or digit.
pub fn label_value(s: &str) -> Result<(), String> {
    if s.len() > 63 {
        return Err(format!("is {} characters long; at most 63", s.len()));
    }
    if s.is_empty() || is_name_part(s) {
        Ok(())
    } else {
        Err(format!("{NAME_PART_RULE} (or be empty)"))
    }
}

/// An annotation key: a label key, case aside.
pub fn annotation_key(s: &str) -> Result<(), String> {
    label_key(&s.to_ascii_lowercase())
}

/// The most bytes of annotation keys and values one object may carry.
pub const ANNOTATIONS_MAX: usize = 256 * 1024;

/// An IANA service name: a named container port or a `targetPort` name.
pub fn port_name(s: &str) -> Result<(), String> {
    if s.len() > 15 {
        return Err(format!("is {} characters long; at most 15", s.len()));
    }
    if !s
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        return Err("must be lowercase letters, digits and '-'".into());
    }
    if !s.bytes().any(|c| c.is_ascii_lowercase()) {
        return Err("must contain at least one letter".into());
    }
    if s.contains("--") {
        return Err("must not contain '--'".into());
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Err("must not start or end with '-'".into());
    }
    Ok(())
}

/// A port number: 1 to 65535.
pub fn port_number(n: i64) -> Result<(), String> {
    if (1..=65535).contains(&n) {
        Ok(())
    } else {
        Err("must be between 1 and 65535".into())
    }
}

/// `[0-9]+%`.
pub fn percent(s: &str) -> Result<(), String> {
    match s.strip_suffix('%') {
        Some(d) if !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()) => Ok(()),
        _ => Err("must be a whole number followed by '%' (e.g. \"25%\")".into()),
    }
}

/// A parsed quantity's sign, as far as validation needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    /// Below zero (a `-` sign and a non-zero digit).
    pub negative: bool,
}

/// What a quantity looks like, for hints.
pub const QUANTITY_RULE: &str = "a quantity is a number with an optional suffix: m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent (e.g. 500m, 1.5Gi, 1e3)";

/// A resource quantity in the API server's grammar (`resource.ParseQuantity`
/// after trimming surrounding space): sign, digits, optional fraction, then
/// a suffix that is a binary-SI unit, a decimal-SI unit or `e`/`E` with an
/// integer exponent.
pub fn quantity(s: &str) -> Result<Quantity, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("is empty, not a quantity".into());
    }
    let b = s.as_bytes();
    let mut pos = 0;
    let negative_sign = b[0] == b'-';
    if b[0] == b'-' || b[0] == b'+' {
        pos = 1;
    }
    let digits_start = pos;
    while pos < b.len() && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos < b.len() && b[pos] == b'.' {
        pos += 1;
        while pos < b.len() && b[pos].is_ascii_digit() {
            pos += 1;
        }
    }
    let number = &s[digits_start..pos];
    let negative = negative_sign && number.bytes().any(|c| matches!(c, b'1'..=b'9'));
    let suffix_start = pos;
    while pos < b.len() && b"eEinumkKMGTP".contains(&b[pos]) {
        pos += 1;
    }
    if pos < b.len() && (b[pos] == b'-' || b[pos] == b'+') {
        pos += 1;
    }
    while pos < b.len() && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos < b.len() {
        return Err("is not a quantity".into());
    }
    let suffix = &s[suffix_start..];
    let ok = matches!(
        suffix,
        "" | "n"
            | "u"
            | "m"
            | "k"
            | "M"
            | "G"
            | "T"
            | "P"
            | "E"
            | "Ki"
            | "Mi"
            | "Gi"
            | "Ti"
            | "Pi"
            | "Ei"
    ) || (suffix.len() > 1
        && (suffix.starts_with('e') || suffix.starts_with('E'))
        && suffix[1..].parse::<i64>().is_ok());
    if ok {
        Ok(Quantity { negative })
    } else {
        Err(format!("is not a quantity: unknown suffix `{suffix}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names() {
        for ok in ["a", "web", "1web", "a-b", &"a".repeat(63)] {
            assert!(dns1123_label(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Web", "web_app", "-web", "web-", "a.b", &"a".repeat(64)] {
            assert!(dns1123_label(bad).is_err(), "{bad}");
        }
        assert_eq!(dns1123_label("a.b").unwrap_err(), "must not contain dots");
        for ok in ["a.b", "app.settings.v1", &"a".repeat(253), "1.2"] {
            assert!(dns1123_subdomain(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "A.b",
            "a..b",
            ".a",
            "a.",
            "a_b",
            "a.-b",
            &"a".repeat(254),
        ] {
            assert!(dns1123_subdomain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn path_segments() {
        for ok in ["Team_Reader", "system:reader", "a b", "a.b"] {
            assert!(path_segment(ok).is_ok(), "{ok}");
        }
        for bad in [".", "..", "a/b", "50%"] {
            assert!(path_segment(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn label_keys_and_values() {
        for ok in [
            "app",
            "app.kubernetes.io/name",
            "My_Key.1",
            "example.com/X",
            &"k".repeat(63),
        ] {
            assert!(label_key(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/a",
            "a/",
            "a/b/c",
            "Example.com/a",
            "app tier",
            "-a",
            &"k".repeat(64),
            &format!("{}/a", "p".repeat(254)),
        ] {
            assert!(label_key(bad).is_err(), "{bad}");
        }
        for ok in ["", "v", "Front_End.v-1", &"v".repeat(63)] {
            assert!(label_value(ok).is_ok(), "{ok}");
        }
        for bad in ["front end", "-a", "a-", "a/b", &"v".repeat(64), "é"] {
            assert!(label_value(bad).is_err(), "{bad}");
        }
        assert!(annotation_key("Example.com/Owner").is_ok());
        assert!(annotation_key("owner team").is_err());
    }

    #[test]
    fn port_names_and_numbers() {
        for ok in ["http", "h2c", "web-ui", "a1234567890bcde"] {
            assert!(port_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "HTTP",
            "8080",
            "http--x",
            "-http",
            "http-",
            "http-metrics-port",
            "",
        ] {
            assert!(port_name(bad).is_err(), "{bad}");
        }
        assert!(port_number(1).is_ok() && port_number(65535).is_ok());
        assert!(port_number(0).is_err() && port_number(65536).is_err());
    }

    #[test]
    fn percents() {
        assert!(percent("25%").is_ok() && percent("0%").is_ok());
        for bad in ["25", "%", "2.5%", "-1%", "25 %"] {
            assert!(percent(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn quantities() {
        for ok in [
            "1", "0", "500m", "1.5Gi", "+2Gi", "1e3", "1E-3", "0.5", ".5", "1.", " 1Gi ", "100Ki",
            "-1", "2e+3", "5n", "1u", "10k", "e3", "Gi", ".",
        ] {
            assert!(quantity(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "1GB", "one", "10 Gi", "1e3m", "1.5.5", "1Gb", "1i", "1e", "Gi1",
        ] {
            assert!(quantity(bad).is_err(), "{bad}");
        }
        assert!(quantity("-128Mi").unwrap().negative);
        assert!(!quantity("-0").unwrap().negative);
        assert!(!quantity("128Mi").unwrap().negative);
    }
}
