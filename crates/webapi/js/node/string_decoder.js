// node:string_decoder — StringDecoder: decodes a stream of byte chunks
// without splitting characters: UTF-8 sequences and UTF-16 code units
// (and surrogate pairs) cut at a chunk's end wait for the next chunk;
// base64 keeps its last bytes until a group of three is whole. `end()`
// flushes what waits (an incomplete UTF-8 sequence as U+FFFD). Uses
// node:buffer for the encodings.

const { Buffer } = nodeModule('buffer');

function canonicalEncoding(enc) {
  const e = enc === undefined || enc === null ? 'utf8' : String(enc).toLowerCase();
  switch (e) {
    case 'utf8': case 'utf-8': return 'utf8';
    case 'ucs2': case 'ucs-2': case 'utf16le': case 'utf-16le': return 'utf16le';
    case 'latin1': case 'binary': return 'latin1';
    case 'base64': case 'base64url': case 'hex': case 'ascii': return e;
  }
  const err = new TypeError(`Unknown encoding: ${enc}`);
  err.code = 'ERR_UNKNOWN_ENCODING';
  throw err;
}

// How many bytes at the end of `bytes` start a UTF-8 sequence not yet whole.
function utf8Pending(bytes) {
  const n = bytes.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = bytes[n - back];
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

class StringDecoder {
  #pending = new Uint8Array(0);

  constructor(encoding) {
    this.encoding = canonicalEncoding(encoding);
  }

  write(buf) {
    if (typeof buf === 'string') return buf;
    if (!ArrayBuffer.isView(buf)) {
      const e = new TypeError('The "buf" argument must be an instance of Buffer, TypedArray, or DataView.');
      e.code = 'ERR_INVALID_ARG_TYPE';
      throw e;
    }
    let bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    if (this.#pending.length > 0) {
      const joined = new Uint8Array(this.#pending.length + bytes.length);
      joined.set(this.#pending);
      joined.set(bytes, this.#pending.length);
      bytes = joined;
    }
    let keep = 0;
    switch (this.encoding) {
      case 'utf8': keep = utf8Pending(bytes); break;
      case 'utf16le': {
        // A high surrogate at the end waits for its pair only when the
        // chunks so far hold whole code units, as in Node.js.
        keep = bytes.length % 2;
        const end = bytes.length - keep;
        if (keep === 0 && end >= 2) {
          const unit = bytes[end - 2] | bytes[end - 1] << 8;
          if (unit >= 0xd800 && unit <= 0xdbff) keep += 2;
        }
        break;
      }
      case 'base64': case 'base64url': keep = bytes.length % 3; break;
    }
    this.#pending = bytes.slice(bytes.length - keep);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length - keep).toString(this.encoding);
  }

  end(buf) {
    let out = buf === undefined ? '' : this.write(buf);
    if (this.#pending.length > 0) {
      out += this.encoding === 'utf8' ? '\ufffd' : Buffer.from(this.#pending).toString(this.encoding);
      this.#pending = new Uint8Array(0);
    }
    return out;
  }

  text(buf, offset) {
    return this.write(buf.subarray(offset));
  }
}

const module = { StringDecoder };
