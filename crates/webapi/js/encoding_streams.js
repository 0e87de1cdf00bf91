// TextEncoderStream and TextDecoderStream: TransformStreams of text to UTF-8
// bytes and of bytes in any WHATWG encoding to text.
//
// Ops used: `utf8_encode(string)`; `text_decoder_new`, `text_decoder_push`
// and `resource_close` (see encoding.js).
class TextEncoderStream {
  #transform;
  constructor() {
    let pendingHigh = ''; // a lead surrogate that ended the last chunk
    this.#transform = new TransformStream({
      transform(chunk, controller) {
        let s = pendingHigh + String(chunk);
        pendingHigh = '';
        const last = s.charCodeAt(s.length - 1);
        if (last >= 0xD800 && last <= 0xDBFF) {
          pendingHigh = s[s.length - 1];
          s = s.slice(0, -1);
        }
        if (s.length > 0) controller.enqueue(op('utf8_encode', s)); // lone surrogates: see TextEncoder
      },
      flush(controller) {
        if (pendingHigh) controller.enqueue(new Uint8Array([0xEF, 0xBF, 0xBD]));
      },
    });
  }
  get encoding() {
    if (!(#transform in this)) throw new TypeError('Illegal invocation');
    return 'utf-8';
  }
  get readable() { return this.#transform.readable; }
  get writable() { return this.#transform.writable; }
}
webidlInterface(TextEncoderStream);

class TextDecoderStream {
  #encoding; #fatal; #ignoreBOM; #transform;
  constructor(label = 'utf-8', options = undefined) {
    this.#encoding = decoderEncoding(label);
    const o = optionsDictionary(options, 'TextDecoderStream options');
    this.#fatal = Boolean(o.fatal);
    this.#ignoreBOM = Boolean(o.ignoreBOM);
    const handle = op('text_decoder_new', this.#encoding, this.#fatal, this.#ignoreBOM);
    // `owner` lives as long as the transformer (its closures hold it), so
    // the decoder is closed when the streams are collected unfinished.
    const owner = {};
    trackResource(owner, handle);
    const done = () => { untrackResource(owner); op('resource_close', handle); };
    this.#transform = new TransformStream({
      transform(chunk, controller) {
        let text;
        try {
          text = op('text_decoder_push', handle, bufferSource(chunk, 'TextDecoderStream chunk'), false);
        } catch (e) { done(); throw e; }
        if (text.length > 0) controller.enqueue(text);
      },
      flush(controller) {
        let text;
        try { text = op('text_decoder_push', handle, new Uint8Array(0), true); } finally { done(); }
        if (text.length > 0) controller.enqueue(text);
      },
      cancel() { done(); },
    });
  }
  get encoding() { return this.#encoding; }
  get fatal() { return this.#fatal; }
  get ignoreBOM() { return this.#ignoreBOM; }
  get readable() { return this.#transform.readable; }
  get writable() { return this.#transform.writable; }
}
webidlInterface(TextDecoderStream);

defineGlobal('TextEncoderStream', TextEncoderStream);
defineGlobal('TextDecoderStream', TextDecoderStream);
