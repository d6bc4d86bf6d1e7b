//! Finding where a value sits in YAML text, for error messages: the parsed
//! values carry no positions, so the text is walked again, on error only.

use crate::path::Step;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::Marker;

/// The 1-based line and column of the node at `path` in document `doc`
/// (0-based) of `text`: of the key, for a mapping entry. Where the path
/// cannot be followed to the end (an alias, a merge key), the deepest node
/// reached; `None` when not even the document is found.
pub fn locate(text: &str, doc: usize, path: &[Step]) -> Option<(usize, usize)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut w = Walker {
        p: Parser::new_from_str(text),
    };
    let mut seen = 0;
    loop {
        match w.next()?.0 {
            Event::DocumentStart if seen == doc => break,
            Event::DocumentStart => seen += 1,
            Event::StreamEnd => return None,
            _ => {}
        }
    }
    let (ev, mark) = w.next()?;
    Some(w.node(ev, mark, path, None))
}

/// [`locate`] in the document whose content starts on `line` (1-based):
/// the line an object's origin records.
pub fn locate_at_line(text: &str, line: usize, path: &[Step]) -> Option<(usize, usize)> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut w = Walker {
        p: Parser::new_from_str(body),
    };
    let mut doc = 0;
    let mut seen = 0;
    loop {
        match w.next()?.0 {
            Event::DocumentStart => {
                let (ev, mark) = w.next()?;
                if mark.line() <= line {
                    doc = seen;
                } else {
                    break;
                }
                seen += 1;
                w.skip(ev)?;
            }
            Event::StreamEnd => break,
            _ => {}
        }
    }
    locate(text, doc, path)
}

fn pos(m: Marker) -> (usize, usize) {
    (m.line(), m.col() + 1)
}

struct Walker<'a> {
    p: Parser<std::str::Chars<'a>>,
}

impl Walker<'_> {
    fn next(&mut self) -> Option<(Event, Marker)> {
        self.p.next_token().ok()
    }

    /// Follow `path` from the node that starts with `ev` at `mark`; the
    /// position reached (a mapping's is that of its first key: the parser
    /// marks a block mapping's start after it). A key the mapping lacks
    /// gives the key that led to the mapping (`parent`), where there is one.
    fn node(
        &mut self,
        ev: Event,
        mark: Marker,
        path: &[Step],
        parent: Option<(usize, usize)>,
    ) -> (usize, usize) {
        let Some((seg, rest)) = path.split_first() else {
            if matches!(ev, Event::MappingStart(..)) {
                if let Some((k, kmark)) = self.next() {
                    if !matches!(k, Event::MappingEnd) {
                        return pos(kmark);
                    }
                }
            }
            return pos(mark);
        };
        match (ev, seg) {
            (Event::MappingStart(..), Step::Key(want)) => {
                let mut here = parent.unwrap_or(pos(mark));
                let mut first = parent.is_none();
                loop {
                    let Some((k, kmark)) = self.next() else {
                        return here;
                    };
                    if matches!(k, Event::MappingEnd) {
                        return here;
                    }
                    if first {
                        here = pos(kmark);
                        first = false;
                    }
                    let hit = matches!(&k, Event::Scalar(s, ..) if s == want);
                    if !hit && self.skip(k).is_none() {
                        return here;
                    }
                    let Some((v, vmark)) = self.next() else {
                        return here;
                    };
                    if hit {
                        return match (rest.is_empty(), &v) {
                            (true, _) => pos(kmark),
                            (false, Event::MappingStart(..) | Event::SequenceStart(..)) => {
                                self.node(v, vmark, rest, Some(pos(kmark)))
                            }
                            (false, Event::Alias(_)) => pos(vmark),
                            (false, _) => pos(kmark),
                        };
                    }
                    if self.skip(v).is_none() {
                        return here;
                    }
                }
            }
            (Event::SequenceStart(..), Step::Index(want)) => {
                let mut i = 0;
                loop {
                    let Some((v, vmark)) = self.next() else {
                        return pos(mark);
                    };
                    if matches!(v, Event::SequenceEnd) {
                        return pos(mark);
                    }
                    if i == *want {
                        return self.node(v, vmark, rest, None);
                    }
                    if self.skip(v).is_none() {
                        return pos(mark);
                    }
                    i += 1;
                }
            }
            _ => pos(mark),
        }
    }

    /// Consume the rest of the node that starts with `ev`.
    fn skip(&mut self, ev: Event) -> Option<()> {
        let mut depth = match ev {
            Event::MappingStart(..) | Event::SequenceStart(..) => 1usize,
            _ => return Some(()),
        };
        while depth > 0 {
            match self.next()?.0 {
                Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
                Event::MappingEnd | Event::SequenceEnd => depth -= 1,
                Event::StreamEnd => return None,
                _ => {}
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Step {
        Step::Key(s.into())
    }

    #[test]
    fn finds_nested_keys_and_items() {
        let text = "resources:\n- a.yaml\nimages:\n- name: a\n- name: b\n  newTg: \"2\"\npatches: [{patch: x, target: {knd: D}}]\n";
        assert_eq!(
            locate(text, 0, &[k("images"), Step::Index(1), k("newTg")]),
            Some((6, 3))
        );
        assert_eq!(
            locate(text, 0, &[k("images"), Step::Index(1)]),
            Some((5, 3))
        );
        assert_eq!(
            locate(
                text,
                0,
                &[k("patches"), Step::Index(0), k("target"), k("knd")]
            ),
            Some((7, 31))
        );
        // Not there: the deepest node reached.
        assert_eq!(
            locate(text, 0, &[k("images"), Step::Index(0), k("zz")]),
            Some((4, 3))
        );
        assert_eq!(
            locate("---\na: 1\n---\nb: {c: 2}\n", 1, &[k("b"), k("c")]),
            Some((4, 5))
        );
        assert_eq!(locate("a: 1\n", 3, &[k("a")]), None);
    }

    #[test]
    fn aliases_stop_the_walk() {
        let text = "x: &t {kind: D}\npatches:\n- target: *t\n";
        assert_eq!(
            locate(
                text,
                0,
                &[k("patches"), Step::Index(0), k("target"), k("kind")]
            ),
            Some((3, 11))
        );
    }
}
