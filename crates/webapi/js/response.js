// Response: what a Worker answers with (Fetch standard), with the static
// Response.json, Response.redirect and Response.error. Uses no ops.
const REDIRECT_STATUS = [301, 302, 303, 307, 308];
const REASON_PHRASE = /^[\t\x20-\x7E\x80-\xFF]*$/;

let setResponseOrigin; // (response, url, redirected) => void, for fetch()
// For fetch(): the Response of a subrequest's answer, made from parts the
// host already validated (status, statusText, the host's header list, a
// body record or null), without the constructor's checks.
let responseFromHost; // (status, statusText, header list, body record | null) => Response
const HOST_RESPONSE = Symbol('host response');

class Response {
  #status = 200; #statusText = ''; #headers; #type = 'default'; #url = ''; #redirected = false;
  #webSocket = null;
  static {
    setResponseOrigin = (r, url, redirected) => {
      // The response's URL is serialized without its fragment.
      const hash = url.indexOf('#');
      r.#url = hash === -1 ? url : url.slice(0, hash);
      r.#redirected = redirected;
      r.#type = 'basic';
      headersGuard(r.#headers, 'immutable');
    };
    responseFromHost = (status, statusText, headers, record) =>
      new Response(HOST_RESPONSE, [status, statusText, headers, record]);
  }

  constructor(body = null, init = {}) {
    if (body === HOST_RESPONSE) {
      giveBody(this, init[3]);
      this.#status = init[0];
      this.#statusText = init[1];
      this.#headers = headersFromHost(init[2], 'response');
      return;
    }
    if (init === undefined || init === null) init = {};
    if (typeof init !== 'object' && typeof init !== 'function') throw new TypeError('The ResponseInit must be an object');
    const status = init.status === undefined ? 200 : Number(init.status);
    // A WebSocket's end (websocket.js): the socket answer, status 101.
    const webSocket = init.webSocket === undefined || init.webSocket === null ? null : init.webSocket;
    if (webSocket !== null) {
      loadGroup(WEBSOCKET).checkResponseSocket(webSocket);
      if (status !== 101) throw new RangeError(`A Response with a webSocket must have status 101, got ${init.status}`);
    } else if (status === 101) {
      throw new RangeError('A Response with status 101 needs a webSocket (new Response(null, { status: 101, webSocket }))');
    }
    if (webSocket === null && (!Number.isInteger(status) || status < 200 || status > 599)) {
      throw new RangeError(`Response status must be an integer in the range 200 to 599, got ${init.status}`);
    }
    const statusText = init.statusText === undefined ? '' : toByteString(init.statusText, 'statusText');
    if (!REASON_PHRASE.test(statusText)) throw new TypeError('Invalid statusText');
    const headers = new Headers(init.headers);
    let record = null, type = null;
    if (body !== null && body !== undefined) {
      ({ body: record, type } = extractBody(body));
      if (NULL_BODY_STATUS.includes(status)) {
        throw new TypeError(`Response with null body status ${status} cannot have a body`);
      }
    }
    if (webSocket !== null && record !== null) throw new TypeError('A Response with a webSocket cannot have a body');
    giveBody(this, record);
    this.#webSocket = webSocket;
    this.#status = status;
    this.#statusText = statusText;
    this.#headers = headers;
    if (type !== null) headersDefault(this.#headers, 'content-type', type);
    headersGuard(this.#headers, 'response');
  }

  static json(data, init = {}) {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('The data is not JSON-serializable');
    const headers = new Headers(init && init.headers);
    headersDefault(headers, 'content-type', 'application/json');
    return new Response(text, { ...init, headers });
  }

  static redirect(url, status = 302) {
    const href = parseApiURL(url).href;
    status = Number(status);
    if (!REDIRECT_STATUS.includes(status)) throw new RangeError(`Invalid redirect status: ${status}`);
    const r = new Response(null, { status, headers: { location: href } });
    headersGuard(r.#headers, 'immutable');
    return r;
  }

  static error() {
    const r = new Response(null, { status: 200 });
    r.#status = 0;
    r.#type = 'error';
    headersGuard(r.#headers, 'immutable');
    return r;
  }

  get type() { return this.#type; }
  get url() { return this.#url; }
  get redirected() { return this.#redirected; }
  get status() { return this.#status; }
  get ok() { return this.#status >= 200 && this.#status <= 299; }
  get statusText() { return this.#statusText; }
  get headers() { return this.#headers; }
  get webSocket() { return this.#webSocket; }

  clone() {
    const body = bodyOf(this);
    if (bodyIsUnusable(body)) throw new TypeError('Cannot clone a Response whose body has already been used');
    const r = new Response(null, { headers: this.#headers });
    r.#status = this.#status;
    r.#statusText = this.#statusText;
    r.#type = this.#type;
    r.#url = this.#url;
    r.#redirected = this.#redirected;
    if (this.#type === 'error' || this.#type === 'basic') headersGuard(r.#headers, 'immutable');
    setBodyOf(r, cloneBody(body));
    return r;
  }
  [Symbol.for('motu.inspect')](nested) { return `{ status: ${this.#status}, headers: ${nested(this.#headers)} }`; }
}
mixinBody(Response);
webidlInterface(Response);
defineGlobal('Response', Response);
