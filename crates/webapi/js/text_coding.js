// TextEncoder (UTF-8) and TextDecoder (every WHATWG encoding, `fatal`,
// `ignoreBOM`, `stream`). A group of its own, loaded when either global is
// first used (and by the text streams group, for `decoderEncoding`).
//
// Ops used: `utf8_encode(string)`, `utf8_encode_into(string, capacity)`,
// `encoding_name(label)`, `text_decode(encoding, bytes, fatal, ignoreBOM)`
// for one-shot decoding, and for streaming `text_decoder_new(encoding, fatal,
// ignoreBOM) -> handle`, `text_decoder_push(handle, bytes, last)` (closes the
// handle when last or on error).
// The encoding ops take the string as it is: a string crossing to the host
// has each lone surrogate replaced with U+FFFD on both engines, which is
// what converting it to a USVString first would do, without a pass over the
// whole string that no termination interrupts (on V8 without
// `toWellFormed`, a regular expression's).
class TextEncoder {
  #encoding = 'utf-8';
  get encoding() { return this.#encoding; }
  encode(input = '') {
    if (!(#encoding in this)) throw new TypeError('Illegal invocation');
    return op('utf8_encode', String(input));
  }
  encodeInto(source, destination) {
    if (!(#encoding in this)) throw new TypeError('Illegal invocation');
    requireArgs(arguments.length, 2, 'TextEncoder.encodeInto');
    if (!(destination instanceof Uint8Array)) throw new TypeError('encodeInto: destination must be a Uint8Array');
    const [read, bytes] = op('utf8_encode_into', String(source), destination.length);
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

defineGlobal('TextEncoder', TextEncoder);
defineGlobal('TextDecoder', TextDecoder);
