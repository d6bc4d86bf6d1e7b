//! Kubernetes resource quantities (`500m`, `1Gi`, `1e3`, `0.5`), compared by
//! value: the API server stores `1000m` as `1` and `1024Mi` as `1Gi`, so a
//! textual comparison would report changes that are not there.

use serde_json::Value;

/// A quantity as `mantissa * 10^exp10 * 2^exp2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Q {
    mantissa: i128,
    exp10: i32,
    exp2: i32,
}

fn parse(s: &str) -> Option<Q> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let (neg, rest) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let num_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (num, suffix) = rest.split_at(num_end);
    if num.is_empty() || num == "." || num.matches('.').count() > 1 {
        return None;
    }
    let (int_part, frac_part) = num.split_once('.').unwrap_or((num, ""));
    let digits = format!("{int_part}{frac_part}");
    if digits.len() > 30 {
        return None;
    }
    let mut mantissa: i128 = digits.parse().ok()?;
    if neg {
        mantissa = -mantissa;
    }
    let mut exp10 = -(frac_part.len() as i32);
    let mut exp2 = 0;
    match suffix {
        "" => {}
        "n" => exp10 -= 9,
        "u" => exp10 -= 6,
        "m" => exp10 -= 3,
        "k" => exp10 += 3,
        "M" => exp10 += 6,
        "G" => exp10 += 9,
        "T" => exp10 += 12,
        "P" => exp10 += 15,
        "E" => exp10 += 18,
        "Ki" => exp2 += 10,
        "Mi" => exp2 += 20,
        "Gi" => exp2 += 30,
        "Ti" => exp2 += 40,
        "Pi" => exp2 += 50,
        "Ei" => exp2 += 60,
        s if s.starts_with(['e', 'E']) => {
            let e: i32 = s[1..].parse().ok()?;
            if e.abs() > 30 {
                return None;
            }
            exp10 += e;
        }
        _ => return None,
    }
    Some(Q {
        mantissa,
        exp10,
        exp2,
    })
}

fn scale(m: i128, exp10: i32, exp2: i32) -> Option<i128> {
    let mut v = m;
    for _ in 0..exp10 {
        v = v.checked_mul(10)?;
    }
    for _ in 0..exp2 {
        v = v.checked_mul(2)?;
    }
    Some(v)
}

fn equal(a: Q, b: Q) -> bool {
    let e10 = a.exp10.min(b.exp10);
    let e2 = a.exp2.min(b.exp2);
    match (
        scale(a.mantissa, a.exp10 - e10, a.exp2 - e2),
        scale(b.mantissa, b.exp10 - e10, b.exp2 - e2),
    ) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Whether two JSON scalars denote the same quantity (`"1000m"` and `1`,
/// `"1024Mi"` and `"1Gi"`). False when either is not a quantity.
pub fn same_quantity(a: &Value, b: &Value) -> bool {
    match (as_text(a), as_text(b)) {
        (Some(x), Some(y)) => match (parse(&x), parse(&y)) {
            (Some(p), Some(q)) => equal(p, q),
            _ => false,
        },
        _ => false,
    }
}

/// Keys whose values (or whose map's values) are quantities.
const QUANTITY_MAPS: &[&str] = &[
    "limits",
    "requests",
    "hard",
    "used",
    "capacity",
    "allocatable",
    "overhead",
    "default",
    "defaultRequest",
    "max",
    "min",
    "maxLimitRequestRatio",
];
const QUANTITY_KEYS: &[&str] = &["sizeLimit", "storage"];

/// Whether the value at `path` (object keys from the root) holds a quantity.
pub fn is_quantity_path(path: &[String]) -> bool {
    let Some(last) = path.last() else {
        return false;
    };
    if QUANTITY_KEYS.contains(&last.as_str()) {
        return true;
    }
    path.len() >= 2 && QUANTITY_MAPS.contains(&path[path.len() - 2].as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_quantities() {
        for (a, b) in [
            (json!("1000m"), json!("1")),
            (json!("1000m"), json!(1)),
            (json!("1024Mi"), json!("1Gi")),
            (json!("0.5"), json!("500m")),
            (json!("1k"), json!("1000")),
            (json!("1e3"), json!("1k")),
            (json!("1.5Gi"), json!("1536Mi")),
            (json!("128974848"), json!("123Mi")),
            (json!("100M"), json!("100000k")),
        ] {
            assert!(same_quantity(&a, &b), "{a} == {b}");
        }
    }

    #[test]
    fn different_quantities() {
        for (a, b) in [
            (json!("1"), json!("2")),
            (json!("1Gi"), json!("1G")),
            (json!("500m"), json!("0.4")),
            (json!("abc"), json!("abc")),
            (json!("1Gi"), json!(true)),
            (json!("1.2.3"), json!("1.2.3")),
        ] {
            assert!(!same_quantity(&a, &b), "{a} != {b}");
        }
    }

    #[test]
    fn quantity_paths() {
        let p = |s: &str| s.split('.').map(String::from).collect::<Vec<_>>();
        assert!(is_quantity_path(&p("resources.limits.cpu")));
        assert!(is_quantity_path(&p("spec.hard.pods")));
        assert!(is_quantity_path(&p("emptyDir.sizeLimit")));
        assert!(!is_quantity_path(&p("env.value")));
        assert!(!is_quantity_path(&p("limits")));
    }
}
