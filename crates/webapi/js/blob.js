// Blob and File (the File API): immutable bytes with a media type; File adds
// a name and a modification time. Ops used: `utf8_encode` and `utf8_decode`
// (through the helpers of encoding.js).
//
// Prelude-scope helpers for other Web APIs: `blobBytes(blob)` gives the
// bytes (a Uint8Array that must not be modified), `makeBlob(bytes, type)`
// and `makeFile(bytes, name, type, lastModified)` wrap bytes without a copy,
// `cloneBlob(blob)` makes a new Blob or File with the same contents.
let blobBytes; // blob => Uint8Array

// A Blob type: lower case, or '' when it has characters outside U+0020–U+007E.
function normalizeBlobType(type) {
  const s = String(type);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7E) return '';
  }
  return s.toLowerCase();
}

// The bytes of the parts of a Blob, as the File API's "process blob parts".
function processBlobParts(parts, endings) {
  if (parts === undefined) return new Uint8Array(0);
  if (parts === null || typeof parts !== 'object' || typeof parts[Symbol.iterator] !== 'function') {
    throw new TypeError('Blob parts must be a sequence');
  }
  const chunks = [];
  let total = 0;
  for (const part of parts) {
    let bytes;
    if (part instanceof Blob) {
      bytes = blobBytes(part);
    } else if (part instanceof ArrayBuffer) {
      // A detached buffer holds no bytes.
      bytes = part.detached ? new Uint8Array(0) : new Uint8Array(part.slice(0));
    } else if (ArrayBuffer.isView(part)) {
      bytes = part.buffer.detached ? new Uint8Array(0)
        : new Uint8Array(part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength));
    } else {
      let s = toUSVString(part);
      if (endings === 'native') s = s.replace(/\r\n|\r/g, '\n');
      bytes = utf8Encode(s);
    }
    chunks.push(bytes);
    total += bytes.length;
  }
  // Every chunk is a fresh copy or the (never modified) bytes of a Blob.
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) { out.set(c, offset); offset += c.length; }
  return out;
}

function blobOptions(options) {
  const o = dictionary(options, 'Blob options');
  const endings = o.endings === undefined ? 'transparent' : String(o.endings);
  if (endings !== 'transparent' && endings !== 'native') {
    throw new TypeError(`The provided value '${endings}' is not a valid enum value of type EndingType`);
  }
  return { type: o.type === undefined ? '' : normalizeBlobType(o.type), endings, o };
}

const BLOB_CHUNK = 65536;

// A promise of what `fn` returns, or rejected with what it throws.
function settle(fn) {
  try { return Promise.resolve(fn()); } catch (e) { return Promise.reject(e); }
}
let setBlobContents; // (blob, bytes, type) => blob

class Blob {
  #bytes; #type;
  constructor(blobParts = undefined, options = undefined) {
    const { type, endings } = blobOptions(options);
    this.#bytes = processBlobParts(blobParts, endings);
    this.#type = type;
  }
  static {
    blobBytes = b => b.#bytes;
    setBlobContents = (b, bytes, type) => { b.#bytes = bytes; b.#type = type; return b; };
  }
  get size() { return this.#bytes.length; }
  get type() { return this.#type; }
  slice(start = undefined, end = undefined, contentType = undefined) {
    const size = this.#bytes.length;
    const clamp = (v, dflt) => {
      if (v === undefined) return dflt;
      const n = Math.trunc(Number(v)) || 0;
      return n < 0 ? Math.max(size + n, 0) : Math.min(n, size);
    };
    const from = clamp(start, 0);
    const to = clamp(end, size);
    const type = contentType === undefined ? '' : normalizeBlobType(contentType);
    return setBlobContents(new Blob(), this.#bytes.subarray(from, Math.max(from, to)), type);
  }
  stream() {
    const bytes = this.#bytes;
    let offset = 0;
    return new ReadableStream({
      type: 'bytes',
      pull(controller) {
        if (offset >= bytes.length) {
          controller.close();
          return;
        }
        const end = Math.min(offset + BLOB_CHUNK, bytes.length);
        controller.enqueue(bytes.slice(offset, end));
        offset = end;
        if (offset >= bytes.length) controller.close();
      },
    });
  }
  text() { return settle(() => utf8Decode(this.#bytes)); }
  arrayBuffer() { return settle(() => this.#bytes.slice().buffer); }
  bytes() { return settle(() => this.#bytes.slice()); }
}
tag(Blob);

class File extends Blob {
  #name; #lastModified;
  constructor(fileBits, fileName, options = undefined) {
    if (arguments.length < 2) throw new TypeError('File needs bits and a name');
    super(fileBits, options);
    this.#name = toUSVString(fileName);
    const o = dictionary(options, 'File options');
    if (o.lastModified === undefined) {
      this.#lastModified = Date.now();
    } else {
      const n = Number(o.lastModified);
      this.#lastModified = Number.isFinite(n) ? Math.trunc(n) : 0;
    }
  }
  get name() { return this.#name; }
  get lastModified() { return this.#lastModified; }
  get webkitRelativePath() { return ''; }
}
tag(File);

function makeBlob(bytes, type = '') { return setBlobContents(new Blob(), bytes, normalizeBlobType(type)); }
function makeFile(bytes, name, type = '', lastModified = Date.now()) {
  return setBlobContents(new File([], name, { lastModified }), bytes, normalizeBlobType(type));
}
function cloneBlob(blob) {
  return blob instanceof File
    ? makeFile(blobBytes(blob), blob.name, blob.type, blob.lastModified)
    : makeBlob(blobBytes(blob), blob.type);
}

defineGlobal('Blob', Blob);
defineGlobal('File', File);
