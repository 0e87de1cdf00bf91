//! `HTMLRewriter` on lol-html: the ops behind `js/cloudflare/html_rewriter.js`.
//!
//! # Concepts
//!
//! - **Where it runs.** lol-html calls its content handlers synchronously,
//!   in the middle of `write()`, and expects the handler to have made its
//!   changes when it returns. The handlers are JavaScript, and an op cannot
//!   call back into JavaScript. So each rewriter runs inside a stackful
//!   coroutine (`corosensei`) on the isolate's own thread: when lol-html
//!   calls a handler, the handler *suspends* the coroutine, handing the op a
//!   snapshot of the node (an **event**); the op returns it to JavaScript,
//!   which runs the Worker's handler (awaiting it if it returns a promise),
//!   records what the handler asked for as **commands**, and resumes the
//!   coroutine with them (`html_resume`); the suspended lol-html handler
//!   applies them to the node and returns. Everything runs on the isolate's
//!   thread, so the rewriting's CPU time is the isolate's (the CPU limit
//!   counts it like any JavaScript), and no other thread ever touches the
//!   rewriter.
//! - **Slices.** An input chunk is written to lol-html in slices of at most
//!   [`SLICE`] bytes, and the isolate's interrupt is checked between them,
//!   so a Worker out of CPU time is stopped within a slice's work even when
//!   it rewrites a large chunk without handlers.
//! - **Streaming.** What lol-html outputs is collected and handed back
//!   once the rewriter has consumed a chunk (and along with an event once
//!   [`FLUSH_BYTES`] have gathered), so the output of a chunk leaves before
//!   the next chunk of input arrives, in pieces of a useful size.
//! - **Encodings.** As on Workers, the input is read, and the output
//!   written, in the `charset` of the response's `Content-Type` (UTF-8
//!   without one): any ASCII-compatible encoding of the Encoding Standard
//!   (`windows-1252`, `iso-8859-2`, `shift_jis`, `gbk`…); the handlers see
//!   text and attributes decoded, and what they insert is encoded back.
//!   Another charset (`utf-16`, an unknown label) is a `TypeError` from
//!   `transform()`.
//!
//! Ops (each answers `[output, event]`, `event` being `null` once the
//! rewriter wants more input or has finished):
//! - `html_selector(selector)`: throws a `TypeError` if lol-html cannot
//!   parse the selector.
//! - `html_new(spec, charset?) -> handle`: `spec` lists the handlers, in order
//!   (`[0, selector, kinds]` for `on()`, `[1, kinds]` for `onDocument()`;
//!   `kinds` a bit set of [`handlers`]'s `ELEMENT`/`COMMENTS`/`TEXT` or
//!   `DOCTYPE`/`COMMENTS`/`TEXT`/`END`).
//! - `html_write(handle, bytes)`, `html_end(handle)`: input and its end.
//! - `html_resume(handle, commands)`: the commands of the event's handler.
//! - `resource_close(handle)` drops a rewriter, finished or not.

mod handlers;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use lol_html::AsciiCompatibleEncoding;
use motu_engine::{HostValue, JsError};

use crate::op_state::{handle_arg, OpState};
use crate::ops::str_arg;

/// The most input lol-html gets in one go between interrupt checks.
pub const SLICE: usize = 64 * 1024;

/// Output handed over with an event once this much has gathered; the rest
/// goes when the rewriter has consumed its input.
pub const FLUSH_BYTES: usize = 16 * 1024;

/// The coroutine's stack: reserved address space, touched only as deep as
/// lol-html goes (a few pages).
const STACK_BYTES: usize = 256 * 1024;

/// What the op side hands the coroutine.
enum Input {
    /// A slice of input.
    Chunk(Vec<u8>),
    /// The end of the input.
    End,
    /// The commands of the handler that the last event went to.
    Commands(Vec<HostValue>),
    /// Stop: the rewriter is dropped (a handler threw, the stream was
    /// cancelled, the isolate goes).
    Abort,
}

/// What the coroutine hands back when it suspends.
enum Output {
    /// The slice was consumed.
    NeedInput,
    /// A node for a JavaScript handler.
    Event(HostValue),
}

type Rewriting = Coroutine<Input, Output, Result<(), String>, DefaultStack>;

/// Lets handlers that lol-html keeps as `'static` closures (end tag
/// handlers) suspend the coroutine they run in.
pub(crate) struct Suspender {
    yielder: Cell<*const Yielder<Input, Output>>,
}

/// Why a handler stopped the rewriting.
#[derive(Debug)]
pub(crate) struct Stop(String);

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Stop {}

impl Suspender {
    /// Hands `event` to JavaScript and waits for its handler's commands.
    pub(crate) fn event(&self, event: HostValue) -> Result<Vec<HostValue>, Stop> {
        // SAFETY: the pointer is set when the coroutine's body starts and
        // the yielder lives as long as that body; every handler is owned by
        // the rewriter, which the body owns and drops before it returns, so
        // no handler runs after the yielder is gone.
        let yielder = unsafe { &*self.yielder.get() };
        match yielder.suspend(Output::Event(event)) {
            Input::Commands(commands) => Ok(commands),
            Input::Abort => Err(Stop("the rewriting was stopped".into())),
            Input::Chunk(_) | Input::End => Err(Stop("input given while a handler runs".into())),
        }
    }
}

/// One rewriter: its coroutine, the output not yet handed over, and the
/// input not yet written.
struct Session {
    rewriting: Rewriting,
    output: Rc<RefCell<Vec<u8>>>,
    /// Input still to write, and how far it was written.
    pending: Vec<u8>,
    offset: usize,
    /// Whether the coroutine waits in a handler for its commands.
    in_handler: bool,
    finished: bool,
}

impl Session {
    fn new(spec: handlers::Spec, encoding: AsciiCompatibleEncoding) -> Result<Self, JsError> {
        let stack = DefaultStack::new(STACK_BYTES).map_err(|e| {
            JsError::range_error(format!("HTMLRewriter: no memory for a rewriter: {e}"))
        })?;
        let output = Rc::new(RefCell::new(Vec::new()));
        let sink = output.clone();
        let rewriting =
            Coroutine::with_stack(stack, move |yielder: &Yielder<Input, Output>, first| {
                let suspender = Rc::new(Suspender {
                    yielder: Cell::new(yielder as *const _),
                });
                let settings = handlers::settings(&spec, &suspender).with_encoding(encoding);
                let mut rewriter = lol_html::HtmlRewriter::new(settings, move |bytes: &[u8]| {
                    sink.borrow_mut().extend_from_slice(bytes);
                });
                let mut input = first;
                loop {
                    match input {
                        Input::Chunk(bytes) => rewriter.write(&bytes).map_err(|e| e.to_string())?,
                        Input::End => return rewriter.end().map_err(|e| e.to_string()),
                        Input::Abort => return Err("the rewriting was stopped".into()),
                        Input::Commands(_) => {
                            return Err("commands given while no handler runs".into())
                        }
                    }
                    input = yielder.suspend(Output::NeedInput);
                }
            });
        Ok(Self {
            rewriting,
            output,
            pending: Vec::new(),
            offset: 0,
            in_handler: false,
            finished: false,
        })
    }

    /// Resumes with `input`, then feeds pending input (and the end) until an
    /// event comes or everything was consumed: the answer of every op.
    fn drive(&mut self, state: &OpState, mut input: Input) -> Result<HostValue, JsError> {
        loop {
            if self.finished {
                return Err(JsError::type_error(
                    "HTMLRewriter: the rewriter has finished",
                ));
            }
            self.in_handler = false;
            match self.rewriting.resume(input) {
                CoroutineResult::Yield(Output::Event(event)) => {
                    self.in_handler = true;
                    // Output goes along with an event only once there is
                    // a good amount of it: a page with thousands of
                    // handled nodes is not sent in thousands of pieces.
                    if self.output.borrow().len() < FLUSH_BYTES {
                        return Ok(HostValue::List(vec![HostValue::Bytes(Vec::new()), event]));
                    }
                    return Ok(self.answer(event));
                }
                CoroutineResult::Yield(Output::NeedInput) => {}
                CoroutineResult::Return(result) => {
                    self.finished = true;
                    return match result {
                        Ok(()) => Ok(self.answer(HostValue::Null)),
                        Err(message) => {
                            Err(JsError::type_error(format!("HTMLRewriter: {message}")))
                        }
                    };
                }
            }
            if self.offset < self.pending.len() {
                state.check_interrupt()?;
                let end = (self.offset + SLICE).min(self.pending.len());
                input = Input::Chunk(self.pending[self.offset..end].to_vec());
                self.offset = end;
            } else {
                self.pending.clear();
                self.offset = 0;
                return Ok(self.answer(HostValue::Null));
            }
        }
    }

    /// `[output so far, event]`.
    fn answer(&self, event: HostValue) -> HostValue {
        let output = std::mem::take(&mut *self.output.borrow_mut());
        HostValue::List(vec![HostValue::Bytes(output), event])
    }

    /// Queues `bytes` and starts writing them.
    fn write(&mut self, state: &OpState, bytes: Vec<u8>) -> Result<HostValue, JsError> {
        if !self.idle() {
            return Err(JsError::type_error(
                "HTMLRewriter: input given while a handler runs",
            ));
        }
        if bytes.len() <= SLICE {
            return self.drive(state, Input::Chunk(bytes));
        }
        self.pending = bytes;
        let first = self.pending[..SLICE].to_vec();
        self.offset = SLICE;
        self.drive(state, Input::Chunk(first))
    }

    fn end(&mut self, state: &OpState) -> Result<HostValue, JsError> {
        if !self.idle() {
            return Err(JsError::type_error(
                "HTMLRewriter: input ended while a handler runs",
            ));
        }
        self.drive(state, Input::End)
    }

    /// Whether the coroutine waits for input (not for a handler's commands).
    fn idle(&self) -> bool {
        !self.in_handler && !self.finished
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Unwinds a rewriter stopped half-way through its own code path:
        // every suspension point answers `Abort` by returning.
        if self.rewriting.started() && !self.rewriting.done() {
            let _ = self.rewriting.resume(Input::Abort);
        }
    }
}

/// `html_selector(selector)`: whether lol-html can parse it.
pub(crate) fn selector_op(args: &[HostValue]) -> Result<HostValue, JsError> {
    let selector = str_arg(args, 0, "html_selector")?;
    handlers::parse_selector(selector)?;
    Ok(HostValue::Undefined)
}

/// `html_new(spec) -> handle`.
pub(crate) fn new_op(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let spec = handlers::Spec::parse(args.first())?;
    let encoding = match args.get(1) {
        Some(HostValue::String(label)) => encoding(label)?,
        _ => AsciiCompatibleEncoding::utf_8(),
    };
    let session = Session::new(spec, encoding)?;
    Ok(HostValue::Number(f64::from(state.add(session)?)))
}

/// The encoding of the `charset` label `label` (from the response's
/// `Content-Type`), as the Encoding Standard names them; a `TypeError` for
/// an unknown label or an encoding that is not ASCII-compatible (UTF-16,
/// ISO-2022-JP), which lol-html cannot rewrite.
fn encoding(label: &str) -> Result<AsciiCompatibleEncoding, JsError> {
    encoding_rs::Encoding::for_label_no_replacement(label.trim().as_bytes())
        .and_then(AsciiCompatibleEncoding::new)
        .ok_or_else(|| {
            JsError::type_error(format!(
                "HTMLRewriter: the response's charset '{label}' is not an ASCII-compatible \
                 encoding HTMLRewriter can rewrite"
            ))
        })
}

/// `html_write(handle, bytes)`.
pub(crate) fn write_op(state: &OpState, args: Vec<HostValue>) -> Result<HostValue, JsError> {
    let handle = handle_arg(&args, 0, "html_write")?;
    let bytes = match args.into_iter().nth(1) {
        Some(HostValue::Bytes(b)) => b,
        _ => return Err(JsError::type_error("html_write: argument 1 must be bytes")),
    };
    with_session(state, handle, |s| s.write(state, bytes))
}

/// `html_end(handle)`.
pub(crate) fn end_op(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let handle = handle_arg(args, 0, "html_end")?;
    with_session(state, handle, |s| s.end(state))
}

/// `html_resume(handle, commands)`.
pub(crate) fn resume_op(state: &OpState, args: Vec<HostValue>) -> Result<HostValue, JsError> {
    let handle = handle_arg(&args, 0, "html_resume")?;
    let commands = match args.into_iter().nth(1) {
        Some(HostValue::List(c)) => c,
        _ => {
            return Err(JsError::type_error(
                "html_resume: argument 1 must be a list",
            ))
        }
    };
    with_session(state, handle, |s| {
        if !s.in_handler {
            return Err(JsError::type_error("HTMLRewriter: no handler is running"));
        }
        s.drive(state, Input::Commands(commands))
    })
}

/// Runs `f` on the session under `handle`; a failed session is dropped.
fn with_session(
    state: &OpState,
    handle: u32,
    f: impl FnOnce(&mut Session) -> Result<HostValue, JsError>,
) -> Result<HostValue, JsError> {
    let result = state.with(handle, f);
    if result.is_err() {
        state.remove(handle);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(selector: &str, kinds: u32) -> HostValue {
        HostValue::List(vec![HostValue::List(vec![
            0.0.into(),
            selector.into(),
            f64::from(kinds).into(),
        ])])
    }

    /// `[output, event]` of an answer.
    fn parts(answer: HostValue) -> (Vec<u8>, HostValue) {
        let HostValue::List(mut items) = answer else {
            panic!("not a list")
        };
        let event = items.pop().unwrap();
        let HostValue::Bytes(out) = items.pop().unwrap() else {
            panic!("no output")
        };
        (out, event)
    }

    #[test]
    fn a_handler_suspends_the_rewriter_until_its_commands_come() {
        let state = OpState::new();
        let h = new_op(&state, &[spec("p", handlers::ELEMENT)]).unwrap();
        let (out, event) = parts(
            write_op(
                &state,
                vec![h.clone(), b"<div><p a=1>x</p>".to_vec().into()],
            )
            .unwrap(),
        );
        // Output before the element waits for more (or for the chunk's end).
        assert_eq!(out, b"");
        let e = event.as_list().unwrap();
        assert_eq!(e[2].as_str(), Some("p"));
        assert_eq!(e[3], HostValue::List(vec!["a".into(), "1".into()]));
        let command = HostValue::List(vec![1.0.into(), "b".into(), "2".into()]);
        let (out, event) =
            parts(resume_op(&state, vec![h.clone(), HostValue::List(vec![command])]).unwrap());
        assert_eq!(out, b"<div><p a=1 b=\"2\">x</p>");
        assert_eq!(event, HostValue::Null);
        let (out, event) = parts(end_op(&state, std::slice::from_ref(&h)).unwrap());
        assert_eq!((out.as_slice(), event), (&b""[..], HostValue::Null));
        assert!(end_op(&state, &[h]).is_err());
    }

    #[test]
    fn large_input_is_written_in_slices_and_events_come_from_each() {
        let state = OpState::new();
        let h = new_op(&state, &[spec("b", handlers::ELEMENT)]).unwrap();
        let mut page = Vec::new();
        while page.len() < 3 * SLICE {
            page.extend_from_slice(b"<b>x</b>");
        }
        let count = page.len() / 8;
        let mut answer = write_op(&state, vec![h.clone(), page.clone().into()]).unwrap();
        let (mut events, mut output) = (0, Vec::new());
        loop {
            let (out, event) = parts(answer);
            output.extend_from_slice(&out);
            if event == HostValue::Null {
                break;
            }
            events += 1;
            answer = resume_op(&state, vec![h.clone(), HostValue::List(vec![])]).unwrap();
        }
        let (out, _) = parts(end_op(&state, &[h]).unwrap());
        output.extend_from_slice(&out);
        assert_eq!(events, count);
        assert_eq!(output, page);
    }

    #[test]
    fn a_dropped_rewriter_stops_in_its_handler() {
        let state = OpState::new();
        let h = new_op(&state, &[spec("p", handlers::ELEMENT)]).unwrap();
        let (_, event) = parts(write_op(&state, vec![h.clone(), b"<p>".to_vec().into()]).unwrap());
        assert_ne!(event, HostValue::Null);
        assert!(write_op(&state, vec![h.clone(), b"more".to_vec().into()]).is_err());
        // The failed op dropped the suspended rewriter.
        assert!(state.is_empty());
        assert!(selector_op(&["p[".into()]).is_err());
        assert!(selector_op(&["div > p.a".into()]).is_ok());
    }
}
