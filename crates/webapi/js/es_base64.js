// Uint8Array's base64 and hex methods (ECMAScript 2026) for an engine that
// lacks them (the V8 of Debian's libnode, 10.2), as the V8 of Cloudflare
// Workers and QuickJS have them: `Uint8Array.fromBase64`, `fromHex`, and on
// the prototype `toBase64`, `toHex`, `setFromBase64`, `setFromHex`.
// Installed with es_builtins.js, each only where missing.
//
// Decoding follows the specification's reader: ASCII white space (tab, line
// feed, form feed, carriage return, space) is skipped anywhere; characters
// are taken four at a time; `lastChunkHandling` says what a last chunk
// without its padding means ('loose': decode it; 'strict': an error, as
// are nonzero bits past the last byte; 'stop-before-partial': leave it
// unread). An error is a SyntaxError; the `setFrom` methods write the bytes
// decoded before it, then throw. A read that fills the target stops before
// a chunk that would not fit whole.

function installEsBase64() {
  const TypedArray = Object.getPrototypeOf(Uint8Array);
  const getter = (target, key) => Object.getOwnPropertyDescriptor(target, key).get;
  const typedArrayName = getter(TypedArray.prototype, Symbol.toStringTag);
  const bufferOf = getter(TypedArray.prototype, 'buffer');
  const lengthOf = getter(TypedArray.prototype, 'length');
  const typedArraySet = TypedArray.prototype.set;
  const detachedDescriptor = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'detached');
  const isDetached = detachedDescriptor ? detachedDescriptor.get : () => false;

  const STANDARD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  // Each character code's 6-bit value in the standard alphabet, else -1.
  const SEXTETS = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) SEXTETS[STANDARD.charCodeAt(i)] = i;
  const HEX = '0123456789abcdef';

  const requireUint8Array = (value, method) => {
    if (typedArrayName.call(value) !== 'Uint8Array') {
      throw new TypeError(`Uint8Array.prototype.${method} called on an object that is not a Uint8Array`);
    }
    return value;
  };
  // The array's bytes may be read or written: its buffer is not detached.
  const requireAttached = array => {
    if (isDetached.call(bufferOf.call(array))) throw new TypeError('the Uint8Array\'s ArrayBuffer is detached');
  };
  const optionsObject = options => {
    if (options === undefined) return { __proto__: null };
    if (isObject(options)) return options;
    throw new TypeError('options must be an object');
  };
  const alphabetOf = options => {
    const alphabet = options.alphabet;
    if (alphabet === undefined) return 'base64';
    if (alphabet !== 'base64' && alphabet !== 'base64url') {
      throw new TypeError('alphabet must be "base64" or "base64url"');
    }
    return alphabet;
  };
  const lastChunkHandlingOf = options => {
    const handling = options.lastChunkHandling;
    if (handling === undefined) return 'loose';
    if (handling !== 'loose' && handling !== 'strict' && handling !== 'stop-before-partial') {
      throw new TypeError('lastChunkHandling must be "loose", "strict" or "stop-before-partial"');
    }
    return handling;
  };
  const requireString = (value, method) => {
    if (typeof value !== 'string') throw new TypeError(`${method} requires a string`);
    return value;
  };

  const encodeBase64 = (bytes, length, alphabet, omitPadding) => {
    const table = alphabet === 'base64url' ? URL_SAFE : STANDARD;
    const parts = [];
    let part = '';
    const whole = length - (length % 3);
    for (let i = 0; i < whole; i += 3) {
      const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
      part += table[n >> 18] + table[(n >> 12) & 63] + table[(n >> 6) & 63] + table[n & 63];
      if (part.length >= 8192) {
        parts.push(part);
        part = '';
      }
    }
    const rest = length - whole;
    if (rest === 1) {
      const n = bytes[whole] << 16;
      part += table[n >> 18] + table[(n >> 12) & 63] + (omitPadding ? '' : '==');
    } else if (rest === 2) {
      const n = (bytes[whole] << 16) | (bytes[whole + 1] << 8);
      part += table[n >> 18] + table[(n >> 12) & 63] + table[(n >> 6) & 63] + (omitPadding ? '' : '=');
    }
    parts.push(part);
    return parts.join('');
  };

  const isAsciiSpace = c => c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0x20;
  const skipSpace = (string, index) => {
    while (index < string.length && isAsciiSpace(string.charCodeAt(index))) index++;
    return index;
  };
  const syntaxError = message => new SyntaxError(message);

  // The bytes of a last chunk of 2 or 3 characters (padded with zero bits);
  // with `strict`, bits left over past its bytes must be zero.
  const finalChunk = (chunk, length, strict, bytes) => {
    if (length === 2) {
      if (strict && (chunk & 0xffff) !== 0) return syntaxError('the last base64 chunk has nonzero bits past its byte');
      bytes.push(chunk >> 16);
    } else {
      if (strict && (chunk & 0xff) !== 0) return syntaxError('the last base64 chunk has nonzero bits past its bytes');
      bytes.push(chunk >> 16, (chunk >> 8) & 0xff);
    }
    return null;
  };

  // FromBase64: { read, bytes, error } for `string`, at most `maxLength`
  // bytes.
  const decodeBase64 = (string, alphabet, handling, maxLength) => {
    const bytes = [];
    let read = 0;
    if (maxLength === 0) return { read, bytes, error: null };
    const length = string.length;
    // The chunk's sextets so far, shifted into a 24-bit number.
    let chunk = 0;
    let chunkLength = 0;
    let index = 0;
    for (;;) {
      index = skipSpace(string, index);
      if (index === length) {
        if (chunkLength > 0) {
          if (handling === 'stop-before-partial') return { read, bytes, error: null };
          if (handling === 'strict') return { read, bytes, error: syntaxError('the base64 text ends without its padding') };
          if (chunkLength === 1) return { read, bytes, error: syntaxError('the base64 text ends in a lone character') };
          finalChunk(chunk << (6 * (4 - chunkLength)), chunkLength, false, bytes);
        }
        return { read: length, bytes, error: null };
      }
      let c = string.charCodeAt(index);
      index++;
      if (c === 0x3d) {
        // '=': padding ends the text.
        if (chunkLength < 2) return { read, bytes, error: syntaxError('misplaced padding in the base64 text') };
        index = skipSpace(string, index);
        if (chunkLength === 2) {
          if (index === length) {
            if (handling === 'stop-before-partial') return { read, bytes, error: null };
            return { read, bytes, error: syntaxError('the base64 text ends in half its padding') };
          }
          if (string.charCodeAt(index) === 0x3d) index = skipSpace(string, index + 1);
        }
        if (index < length) return { read, bytes, error: syntaxError('characters after the base64 padding') };
        const error = finalChunk(chunk << (6 * (4 - chunkLength)), chunkLength, handling === 'strict', bytes);
        if (error) return { read, bytes, error };
        return { read: length, bytes, error: null };
      }
      if (alphabet === 'base64url') {
        if (c === 0x2b || c === 0x2f) return { read, bytes, error: syntaxError('"+" and "/" are not in the base64url alphabet') };
        if (c === 0x2d) c = 0x2b;
        else if (c === 0x5f) c = 0x2f;
      }
      const sextet = c < 128 ? SEXTETS[c] : -1;
      if (sextet < 0) return { read, bytes, error: syntaxError('a character outside the base64 alphabet') };
      const remaining = maxLength - bytes.length;
      if ((remaining === 1 && chunkLength === 2) || (remaining === 2 && chunkLength === 3)) {
        return { read, bytes, error: null };
      }
      chunk = (chunk << 6) | sextet;
      chunkLength++;
      if (chunkLength === 4) {
        bytes.push(chunk >> 16, (chunk >> 8) & 0xff, chunk & 0xff);
        chunk = 0;
        chunkLength = 0;
        read = index;
        if (bytes.length === maxLength) return { read, bytes, error: null };
      }
    }
  };

  const hexValue = c => {
    if (c >= 0x30 && c <= 0x39) return c - 0x30;
    if (c >= 0x61 && c <= 0x66) return c - 0x57;
    if (c >= 0x41 && c <= 0x46) return c - 0x37;
    return -1;
  };
  // FromHex: { read, bytes, error } for `string`, at most `maxLength` bytes.
  const decodeHex = (string, maxLength) => {
    const bytes = [];
    let read = 0;
    if (string.length % 2 !== 0) return { read, bytes, error: syntaxError('hex text has an odd number of digits') };
    while (read < string.length && bytes.length < maxLength) {
      const high = hexValue(string.charCodeAt(read));
      const low = hexValue(string.charCodeAt(read + 1));
      if (high < 0 || low < 0) return { read, bytes, error: syntaxError('a character that is not a hex digit') };
      read += 2;
      bytes.push((high << 4) | low);
    }
    return { read, bytes, error: null };
  };

  const MAX_LENGTH = 2 ** 53 - 1;
  install(Uint8Array, {
    fromBase64(string) {
      requireString(string, 'Uint8Array.fromBase64');
      const options = optionsObject(arguments[1]);
      const alphabet = alphabetOf(options);
      const handling = lastChunkHandlingOf(options);
      const { bytes, error } = decodeBase64(string, alphabet, handling, MAX_LENGTH);
      if (error) throw error;
      return new Uint8Array(bytes);
    },
    fromHex(string) {
      requireString(string, 'Uint8Array.fromHex');
      const { bytes, error } = decodeHex(string, MAX_LENGTH);
      if (error) throw error;
      return new Uint8Array(bytes);
    },
  });
  install(Uint8Array.prototype, {
    toBase64() {
      const array = requireUint8Array(this, 'toBase64');
      const options = optionsObject(arguments[0]);
      const alphabet = alphabetOf(options);
      const omitPadding = !!options.omitPadding;
      requireAttached(array);
      return encodeBase64(array, lengthOf.call(array), alphabet, omitPadding);
    },
    toHex() {
      const array = requireUint8Array(this, 'toHex');
      requireAttached(array);
      const parts = [];
      let part = '';
      const length = lengthOf.call(array);
      for (let i = 0; i < length; i++) {
        part += HEX[array[i] >> 4] + HEX[array[i] & 15];
        if (part.length >= 8192) {
          parts.push(part);
          part = '';
        }
      }
      parts.push(part);
      return parts.join('');
    },
    setFromBase64(string) {
      const array = requireUint8Array(this, 'setFromBase64');
      requireString(string, 'Uint8Array.prototype.setFromBase64');
      const options = optionsObject(arguments[1]);
      const alphabet = alphabetOf(options);
      const handling = lastChunkHandlingOf(options);
      requireAttached(array);
      const { read, bytes, error } = decodeBase64(string, alphabet, handling, lengthOf.call(array));
      Reflect.apply(typedArraySet, array, [bytes]);
      if (error) throw error;
      return { read, written: bytes.length };
    },
    setFromHex(string) {
      const array = requireUint8Array(this, 'setFromHex');
      requireString(string, 'Uint8Array.prototype.setFromHex');
      requireAttached(array);
      const { read, bytes, error } = decodeHex(string, lengthOf.call(array));
      Reflect.apply(typedArraySet, array, [bytes]);
      if (error) throw error;
      return { read, written: bytes.length };
    },
  });
}

installEsBase64();
