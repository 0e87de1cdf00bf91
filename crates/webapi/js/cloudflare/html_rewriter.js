// HTMLRewriter, as Cloudflare documents it: `on(selector, handlers)` and
// `onDocument(handlers)` register handlers, `transform(response)` answers a
// Response whose body is the rewritten body, streamed: each chunk of input
// is rewritten as it arrives, so output starts before the input ends.
//
// The rewriting is lol-html's, in Rust (src/html_rewriter): it suspends on
// every node a handler wants and answers it as an event, a snapshot of the
// node. Here the event becomes an Element, Comment, Text, Doctype, EndTag or
// DocumentEnd, the Worker's handler runs (awaited when it returns a
// promise), and what it did to the node goes back as commands. A node is
// valid only while its handler runs; afterwards its members throw.
//
// Ops used: `html_selector(selector)` (throws on a selector lol-html cannot
// parse), `html_new(spec) -> handle`, `html_write(handle, bytes)`,
// `html_end(handle)`, `html_resume(handle, commands)` (each answers
// `[output, event|null]`) and `resource_close(handle)`.
const { ReadableStream } = loadGroup(STREAMS);

// Handler kinds, as src/html_rewriter/handlers.rs has them.
const HTML_ELEMENT = 1, HTML_COMMENTS = 2, HTML_TEXT = 4, HTML_DOCTYPE = 8, HTML_END = 16;
// Command codes (src/html_rewriter/handlers.rs `Command`).
const CMD_SET_NAME = 0, CMD_SET_ATTRIBUTE = 1, CMD_REMOVE_ATTRIBUTE = 2, CMD_BEFORE = 3,
  CMD_AFTER = 4, CMD_PREPEND = 5, CMD_APPEND = 6, CMD_REPLACE = 7, CMD_SET_INNER = 8,
  CMD_REMOVE = 9, CMD_REMOVE_KEEP = 10, CMD_ON_END_TAG = 11, CMD_SET_TEXT = 12;

// What lol-html refuses in names (checked here so that the error is thrown
// where the handler asked, not later in the stream).
const FORBIDDEN_IN_TAG_NAME = /[ \n\r\t\f/>]/;
const FORBIDDEN_IN_ATTRIBUTE_NAME = /[ \n\r\t\f/>=]/;

// The state of one node while its handler runs.
function nodeState() { return { commands: [], valid: true }; }

function checkValid(state, what) {
  if (!state.valid) throw new TypeError(`This ${what} is no longer valid: it can only be used while its handler runs`);
}

function contentOptions(options, what) {
  const o = dictionary(options, `${what} options`);
  return o.html === undefined ? false : !!o.html;
}

// Records a content command (before/after/…) on `state`.
function pushContent(state, code, content, options, what) {
  state.commands.push([code, String(content), contentOptions(options, what)]);
}

class Element {
  #state; #tagName; #attributes; #namespaceURI; #removed; #canHaveContent; #selfClosing; #rewriter;
  constructor(token, event, state, rewriter) {
    if (token !== constructing) throw new TypeError('Illegal constructor');
    this.#state = state;
    this.#rewriter = rewriter;
    this.#tagName = event[2];
    const flat = event[3];
    this.#attributes = [];
    for (let i = 0; i < flat.length; i += 2) this.#attributes.push([flat[i], flat[i + 1]]);
    this.#namespaceURI = event[4];
    this.#removed = event[5];
    this.#canHaveContent = event[6];
    this.#selfClosing = event[7];
  }
  #check() { checkValid(this.#state, 'Element'); }
  get tagName() { this.#check(); return this.#tagName; }
  set tagName(name) {
    this.#check();
    name = String(name);
    if (name === '') throw new TypeError('The tag name must not be empty');
    if (!/^[A-Za-z]/.test(name)) throw new TypeError(`Invalid tag name '${name}': it must start with an ASCII letter`);
    if (FORBIDDEN_IN_TAG_NAME.test(name)) throw new TypeError(`Invalid tag name '${name}': forbidden character`);
    this.#tagName = name.toLowerCase();
    this.#state.commands.push([CMD_SET_NAME, name]);
  }
  get attributes() {
    this.#check();
    const pairs = [];
    for (const [n, v] of this.#attributes) pairs.push([n, v]);
    return pairs[Symbol.iterator]();
  }
  get namespaceURI() { this.#check(); return this.#namespaceURI; }
  get removed() { this.#check(); return this.#removed; }
  get canHaveContent() { this.#check(); return this.#canHaveContent; }
  get selfClosing() { this.#check(); return this.#selfClosing; }
  #find(name) {
    const lower = String(name).toLowerCase();
    return this.#attributes.findIndex(a => a[0].toLowerCase() === lower);
  }
  getAttribute(name) {
    this.#check();
    requireArgs(arguments.length, 1, 'getAttribute');
    const i = this.#find(name);
    return i === -1 ? null : this.#attributes[i][1];
  }
  hasAttribute(name) {
    this.#check();
    requireArgs(arguments.length, 1, 'hasAttribute');
    return this.#find(name) !== -1;
  }
  setAttribute(name, value) {
    this.#check();
    requireArgs(arguments.length, 2, 'setAttribute');
    name = String(name);
    value = String(value);
    if (name === '') throw new TypeError('The attribute name must not be empty');
    if (FORBIDDEN_IN_ATTRIBUTE_NAME.test(name)) throw new TypeError(`Invalid attribute name '${name}': forbidden character`);
    const i = this.#find(name);
    if (i === -1) this.#attributes.push([name.toLowerCase(), value]);
    else this.#attributes[i][1] = value;
    this.#state.commands.push([CMD_SET_ATTRIBUTE, name, value]);
    return this;
  }
  removeAttribute(name) {
    this.#check();
    requireArgs(arguments.length, 1, 'removeAttribute');
    name = String(name);
    const i = this.#find(name);
    if (i !== -1) this.#attributes.splice(i, 1);
    this.#state.commands.push([CMD_REMOVE_ATTRIBUTE, name]);
    return this;
  }
  before(content, options) { this.#check(); pushContent(this.#state, CMD_BEFORE, content, options, 'before()'); return this; }
  after(content, options) { this.#check(); pushContent(this.#state, CMD_AFTER, content, options, 'after()'); return this; }
  prepend(content, options) { this.#check(); pushContent(this.#state, CMD_PREPEND, content, options, 'prepend()'); return this; }
  append(content, options) { this.#check(); pushContent(this.#state, CMD_APPEND, content, options, 'append()'); return this; }
  replace(content, options) {
    this.#check();
    pushContent(this.#state, CMD_REPLACE, content, options, 'replace()');
    this.#removed = true;
    return this;
  }
  setInnerContent(content, options) {
    this.#check();
    pushContent(this.#state, CMD_SET_INNER, content, options, 'setInnerContent()');
    return this;
  }
  remove() { this.#check(); this.#state.commands.push([CMD_REMOVE]); this.#removed = true; return this; }
  removeAndKeepContent() {
    this.#check();
    this.#state.commands.push([CMD_REMOVE_KEEP]);
    this.#removed = true;
    return this;
  }
  onEndTag(handler) {
    this.#check();
    if (typeof handler !== 'function') throw new TypeError('onEndTag() needs a function');
    if (!this.#canHaveContent) throw new TypeError(`The <${this.#tagName}> element has no end tag`);
    const id = this.#rewriter.nextEndTagId++;
    this.#rewriter.endTagHandlers.set(id, handler);
    this.#state.commands.push([CMD_ON_END_TAG, id]);
  }
}
webidlInterface(Element);

class EndTag {
  #state; #name;
  constructor(token, event, state) {
    if (token !== constructing) throw new TypeError('Illegal constructor');
    this.#state = state;
    this.#name = event[2];
  }
  #check() { checkValid(this.#state, 'EndTag'); }
  get name() { this.#check(); return this.#name; }
  set name(name) {
    this.#check();
    name = String(name);
    if (name === '' || FORBIDDEN_IN_TAG_NAME.test(name)) throw new TypeError(`Invalid tag name '${name}'`);
    this.#name = name.toLowerCase();
    this.#state.commands.push([CMD_SET_NAME, name]);
  }
  before(content, options) { this.#check(); pushContent(this.#state, CMD_BEFORE, content, options, 'before()'); return this; }
  after(content, options) { this.#check(); pushContent(this.#state, CMD_AFTER, content, options, 'after()'); return this; }
  replace(content, options) { this.#check(); pushContent(this.#state, CMD_REPLACE, content, options, 'replace()'); return this; }
  remove() { this.#check(); this.#state.commands.push([CMD_REMOVE]); return this; }
}
webidlInterface(EndTag);

class Comment {
  #state; #text; #removed;
  constructor(token, event, state) {
    if (token !== constructing) throw new TypeError('Illegal constructor');
    this.#state = state;
    this.#text = event[2];
    this.#removed = event[3];
  }
  #check() { checkValid(this.#state, 'Comment'); }
  get text() { this.#check(); return this.#text; }
  set text(text) {
    this.#check();
    text = String(text);
    if (text.includes('-->')) throw new TypeError("A comment's text must not contain '-->'");
    this.#text = text;
    this.#state.commands.push([CMD_SET_TEXT, text]);
  }
  get removed() { this.#check(); return this.#removed; }
  before(content, options) { this.#check(); pushContent(this.#state, CMD_BEFORE, content, options, 'before()'); return this; }
  after(content, options) { this.#check(); pushContent(this.#state, CMD_AFTER, content, options, 'after()'); return this; }
  replace(content, options) {
    this.#check();
    pushContent(this.#state, CMD_REPLACE, content, options, 'replace()');
    this.#removed = true;
    return this;
  }
  remove() { this.#check(); this.#state.commands.push([CMD_REMOVE]); this.#removed = true; return this; }
}
webidlInterface(Comment);

class Text {
  #state; #text; #lastInTextNode; #removed;
  constructor(token, event, state) {
    if (token !== constructing) throw new TypeError('Illegal constructor');
    this.#state = state;
    this.#text = event[2];
    this.#lastInTextNode = event[3];
    this.#removed = event[4];
  }
  #check() { checkValid(this.#state, 'Text'); }
  get text() { this.#check(); return this.#text; }
  get lastInTextNode() { this.#check(); return this.#lastInTextNode; }
  get removed() { this.#check(); return this.#removed; }
  before(content, options) { this.#check(); pushContent(this.#state, CMD_BEFORE, content, options, 'before()'); return this; }
  after(content, options) { this.#check(); pushContent(this.#state, CMD_AFTER, content, options, 'after()'); return this; }
  replace(content, options) {
    this.#check();
    pushContent(this.#state, CMD_REPLACE, content, options, 'replace()');
    this.#removed = true;
    return this;
  }
  remove() { this.#check(); this.#state.commands.push([CMD_REMOVE]); this.#removed = true; return this; }
}
webidlInterface(Text);

class Doctype {
  #state; #name; #publicId; #systemId; #removed;
  constructor(token, event, state) {
    if (token !== constructing) throw new TypeError('Illegal constructor');
    this.#state = state;
    this.#name = event[2];
    this.#publicId = event[3];
    this.#systemId = event[4];
    this.#removed = event[5];
  }
  #check() { checkValid(this.#state, 'Doctype'); }
  get name() { this.#check(); return this.#name; }
  get publicId() { this.#check(); return this.#publicId; }
  get systemId() { this.#check(); return this.#systemId; }
  get removed() { this.#check(); return this.#removed; }
  remove() { this.#check(); this.#state.commands.push([CMD_REMOVE]); this.#removed = true; return this; }
}
webidlInterface(Doctype);

class DocumentEnd {
  #state;
  constructor(token, state) {
    if (token !== constructing) throw new TypeError('Illegal constructor');
    this.#state = state;
  }
  append(content, options) {
    checkValid(this.#state, 'DocumentEnd');
    pushContent(this.#state, CMD_APPEND, content, options, 'append()');
    return this;
  }
}
webidlInterface(DocumentEnd);

// The handler method `name` of `handlers`, if it has one.
function handlerMethod(handlers, name, what) {
  const fn = handlers[name];
  if (fn === undefined || fn === null) return undefined;
  if (typeof fn !== 'function') throw new TypeError(`${what}: handler '${name}' must be a function`);
  return fn;
}

function handlersObject(handlers, what) {
  if (handlers === null || (typeof handlers !== 'object' && typeof handlers !== 'function')) {
    throw new TypeError(`${what} needs an object of handlers`);
  }
  return handlers;
}

// Runs the handler an event is for; answers its commands, or a promise of
// them when the handler returned one.
function runHandler(run, event) {
  const kind = event[0];
  const state = nodeState();
  let fn, thisArg, node;
  if (kind === 5) {
    fn = run.endTagHandlers.get(event[1]);
    run.endTagHandlers.delete(event[1]);
    node = new EndTag(constructing, event, state);
  } else {
    const entry = run.entries[event[1]];
    thisArg = entry.handlers;
    switch (kind) {
      case 0: fn = entry.element; node = new Element(constructing, event, state, run); break;
      case 1: fn = entry.comments; node = new Comment(constructing, event, state); break;
      case 2: fn = entry.text; node = new Text(constructing, event, state); break;
      case 3: fn = entry.doctype; node = new Doctype(constructing, event, state); break;
      default: fn = entry.end; node = new DocumentEnd(constructing, state); break;
    }
  }
  let result;
  try {
    result = fn.call(thisArg, node);
  } catch (e) {
    state.valid = false;
    throw e;
  }
  if (result !== null && (typeof result === 'object' || typeof result === 'function') && typeof result.then === 'function') {
    return promiseThen.call(promiseResolvedWith(result), () => {
      state.valid = false;
      return state.commands;
    }, e => {
      state.valid = false;
      throw e;
    });
  }
  state.valid = false;
  return state.commands;
}

// Hands the output of `answer` to `controller` and runs the handlers of its
// events until the rewriter wants more input. Synchronous while handlers
// are; a promise once one returns a promise.
function settle(run, answer, controller) {
  for (;;) {
    const output = answer[0];
    if (output.length > 0) {
      controller.enqueue(output);
      run.produced = true;
    }
    const event = answer[1];
    if (event === null) return undefined;
    const commands = runHandler(run, event);
    if (commands instanceof PromiseCtor) {
      return promiseThen.call(commands, c => settle(run, op('html_resume', run.handle, c), controller));
    }
    answer = op('html_resume', run.handle, commands);
  }
}

// The `charset` parameter of a Content-Type value, or undefined.
function contentTypeCharset(contentType) {
  if (contentType === null) return undefined;
  const params = contentType.split(';').slice(1);
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    let value = param.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return value;
  }
  return undefined;
}

class HTMLRewriter {
  #entries = [];
  constructor() {}

  on(selector, handlers) {
    requireArgs(arguments.length, 2, 'HTMLRewriter.on');
    selector = String(selector);
    op('html_selector', selector);
    handlersObject(handlers, 'HTMLRewriter.on()');
    const entry = {
      handlers,
      element: handlerMethod(handlers, 'element', 'HTMLRewriter.on()'),
      comments: handlerMethod(handlers, 'comments', 'HTMLRewriter.on()'),
      text: handlerMethod(handlers, 'text', 'HTMLRewriter.on()'),
    };
    const kinds = (entry.element ? HTML_ELEMENT : 0) | (entry.comments ? HTML_COMMENTS : 0) |
      (entry.text ? HTML_TEXT : 0);
    this.#entries.push({ spec: [0, selector, kinds], entry });
    return this;
  }

  onDocument(handlers) {
    requireArgs(arguments.length, 1, 'HTMLRewriter.onDocument');
    handlersObject(handlers, 'HTMLRewriter.onDocument()');
    const entry = {
      handlers,
      doctype: handlerMethod(handlers, 'doctype', 'HTMLRewriter.onDocument()'),
      comments: handlerMethod(handlers, 'comments', 'HTMLRewriter.onDocument()'),
      text: handlerMethod(handlers, 'text', 'HTMLRewriter.onDocument()'),
      end: handlerMethod(handlers, 'end', 'HTMLRewriter.onDocument()'),
    };
    const kinds = (entry.doctype ? HTML_DOCTYPE : 0) | (entry.comments ? HTML_COMMENTS : 0) |
      (entry.text ? HTML_TEXT : 0) | (entry.end ? HTML_END : 0);
    this.#entries.push({ spec: [1, kinds], entry });
    return this;
  }

  transform(response) {
    requireArgs(arguments.length, 1, 'HTMLRewriter.transform');
    if (!(response instanceof Response)) throw new TypeError('HTMLRewriter.transform() needs a Response');
    // The length changes with the rewriting.
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    const init = { status: response.status, statusText: response.statusText, headers };
    const body = response.body;
    if (body === null) return new Response(null, init);
    const specs = this.#entries.map(e => e.spec);
    // Made before the body is locked: an unusable charset throws here.
    const handle = op('html_new', specs, contentTypeCharset(headers.get('content-type')));
    const reader = body.getReader();
    const run = {
      handle,
      entries: this.#entries.map(e => e.entry),
      endTagHandlers: new Map(),
      nextEndTagId: 1,
      produced: false,
      closed: false,
    };
    trackResource(run, run.handle);
    const close = () => {
      if (run.closed) return;
      run.closed = true;
      untrackResource(run);
      op('resource_close', run.handle);
    };
    const fail = e => {
      close();
      promiseThen.call(reader.cancel(e), undefined, () => {});
      throw e;
    };
    // Reads input until some output is ready (or the input ends).
    const step = controller => promiseThen.call(reader.read(), ({ value, done }) => {
      if (done) {
        return promiseThen.call(promiseResolvedWith(settle(run, op('html_end', run.handle), controller)), () => {
          close();
          controller.close();
        });
      }
      const bytes = bufferSource(value, 'HTMLRewriter input chunk');
      return promiseThen.call(promiseResolvedWith(settle(run, op('html_write', run.handle, bytes), controller)),
        () => (run.produced ? undefined : step(controller)));
    });
    const rewritten = new ReadableStream({
      pull(controller) {
        run.produced = false;
        try {
          return promiseThen.call(step(controller), undefined, fail);
        } catch (e) {
          return fail(e);
        }
      },
      cancel(reason) {
        close();
        return reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
    return new Response(rewritten, init);
  }
}
webidlInterface(HTMLRewriter, 0);

defineGlobal('HTMLRewriter', HTMLRewriter);
