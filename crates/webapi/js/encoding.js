// TextEncoder (UTF-8) and TextDecoder (every WHATWG encoding, `fatal`,
// `ignoreBOM`, `stream`).
//
// Ops used: `utf8_encode(string)`, `utf8_encode_into(string, capacity)`,
// `encoding_name(label)`, `text_decode(encoding, bytes, fatal, ignoreBOM)`
// for one-shot decoding, and for streaming `text_decoder_new(encoding, fatal,
// ignoreBOM) -> handle`, `text_decoder_push(handle, bytes, last)` (closes the
// handle when last or on error) and `resource_close(handle)`.

// Closes the op resource of an object that was collected while still open.
const resourceRegistry = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry(handle => { try { op('resource_close', handle); } catch {} })
  : null;
function trackResource(owner, handle) { if (resourceRegistry) resourceRegistry.register(owner, handle, owner); }
function untrackResource(owner) { if (resourceRegistry) resourceRegistry.unregister(owner); }

// A WebIDL dictionary argument: undefined, null or an object.
function optionsDictionary(value, what) {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' && typeof value !== 'function') throw new TypeError(`${what} must be an object`);
  return value;
}

// A BufferSource argument, passed to ops as is (they copy the viewed bytes).
function bufferSource(value, what) {
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value) ||
      (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer)) {
    return value;
  }
  throw new TypeError(`${what} is not an ArrayBuffer or an ArrayBufferView`);
}

class TextEncoder {
  #encoding = 'utf-8';
  get encoding() { return this.#encoding; }
  encode(input = '') {
    if (!(#encoding in this)) throw new TypeError('Illegal invocation');
    return op('utf8_encode', toUSVString(input));
  }
  encodeInto(source, destination) {
    if (!(#encoding in this)) throw new TypeError('Illegal invocation');
    requireArgs(arguments.length, 2, 'TextEncoder.encodeInto');
    if (!(destination instanceof Uint8Array)) throw new TypeError('encodeInto: destination must be a Uint8Array');
    const [read, bytes] = op('utf8_encode_into', toUSVString(source), destination.length);
    if (bytes.length > 0) destination.set(bytes);
    return { read, written: bytes.length };
  }
}
webidlInterface(TextEncoder);

// The encoding a TextDecoder label names, or a RangeError.
function decoderEncoding(label) {
  const name = op('encoding_name', String(label));
  if (name === null) throw new RangeError(`The encoding label provided ('${label}') is invalid or not supported`);
  return name;
}

class TextDecoder {
  #encoding; #fatal; #ignoreBOM; #handle = 0;
  constructor(label = 'utf-8', options = undefined) {
    this.#encoding = decoderEncoding(label);
    const o = optionsDictionary(options, 'TextDecoder options');
    this.#fatal = Boolean(o.fatal);
    this.#ignoreBOM = Boolean(o.ignoreBOM);
  }
  get encoding() { return this.#encoding; }
  get fatal() { return this.#fatal; }
  get ignoreBOM() { return this.#ignoreBOM; }
  decode(input = undefined, options = undefined) {
    const bytes = input === undefined ? new Uint8Array(0) : bufferSource(input, 'decode: the input');
    const stream = Boolean(optionsDictionary(options, 'decode options').stream);
    if (this.#handle === 0) {
      if (!stream) return op('text_decode', this.#encoding, bytes, this.#fatal, this.#ignoreBOM);
      this.#handle = op('text_decoder_new', this.#encoding, this.#fatal, this.#ignoreBOM);
      trackResource(this, this.#handle);
    }
    const handle = this.#handle;
    if (!stream) { this.#handle = 0; untrackResource(this); }
    try {
      return op('text_decoder_push', handle, bytes, !stream);
    } catch (e) {
      // The op closed the decoder; the next call starts afresh.
      if (this.#handle === handle) { this.#handle = 0; untrackResource(this); }
      throw e;
    }
  }
}
webidlInterface(TextDecoder);

const utf8Encode = s => op('utf8_encode', s);
const utf8Decode = bytes => op('utf8_decode', bytes, false, false);
defineGlobal('TextEncoder', TextEncoder);
defineGlobal('TextDecoder', TextDecoder);
