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

// Converts Blob parts as WebIDL does, before any option is read: Blobs as
// they are, buffers copied, everything else to a scalar-value string.
function convertBlobParts(parts) {
  if (parts === undefined) return [];
  if (parts === null || typeof parts !== 'object' || typeof parts[Symbol.iterator] !== 'function') {
    throw new TypeError('Blob parts must be a sequence');
  }
  const out = [];
  for (const part of parts) {
    if (part instanceof Blob) {
      out.push(part);
    } else if (part instanceof ArrayBuffer) {
      // A detached buffer holds no bytes.
      out.push(part.detached ? new Uint8Array(0) : new Uint8Array(part.slice(0)));
    } else if (ArrayBuffer.isView(part)) {
      out.push(part.buffer.detached ? new Uint8Array(0)
        : new Uint8Array(part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength)));
    } else {
      out.push(toUSVString(part));
    }
  }
  return out;
}

// The bytes of converted parts, as the File API's "process blob parts".
function joinBlobParts(parts, endings) {
  const chunks = parts.map(part => {
    if (part instanceof Blob) return blobBytes(part);
    if (typeof part !== 'string') return part;
    return utf8Encode(endings === 'native' ? part.replace(/\r\n|\r/g, '\n') : part);
  });
  // Every chunk is a fresh copy or the (never modified) bytes of a Blob.
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) { out.set(c, offset); offset += c.length; }
  return out;
}

function blobOptions(options) {
  const o = optionsDictionary(options, 'Blob options');
  // Dictionary members are read in lexicographic order.
  const rawEndings = o.endings;
  const endings = rawEndings === undefined ? 'transparent' : String(rawEndings);
  if (endings !== 'transparent' && endings !== 'native') {
    throw new TypeError(`The provided value '${endings}' is not a valid enum value of type EndingType`);
  }
  const rawType = o.type;
  const type = rawType === undefined ? '' : normalizeBlobType(rawType);
  return { type, endings, o };
}

const BLOB_CHUNK = 65536;
const EMPTY_BYTES = new Uint8Array(0);
const FILE_TOKEN = {}; // File's call of the Blob constructor

// A promise of what `fn` returns, or rejected with what it throws.
function settle(fn) {
  try { return Promise.resolve(fn()); } catch (e) { return Promise.reject(e); }
}
let setBlobContents; // (blob, bytes, type) => blob

class Blob {
  #bytes = EMPTY_BYTES; #type = '';
  constructor(blobParts = undefined, options = undefined) {
    if (blobParts === FILE_TOKEN) return;
    const parts = convertBlobParts(blobParts);
    const { type, endings } = blobOptions(options);
    this.#bytes = joinBlobParts(parts, endings);
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
    return new (loadGroup(STREAMS).ReadableStream)({
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
webidlInterface(Blob);

class File extends Blob {
  #name; #lastModified;
  constructor(fileBits, fileName, options = undefined) {
    if (arguments.length < 2) throw new TypeError('File needs bits and a name');
    super(FILE_TOKEN);
    const parts = convertBlobParts(fileBits);
    this.#name = toUSVString(fileName);
    const { type, endings, o } = blobOptions(options);
    const lastModified = o.lastModified;
    if (lastModified === undefined) {
      this.#lastModified = Date.now();
    } else {
      const n = Number(lastModified);
      this.#lastModified = Number.isFinite(n) ? Math.trunc(n) : 0;
    }
    setBlobContents(this, joinBlobParts(parts, endings), type);
  }
  get name() { return this.#name; }
  get lastModified() { return this.#lastModified; }
  get webkitRelativePath() { return ''; }
}
webidlInterface(File);

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
