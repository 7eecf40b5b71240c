//! A minimal element tree over quick-xml that keeps byte offsets, for `pom.xml` and MSBuild/NuGet
//! file analysis (line numbers) and minimal text edits of element text and attribute values.

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
    /// The start tag's attributes, in order.
    pub(crate) attributes: Vec<Attribute>,
}

/// One attribute of a start tag, with the span of its value (inside the quotes).
#[derive(Debug, Default)]
pub(crate) struct Attribute {
    /// Local name (any prefix dropped).
    pub(crate) name: String,
    /// Unescaped value.
    pub(crate) value: String,
    /// Byte span of the raw value in the document.
    pub(crate) span: (usize, usize),
}

impl Element {
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(crate) fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The attribute `name`, compared case-insensitively as MSBuild does.
    pub(crate) fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// Every descendant element named `name`, in document order.
    pub(crate) fn descendants_named<'a>(&'a self, name: &'a str, out: &mut Vec<&'a Element>) {
        for c in &self.children {
            if c.name == name {
                out.push(c);
            }
            c.descendants_named(name, out);
        }
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
                    attributes: attributes(text, before, after)?,
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
                    attributes: attributes(text, before, after)?,
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

/// The attributes of the start tag at `text[start..end]` (`<name a="1" b='2'>` or `/>`).
fn attributes(text: &str, start: usize, end: usize) -> Result<Vec<Attribute>, (usize, String)> {
    let bytes = text.as_bytes();
    let end = end.min(bytes.len());
    let mut i = start;
    // Skip `<` and the element name.
    while i < end && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'>' | b'/') {
        i += 1;
    }
    let mut out = Vec::new();
    loop {
        while i < end && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= end || matches!(bytes[i], b'>' | b'/' | b'?') {
            return Ok(out);
        }
        let name_start = i;
        while i < end && !bytes[i].is_ascii_whitespace() && bytes[i] != b'=' {
            i += 1;
        }
        // The tag's end as the reader reports it may fall inside a character of malformed text.
        let Some(name) = text.get(name_start..i) else {
            return Err((name_start, "a tag ends inside a character".to_owned()));
        };
        while i < end && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        // Only the tag's own bytes count: the text after `end` belongs to the next node.
        let tag = &bytes[..end];
        if tag.get(i) != Some(&b'=') {
            return Err((i, format!("attribute `{name}` has no value")));
        }
        i += 1;
        while i < end && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let quote = match tag.get(i) {
            Some(q @ (b'"' | b'\'')) => *q,
            _ => return Err((i, format!("the value of attribute `{name}` is not quoted"))),
        };
        let value_start = i + 1;
        let Some(len) = bytes[value_start..end].iter().position(|&b| b == quote) else {
            return Err((i, format!("the value of attribute `{name}` is not closed")));
        };
        let raw = &text[value_start..value_start + len];
        let value = quick_xml::escape::unescape(raw)
            .map_err(|e| (value_start, e.to_string()))?
            .into_owned();
        let local = name.rsplit_once(':').map_or(name, |(_, l)| l);
        out.push(Attribute {
            name: local.to_string(),
            value,
            span: (value_start, value_start + len),
        });
        i = value_start + len + 1;
    }
}

#[cfg(test)]
mod tests;
