// The body mixin shared by Request and Response. A body is held as given (a
// string or bytes) and converted only when read.
const NULL_BODY_STATUS = [101, 103, 204, 205, 304];

// Extracts a body and its default content type from a BodyInit.
function extractBody(init) {
  if (init === undefined || init === null) return { source: null, type: null };
  if (typeof init === 'string') return { source: init, type: 'text/plain;charset=UTF-8' };
  if (init instanceof ArrayBuffer) return { source: new Uint8Array(init.slice(0)), type: null };
  if (ArrayBuffer.isView(init)) {
    return { source: new Uint8Array(init.buffer.slice(init.byteOffset, init.byteOffset + init.byteLength)), type: null };
  }
  if (init instanceof URLSearchParams) {
    return { source: init.toString(), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  }
  return { source: toUSVString(init), type: 'text/plain;charset=UTF-8' };
}

let bodySource;    // body => string | Uint8Array | null, without consuming it
let setBodySource; // (body, source) => void, for clone()

class Body {
  #source = null;
  #used = false;

  constructor(source) { this.#source = source; }

  static {
    bodySource = b => b.#source;
    setBodySource = (b, s) => { b.#source = s; };
  }

  get bodyUsed() { return this.#used; }

  #consume() {
    if (this.#used) return Promise.reject(new TypeError('Body has already been used'));
    this.#used = this.#source !== null;
    return Promise.resolve(this.#source);
  }

  async text() {
    const s = await this.#consume();
    return s === null ? '' : typeof s === 'string' ? s : utf8Decode(s);
  }
  async arrayBuffer() { return (await this.bytes()).buffer; }
  async bytes() {
    const s = await this.#consume();
    return s === null ? new Uint8Array(0) : typeof s === 'string' ? utf8Encode(s) : s.slice();
  }
  async json() { return JSON.parse(await this.text()); }
}
