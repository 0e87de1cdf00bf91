// CryptoKey (Web Crypto): a key's type, extractability, algorithm and usages.
// The key material lives in a private slot that Worker code cannot reach;
// only the prelude reads it, through `cryptoKeySlots`. Also the shared
// helpers of the crypto files: op errors as DOMExceptions, BufferSource
// copies, key usages. Ops: `crypto_random` goes through `cryptoOp`, every
// other `crypto_*` op is host work and goes through `cryptoWork`.
const CRYPTO_KEY_TOKEN = Symbol('CryptoKey');
const KEY_USAGES = ['encrypt', 'decrypt', 'sign', 'verify', 'deriveKey', 'deriveBits', 'wrapKey', 'unwrapKey'];
const CRYPTO_ERROR_NAMES = ['DataError', 'OperationError', 'NotSupportedError', 'InvalidAccessError', 'QuotaExceededError'];

// An op's error as Web Crypto throws it: the DOMException names its errors
// carry become DOMExceptions.
function cryptoError(e) {
  return e && CRYPTO_ERROR_NAMES.includes(e.name) ? new DOMException(e.message, e.name) : e;
}

// Calls a synchronous crypto op.
function cryptoOp(name, ...args) {
  try {
    return op(name, ...args);
  } catch (e) {
    throw cryptoError(e);
  }
}

// Runs a crypto op as host work: its result, or a promise of it when the
// work runs elsewhere (go on with `afterWork`).
function cryptoWork(name, ...args) {
  let result;
  try {
    result = hostWork(name, ...args);
  } catch (e) {
    throw cryptoError(e);
  }
  return afterWork(result, value => value, e => { throw cryptoError(e); });
}

// The bytes a BufferSource views (ArrayBuffer or view), as a Uint8Array over
// them; a TypeError for anything else. A detached buffer views no bytes.
function cryptoBytes(value, what) {
  if (value instanceof ArrayBuffer) return value.byteLength === 0 ? new Uint8Array(0) : new Uint8Array(value);
  if (ArrayBuffer.isView(value)) {
    if (value.byteLength === 0) return new Uint8Array(0);
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  throw new TypeError(`${what} is not an ArrayBuffer or an ArrayBufferView`);
}

// A fresh ArrayBuffer holding a Uint8Array's bytes.
function toArrayBuffer(bytes) {
  return bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength
    ? bytes.buffer : bytes.slice().buffer;
}

// Converts a sequence<KeyUsage>, throwing a TypeError for other values.
function toKeyUsages(value) {
  if (value === null || typeof value !== 'object' || typeof value[Symbol.iterator] !== 'function') {
    throw new TypeError('keyUsages must be a sequence of key usages');
  }
  const usages = [];
  for (const item of value) {
    const usage = String(item);
    if (!KEY_USAGES.includes(usage)) throw new TypeError(`'${usage}' is not a valid key usage`);
    usages.push(usage);
  }
  return usages;
}

// Usages without duplicates, in the order of the KeyUsage enumeration.
function normalizeUsages(usages) {
  return KEY_USAGES.filter(u => usages.includes(u));
}

// The exposed form of a key's algorithm: a fresh plain object.
function exposeKeyAlgorithm(alg) {
  const out = { name: alg.name };
  if (alg.namedCurve !== undefined) out.namedCurve = alg.namedCurve;
  if (alg.modulusLength !== undefined) {
    out.modulusLength = alg.modulusLength;
    out.publicExponent = new Uint8Array(alg.publicExponent);
  }
  if (alg.hash !== undefined) out.hash = { name: alg.hash.name };
  if (alg.length !== undefined) out.length = alg.length;
  return out;
}

let cryptoKeySlots;
class CryptoKey {
  #slots; #algorithm; #usages;
  constructor(token, slots) {
    if (token !== CRYPTO_KEY_TOKEN) throw new TypeError('Illegal constructor');
    this.#slots = slots;
  }
  get type() { return this.#slots.type; }
  get extractable() { return this.#slots.extractable; }
  get algorithm() {
    if (this.#algorithm === undefined) this.#algorithm = exposeKeyAlgorithm(this.#slots.algorithm);
    return this.#algorithm;
  }
  get usages() {
    if (this.#usages === undefined) this.#usages = [...this.#slots.usages];
    return this.#usages;
  }
  static slots(key) {
    try {
      return key.#slots;
    } catch {
      return undefined;
    }
  }
}
cryptoKeySlots = CryptoKey.slots;
delete CryptoKey.slots;
for (const name of ['type', 'extractable', 'algorithm', 'usages']) {
  Object.defineProperty(CryptoKey.prototype, name, { enumerable: true });
}
webidlInterface(CryptoKey, 0);

// A new CryptoKey. `algorithm` is the internal record (name, hash, length,
// namedCurve, modulusLength, publicExponent); `data` the key material in the
// form the crypto ops take.
function newCryptoKey(type, extractable, algorithm, usages, data) {
  return new CryptoKey(CRYPTO_KEY_TOKEN, {
    type, extractable: Boolean(extractable), algorithm, usages: normalizeUsages(usages), data,
  });
}

// The slots of a CryptoKey argument, or a TypeError.
function keySlots(key, what = 'key') {
  const slots = cryptoKeySlots(key);
  if (slots === undefined) throw new TypeError(`${what} is not a CryptoKey`);
  return slots;
}
