//! The rewriter's handlers: which ones a rewriter has (its [`Spec`]), the
//! snapshot of a node each hands JavaScript (an event), and the commands
//! JavaScript answers with, applied to the node.
//!
//! Events are lists, `[kind, index, …]`, `index` being the handler's place
//! in the spec (for an end tag, the id JavaScript gave its handler):
//! - element `[0, i, tagName, [name, value, …], namespaceURI, removed, hasEndTag, selfClosing]`
//! - comment `[1, i, text, removed]`
//! - text `[2, i, text, lastInTextNode, removed]`
//! - doctype `[3, i, name, publicId, systemId, removed]` (`null` for a missing part)
//! - document end `[4, i]`
//! - end tag `[5, id, name, removed]`
//!
//! Commands are lists `[code, …arguments]` with the codes of [`Command`].

use std::borrow::Cow;
use std::rc::Rc;
use std::str::FromStr;

use lol_html::html_content::{
    Comment, ContentType, Doctype, DocumentEnd, Element, EndTag, TextChunk,
};
use lol_html::{
    DocumentContentHandlers, ElementContentHandlers, HandlerResult, MemorySettings, Selector,
    Settings,
};
use motu_engine::{HostValue, JsError};

use super::{Stop, Suspender};

/// `on()` kinds.
pub(crate) const ELEMENT: u32 = 1;
/// `on()` and `onDocument()` kinds.
pub(crate) const COMMENTS: u32 = 2;
/// `on()` and `onDocument()` kinds.
pub(crate) const TEXT: u32 = 4;
/// `onDocument()` kinds.
pub(crate) const DOCTYPE: u32 = 8;
/// `onDocument()` kinds.
pub(crate) const END: u32 = 16;

/// The most memory lol-html may hold for one rewriter (what it buffers of a
/// tag split across input chunks, and its parser's state): past it, the
/// rewriting fails rather than grow outside the isolate's memory limit.
pub(crate) const MAX_BUFFERED: usize = 16 * 1024 * 1024;

/// The handlers of one rewriter, in the order they were added.
pub(crate) struct Spec(Vec<Entry>);

enum Entry {
    /// `on(selector, handlers)`.
    Element { selector: Selector, kinds: u32 },
    /// `onDocument(handlers)`.
    Document { kinds: u32 },
}

/// Parses a CSS selector as lol-html does; a `TypeError` when it cannot.
pub(crate) fn parse_selector(selector: &str) -> Result<Selector, JsError> {
    Selector::from_str(selector).map_err(|e| {
        JsError::type_error(format!("HTMLRewriter: invalid selector '{selector}': {e}"))
    })
}

impl Spec {
    /// Reads `[[0, selector, kinds] | [1, kinds], …]`.
    pub(crate) fn parse(value: Option<&HostValue>) -> Result<Self, JsError> {
        let bad = || JsError::type_error("html_new: the handler list is malformed");
        let list = value.and_then(HostValue::as_list).ok_or_else(bad)?;
        let mut entries = Vec::with_capacity(list.len());
        for item in list {
            let item = item.as_list().ok_or_else(bad)?;
            let number = |i: usize| item.get(i).and_then(HostValue::as_f64).map(|n| n as u32);
            entries.push(match number(0) {
                Some(0) => Entry::Element {
                    selector: parse_selector(
                        item.get(1).and_then(HostValue::as_str).ok_or_else(bad)?,
                    )?,
                    kinds: number(2).ok_or_else(bad)?,
                },
                Some(1) => Entry::Document {
                    kinds: number(1).ok_or_else(bad)?,
                },
                _ => return Err(bad()),
            });
        }
        Ok(Self(entries))
    }
}

/// lol-html's settings with a handler for each kind each entry has; each
/// hands its node to JavaScript through `suspender`.
pub(crate) fn settings(spec: &Spec, suspender: &Rc<Suspender>) -> Settings<'static, 'static> {
    let memory = MemorySettings::new().with_max_allowed_memory_usage(MAX_BUFFERED);
    let mut settings = Settings::new().with_memory_settings(memory);
    for (index, entry) in spec.0.iter().enumerate() {
        let index = index as f64;
        match entry {
            Entry::Element { selector, kinds } => {
                let mut handlers = ElementContentHandlers::default();
                if kinds & ELEMENT != 0 {
                    let s = suspender.clone();
                    handlers =
                        handlers.element(move |el: &mut Element<'_, '_>| on_element(&s, index, el));
                }
                if kinds & COMMENTS != 0 {
                    let s = suspender.clone();
                    handlers =
                        handlers.comments(move |c: &mut Comment<'_>| on_comment(&s, index, c));
                }
                if kinds & TEXT != 0 {
                    let s = suspender.clone();
                    handlers = handlers.text(move |t: &mut TextChunk<'_>| on_text(&s, index, t));
                }
                settings = settings
                    .append_element_content_handler((Cow::Owned(selector.clone()), handlers));
            }
            Entry::Document { kinds } => {
                let mut handlers = DocumentContentHandlers::default();
                if kinds & DOCTYPE != 0 {
                    let s = suspender.clone();
                    handlers =
                        handlers.doctype(move |d: &mut Doctype<'_>| on_doctype(&s, index, d));
                }
                if kinds & COMMENTS != 0 {
                    let s = suspender.clone();
                    handlers =
                        handlers.comments(move |c: &mut Comment<'_>| on_comment(&s, index, c));
                }
                if kinds & TEXT != 0 {
                    let s = suspender.clone();
                    handlers = handlers.text(move |t: &mut TextChunk<'_>| on_text(&s, index, t));
                }
                if kinds & END != 0 {
                    let s = suspender.clone();
                    handlers = handlers.end(move |e: &mut DocumentEnd<'_>| on_end(&s, index, e));
                }
                settings = settings.append_document_content_handler(handlers);
            }
        }
    }
    settings
}

fn string_or_null(s: Option<String>) -> HostValue {
    s.map_or(HostValue::Null, HostValue::String)
}

fn on_element(s: &Rc<Suspender>, index: f64, el: &mut Element<'_, '_>) -> HandlerResult {
    let mut attributes = Vec::with_capacity(el.attributes().len() * 2);
    for a in el.attributes() {
        attributes.push(HostValue::String(a.name()));
        attributes.push(HostValue::String(a.value()));
    }
    let event = HostValue::List(vec![
        HostValue::Number(0.0),
        HostValue::Number(index),
        HostValue::String(el.tag_name()),
        HostValue::List(attributes),
        HostValue::String(el.namespace_uri().to_owned()),
        HostValue::Bool(el.removed()),
        HostValue::Bool(el.end_tag_handlers().is_some()),
        HostValue::Bool(el.is_self_closing()),
    ]);
    for command in s.event(event)? {
        match Command::parse(&command)? {
            Command::SetName(name) => el.set_tag_name(&name).map_err(|e| Stop(e.to_string()))?,
            Command::SetAttribute(name, value) => el
                .set_attribute(&name, &value)
                .map_err(|e| Stop(e.to_string()))?,
            Command::RemoveAttribute(name) => el.remove_attribute(&name),
            Command::Before(c, t) => el.before(&c, t),
            Command::After(c, t) => el.after(&c, t),
            Command::Prepend(c, t) => el.prepend(&c, t),
            Command::Append(c, t) => el.append(&c, t),
            Command::Replace(c, t) => el.replace(&c, t),
            Command::SetInnerContent(c, t) => el.set_inner_content(&c, t),
            Command::Remove => el.remove(),
            Command::RemoveAndKeepContent => el.remove_and_keep_content(),
            Command::OnEndTag(id) => {
                let handlers = el
                    .end_tag_handlers()
                    .ok_or_else(|| Stop("the element has no end tag".into()))?;
                let s = s.clone();
                handlers.push(Box::new(move |end: &mut EndTag<'_>| {
                    on_end_tag(&s, id, end)
                }));
            }
            other => return Err(other.unsupported("an element")),
        }
    }
    Ok(())
}

fn on_end_tag(s: &Suspender, id: f64, end: &mut EndTag<'_>) -> HandlerResult {
    let event = HostValue::List(vec![
        HostValue::Number(5.0),
        HostValue::Number(id),
        HostValue::String(end.name()),
        HostValue::Bool(end.removed()),
    ]);
    for command in s.event(event)? {
        match Command::parse(&command)? {
            Command::SetName(name) => end.set_name_str(name),
            Command::Before(c, t) => end.before(&c, t),
            Command::After(c, t) => end.after(&c, t),
            Command::Replace(c, t) => end.replace(&c, t),
            Command::Remove => end.remove(),
            other => return Err(other.unsupported("an end tag")),
        }
    }
    Ok(())
}

fn on_comment(s: &Suspender, index: f64, c: &mut Comment<'_>) -> HandlerResult {
    let event = HostValue::List(vec![
        HostValue::Number(1.0),
        HostValue::Number(index),
        HostValue::String(c.text()),
        HostValue::Bool(c.removed()),
    ]);
    for command in s.event(event)? {
        match Command::parse(&command)? {
            Command::SetText(text) => c.set_text(&text).map_err(|e| Stop(e.to_string()))?,
            Command::Before(content, t) => c.before(&content, t),
            Command::After(content, t) => c.after(&content, t),
            Command::Replace(content, t) => c.replace(&content, t),
            Command::Remove => c.remove(),
            other => return Err(other.unsupported("a comment")),
        }
    }
    Ok(())
}

fn on_text(s: &Suspender, index: f64, t: &mut TextChunk<'_>) -> HandlerResult {
    let event = HostValue::List(vec![
        HostValue::Number(2.0),
        HostValue::Number(index),
        HostValue::String(t.as_str().to_owned()),
        HostValue::Bool(t.last_in_text_node()),
        HostValue::Bool(t.removed()),
    ]);
    for command in s.event(event)? {
        match Command::parse(&command)? {
            Command::Before(content, ty) => t.before(&content, ty),
            Command::After(content, ty) => t.after(&content, ty),
            Command::Replace(content, ty) => t.replace(&content, ty),
            Command::Remove => t.remove(),
            other => return Err(other.unsupported("a text chunk")),
        }
    }
    Ok(())
}

fn on_doctype(s: &Suspender, index: f64, d: &mut Doctype<'_>) -> HandlerResult {
    let event = HostValue::List(vec![
        HostValue::Number(3.0),
        HostValue::Number(index),
        string_or_null(d.name()),
        string_or_null(d.public_id()),
        string_or_null(d.system_id()),
        HostValue::Bool(d.removed()),
    ]);
    for command in s.event(event)? {
        match Command::parse(&command)? {
            Command::Remove => d.remove(),
            other => return Err(other.unsupported("a doctype")),
        }
    }
    Ok(())
}

fn on_end(s: &Suspender, index: f64, e: &mut DocumentEnd<'_>) -> HandlerResult {
    let event = HostValue::List(vec![HostValue::Number(4.0), HostValue::Number(index)]);
    for command in s.event(event)? {
        match Command::parse(&command)? {
            Command::Append(content, t) => e.append(&content, t),
            other => return Err(other.unsupported("the document end")),
        }
    }
    Ok(())
}

/// What a handler asked for, by code (the first item of its list).
enum Command {
    /// 0: the element's tag name, the end tag's name.
    SetName(String),
    /// 1.
    SetAttribute(String, String),
    /// 2.
    RemoveAttribute(String),
    /// 3: `[3, content, html]`.
    Before(String, ContentType),
    /// 4.
    After(String, ContentType),
    /// 5.
    Prepend(String, ContentType),
    /// 6.
    Append(String, ContentType),
    /// 7.
    Replace(String, ContentType),
    /// 8.
    SetInnerContent(String, ContentType),
    /// 9.
    Remove,
    /// 10.
    RemoveAndKeepContent,
    /// 11: `[11, id]`, a handler for the element's end tag.
    OnEndTag(f64),
    /// 12: a comment's text.
    SetText(String),
}

impl Command {
    fn parse(value: &HostValue) -> Result<Self, Stop> {
        let bad = || Stop("a handler's command is malformed".into());
        let items = value.as_list().ok_or_else(bad)?;
        let string = |i: usize| -> Result<String, Stop> {
            items
                .get(i)
                .and_then(HostValue::as_str)
                .map(str::to_owned)
                .ok_or_else(bad)
        };
        let content = || -> Result<(String, ContentType), Stop> {
            let html = matches!(items.get(2), Some(HostValue::Bool(true)));
            Ok((
                string(1)?,
                if html {
                    ContentType::Html
                } else {
                    ContentType::Text
                },
            ))
        };
        let code = items.first().and_then(HostValue::as_f64).ok_or_else(bad)?;
        Ok(match code as u32 {
            0 => Command::SetName(string(1)?),
            1 => Command::SetAttribute(string(1)?, string(2)?),
            2 => Command::RemoveAttribute(string(1)?),
            3 => content().map(|(c, t)| Command::Before(c, t))?,
            4 => content().map(|(c, t)| Command::After(c, t))?,
            5 => content().map(|(c, t)| Command::Prepend(c, t))?,
            6 => content().map(|(c, t)| Command::Append(c, t))?,
            7 => content().map(|(c, t)| Command::Replace(c, t))?,
            8 => content().map(|(c, t)| Command::SetInnerContent(c, t))?,
            9 => Command::Remove,
            10 => Command::RemoveAndKeepContent,
            11 => Command::OnEndTag(items.get(1).and_then(HostValue::as_f64).ok_or_else(bad)?),
            12 => Command::SetText(string(1)?),
            _ => return Err(bad()),
        })
    }

    /// The JavaScript method that asked for it.
    fn name(&self) -> &'static str {
        match self {
            Command::SetName(_) => "the name setter",
            Command::SetAttribute(..) => "setAttribute()",
            Command::RemoveAttribute(_) => "removeAttribute()",
            Command::Before(..) => "before()",
            Command::After(..) => "after()",
            Command::Prepend(..) => "prepend()",
            Command::Append(..) => "append()",
            Command::Replace(..) => "replace()",
            Command::SetInnerContent(..) => "setInnerContent()",
            Command::Remove => "remove()",
            Command::RemoveAndKeepContent => "removeAndKeepContent()",
            Command::OnEndTag(_) => "onEndTag()",
            Command::SetText(_) => "the text setter",
        }
    }

    fn unsupported(&self, what: &str) -> Box<dyn std::error::Error + Send + Sync> {
        Box::new(Stop(format!("{} does not apply to {what}", self.name())))
    }
}
