//! A minimal element tree over quick-xml that keeps byte offsets, for `pom.xml` analysis (line
//! numbers) and minimal text edits.

use quick_xml::events::Event;
use quick_xml::Reader;

/// An element with its children and the span of its (trimmed) text content.
#[derive(Debug, Default)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) children: Vec<Element>,
    pub(crate) text: String,
    /// Byte span of the trimmed text inside the element (empty span at the content start when
    /// there is no text).
    pub(crate) text_span: (usize, usize),
    /// Offset of the `<` of the start tag.
    pub(crate) start: usize,
    /// Offset just past the end tag.
    pub(crate) end: usize,
    /// Offset of the `<` of the end tag (where content ends).
    pub(crate) content_end: usize,
}

impl Element {
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(crate) fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub(crate) fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    /// Follows a path of child names.
    pub(crate) fn path(&self, names: &[&str]) -> Option<&Element> {
        let mut cur = self;
        for n in names {
            cur = cur.child(n)?;
        }
        Some(cur)
    }
}

/// Parses a document and returns its root element; the error names the byte offset.
pub(crate) fn parse(text: &str) -> Result<Element, (usize, String)> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_event().map_err(|e| {
            (
                usize::try_from(reader.error_position()).unwrap_or(0),
                e.to_string(),
            )
        })?;
        let after = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        match event {
            Event::Start(e) => {
                // The stack holds the document node too.
                if stack.len() > crate::limits::MAX_NESTING {
                    return Err((before, crate::limits::too_deep()));
                }
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                stack.push(Element {
                    name,
                    start: before,
                    text_span: (after, after),
                    ..Element::default()
                });
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let el = Element {
                    name,
                    start: before,
                    end: after,
                    content_end: after,
                    text_span: (after, after),
                    ..Element::default()
                };
                stack
                    .last_mut()
                    .ok_or((before, "unbalanced tags".to_string()))?
                    .children
                    .push(el);
            }
            Event::End(_) => {
                let mut el = stack.pop().ok_or((before, "unbalanced tags".to_string()))?;
                el.end = after;
                el.content_end = before;
                stack
                    .last_mut()
                    .ok_or((before, "unexpected end tag".to_string()))?
                    .children
                    .push(el);
                if stack.is_empty() {
                    return Err((before, "unexpected end tag".into()));
                }
            }
            Event::Text(t) => {
                // quick-xml skips a byte order mark by itself, so an event may start inside
                // one: such text has no span.
                let raw = text.get(before..after).unwrap_or("");
                let value = t.unescape().map_err(|e| (before, e.to_string()))?;
                if let Some(top) = stack.last_mut() {
                    if !raw.trim().is_empty() && top.text.trim().is_empty() {
                        let lead = raw.len() - raw.trim_start().len();
                        top.text_span = (before + lead, before + lead + raw.trim().len());
                    }
                    top.text.push_str(value.trim());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err((text.len(), "unclosed element at end of file".into()));
    }
    let doc = stack.pop().ok_or((0, "empty document".to_string()))?;
    doc.children
        .into_iter()
        .next()
        .ok_or((0, "no root element".to_string()))
}

#[cfg(test)]
mod tests;
