// TextEncoder and TextDecoder (UTF-8), over the `utf8_encode` and
// `utf8_decode` ops.
class TextEncoder {
  get encoding() { return 'utf-8'; }
  encode(input = '') { return op('utf8_encode', toUSVString(input)); }
  encodeInto(source, destination) {
    if (!(destination instanceof Uint8Array)) throw new TypeError('destination must be a Uint8Array');
    const s = toUSVString(source);
    let read = 0, written = 0;
    for (const ch of s) {
      const bytes = op('utf8_encode', ch);
      if (written + bytes.length > destination.length) break;
      destination.set(bytes, written);
      written += bytes.length;
      read += ch.length;
    }
    return { read, written };
  }
}
tag(TextEncoder);

function toBytes(input) {
  if (input === undefined) return new Uint8Array(0);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError('The provided value is not an ArrayBuffer or an ArrayBufferView');
}

class TextDecoder {
  #fatal; #ignoreBOM;
  constructor(label = 'utf-8', options = {}) {
    const l = String(label).trim().toLowerCase();
    if (!['utf-8', 'utf8', 'unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'x-unicode20utf8'].includes(l)) {
      throw new RangeError(`The encoding label provided ('${label}') is invalid or not supported`);
    }
    this.#fatal = Boolean(options && options.fatal);
    this.#ignoreBOM = Boolean(options && options.ignoreBOM);
  }
  get encoding() { return 'utf-8'; }
  get fatal() { return this.#fatal; }
  get ignoreBOM() { return this.#ignoreBOM; }
  decode(input, options) {
    if (options && options.stream) throw new TypeError('TextDecoder streaming is not supported yet');
    return op('utf8_decode', toBytes(input), this.#fatal, this.#ignoreBOM);
  }
}
tag(TextDecoder);

const utf8Encode = s => op('utf8_encode', s);
const utf8Decode = bytes => op('utf8_decode', bytes, false, false);
defineGlobal('TextEncoder', TextEncoder);
defineGlobal('TextDecoder', TextDecoder);
