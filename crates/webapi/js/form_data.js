// FormData (the XHR standard) and its encodings for bodies:
// multipart/form-data and application/x-www-form-urlencoded.
//
// Prelude-scope functions for the body mixin:
// - `serializeFormData(formData) -> { bytes, contentType }` (multipart);
// - `parseMultipart(bytes, contentType) -> FormData` (TypeError when malformed);
// - `parseUrlencodedFormData(bytes) -> FormData`;
// both give a promise instead when their parsing runs elsewhere.
// Ops used: `multipart_parse(bytes, contentType)` and `form_parse(string)`
// (host work), and `utf8_encode`/`utf8_decode` through encoding.js.
let formDataList; // formData => [[name, string | File], …] (live)

// The entry value for `value` (and an optional file name), as "create an entry".
function formDataValue(value, filename, hasFilename) {
  if (!(value instanceof Blob)) return toUSVString(value);
  if (!(value instanceof File) || hasFilename) {
    const name = hasFilename ? toUSVString(filename) : value instanceof File ? value.name : 'blob';
    const lastModified = value instanceof File ? value.lastModified : Date.now();
    return makeFile(blobBytes(value), name, value.type, lastModified);
  }
  return value;
}

function formDataArgs(args, what) {
  if (args.length < 2) throw new TypeError(`FormData.${what} needs a name and a value`);
  if (args.length > 2 && !(args[1] instanceof Blob)) {
    throw new TypeError(`FormData.${what}: a file name may only come with a Blob value`);
  }
  return [toUSVString(args[0]), formDataValue(args[1], args[2], args.length > 2)];
}

class FormData {
  #list = [];
  constructor(form = undefined, submitter = undefined) {
    if (form !== undefined) throw new TypeError('FormData: there are no form elements here');
  }
  static { formDataList = f => f.#list; }
  append(name, value, filename = undefined) { this.#list.push(formDataArgs(arguments, 'append')); }
  delete(name) {
    requireArgs(arguments.length, 1, 'FormData.delete');
    const n = toUSVString(name);
    this.#list = this.#list.filter(([k]) => k !== n);
  }
  get(name) {
    requireArgs(arguments.length, 1, 'FormData.get');
    const n = toUSVString(name);
    const entry = this.#list.find(([k]) => k === n);
    return entry ? entry[1] : null;
  }
  getAll(name) {
    requireArgs(arguments.length, 1, 'FormData.getAll');
    const n = toUSVString(name);
    return this.#list.filter(([k]) => k === n).map(([, v]) => v);
  }
  has(name) {
    requireArgs(arguments.length, 1, 'FormData.has');
    const n = toUSVString(name);
    return this.#list.some(([k]) => k === n);
  }
  set(name, value, filename = undefined) {
    const entry = formDataArgs(arguments, 'set');
    const i = this.#list.findIndex(([k]) => k === entry[0]);
    if (i < 0) {
      this.#list.push(entry);
    } else {
      this.#list[i] = entry;
      this.#list = this.#list.filter(([k], j) => j <= i || k !== entry[0]);
    }
  }
  forEach(callback, thisArg = undefined) {
    if (typeof callback !== 'function') throw new TypeError('FormData.forEach needs a function');
    for (let i = 0; i < this.#list.length; i++) {
      const [k, v] = this.#list[i];
      callback.call(thisArg, v, k, this);
    }
  }
  *entries() { for (let i = 0; i < this.#list.length; i++) yield [...this.#list[i]]; }
  *keys() { for (let i = 0; i < this.#list.length; i++) yield this.#list[i][0]; }
  *values() { for (let i = 0; i < this.#list.length; i++) yield this.#list[i][1]; }
}
Object.defineProperty(FormData.prototype, Symbol.iterator, {
  value: FormData.prototype.entries, writable: true, configurable: true,
});
webidlInterface(FormData);

// Escapes a name or file name for a Content-Disposition parameter.
function escapeFormName(s) {
  return s.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
}

function serializeFormData(formData) {
  const boundary = `----motuFormBoundary${Math.random().toString(16).slice(2)}${Math.random().toString(16).slice(2)}`;
  const chunks = [];
  for (const [name, value] of formDataList(formData)) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeFormName(name)}"`;
    if (typeof value === 'string') {
      chunks.push(utf8Encode(`${head}\r\n\r\n${value}\r\n`));
    } else {
      head += `; filename="${escapeFormName(value.name)}"\r\nContent-Type: ${value.type || 'application/octet-stream'}\r\n\r\n`;
      chunks.push(utf8Encode(head), blobBytes(value), utf8Encode('\r\n'));
    }
  }
  chunks.push(utf8Encode(`--${boundary}--\r\n`));
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) { bytes.set(c, offset); offset += c.length; }
  return { bytes, contentType: `multipart/form-data; boundary=${boundary}` };
}

// The FormData of a multipart body, or a promise of it when the parsing
// runs elsewhere (host work).
function parseMultipart(bytes, contentType) {
  return afterWork(hostWork('multipart_parse', bytes, String(contentType)), entries => {
    const formData = new FormData();
    const list = formDataList(formData);
    for (const [name, value] of entries) {
      list.push([name, typeof value === 'string' ? value : makeFile(value.bytes, value.filename, value.type)]);
    }
    return formData;
  });
}

// The FormData of a urlencoded body, or a promise of it (host work).
function parseUrlencodedFormData(bytes) {
  const text = typeof bytes === 'string' ? bytes : utf8Decode(bytes);
  return afterWork(hostWork('form_parse', text), entries => {
    const formData = new FormData();
    const list = formDataList(formData);
    for (const [name, value] of entries) list.push([name, value]);
    return formData;
  });
}

defineGlobal('FormData', FormData);
