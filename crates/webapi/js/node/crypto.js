// node:crypto — Node.js's crypto API over Rust ops: streaming hashes and
// HMACs (md5, sha1, sha224, sha256, sha384, sha512, sha512-224, sha512-256),
// AES-CBC/CTR/GCM ciphers, PBKDF2, scrypt and HKDF (sync and callback
// forms), random bytes and numbers, timingSafeEqual, secret KeyObjects,
// and the Web Crypto object (`webcrypto`, `subtle`, `getRandomValues`).
//
// Ops used (src/node_crypto/): `node_hash_new/update/copy/digest`,
// `node_cipher_new/update/aad/padding/final`, the synchronous
// `node_pbkdf2_sync`, `node_scrypt_sync`, `node_hkdf_sync`, the host work
// `node_pbkdf2`, `node_scrypt`, `node_hkdf` (through `hostWork`), and
// `crypto_random`. A hash or cipher state is a resource tracked with
// `trackResource`, released by `digest()`/`final()` or the collector.

const { Buffer } = nodeModule('buffer');
const { nodeError, invalidArgType, outOfRange } = nodeGroup('buffer');
const { StringDecoder } = nodeModule('string_decoder');

const kMaxInt32 = 2147483647;
const HASHES = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'sha512-224', 'sha512-256',
  'RSA-MD5', 'RSA-SHA1', 'RSA-SHA224', 'RSA-SHA256', 'RSA-SHA384', 'RSA-SHA512',
  'RSA-SHA512/224', 'RSA-SHA512/256'];
const CIPHERS = [];
for (const bits of [128, 192, 256]) for (const mode of ['cbc', 'ctr', 'gcm']) CIPHERS.push(`aes-${bits}-${mode}`);
CIPHERS.push('aes128', 'aes192', 'aes256');

function asBuffer(bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// The bytes of `value` (a string in `encoding`, a buffer, or, where
// `keys` says so, a secret KeyObject), or ERR_INVALID_ARG_TYPE naming `name`.
function toBytes(value, name, encoding, keys = false) {
  if (typeof value === 'string') return Buffer.from(value, encoding || 'utf8');
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer)) {
    return new Uint8Array(value);
  }
  if (keys && value instanceof KeyObject && value.type === 'secret') return value.export();
  const what = keys
    ? 'of type string or an instance of ArrayBuffer, Buffer, TypedArray, DataView, KeyObject, or CryptoKey'
    : 'of type string or an instance of Buffer, TypedArray, or DataView';
  throw invalidArgType(name, what, value);
}

function encodeOutput(buf, encoding) {
  return encoding === undefined || encoding === 'buffer' ? buf : buf.toString(encoding);
}

function checkInt(value, name, min, max) {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
  return value;
}

function checkFunction(value, name) {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
  return value;
}

function checkDigest(digest, name = 'digest') {
  if (typeof digest !== 'string') throw invalidArgType(name, 'of type string', digest);
  return digest;
}

// Hashes and HMACs.

const HANDLE = Symbol('handle');

function finalizedError() {
  return nodeError(Error, 'ERR_CRYPTO_HASH_FINALIZED', 'Digest already called');
}

class Hash {
  #handle;
  #done = false;
  constructor(algorithm, options) {
    if (algorithm === HANDLE) {
      this.#handle = options;
    } else {
      if (typeof algorithm !== 'string') throw invalidArgType('algorithm', 'of type string', algorithm);
      const handle = op('node_hash_new', algorithm);
      if (handle === null) throw new Error('Digest method not supported');
      this.#handle = handle;
    }
    trackResource(this, this.#handle);
  }
  update(data, encoding) {
    if (this.#done) throw finalizedError();
    op('node_hash_update', this.#handle, toBytes(data, 'data', encoding));
    return this;
  }
  digest(encoding) {
    if (this.#done) throw finalizedError();
    this.#done = true;
    untrackResource(this);
    return encodeOutput(asBuffer(op('node_hash_digest', this.#handle)), encoding);
  }
  copy() {
    if (this.#done) throw finalizedError();
    return new Hash(HANDLE, op('node_hash_copy', this.#handle));
  }
}

class Hmac {
  #handle;
  #done = false;
  constructor(hmac, key) {
    checkDigest(hmac, 'hmac');
    const handle = op('node_hash_new', hmac, toBytes(key, 'key', 'utf8', true));
    if (handle === null) throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_DIGEST', `Invalid digest: ${hmac}`);
    this.#handle = handle;
    trackResource(this, handle);
  }
  update(data, encoding) {
    if (this.#done) throw finalizedError();
    op('node_hash_update', this.#handle, toBytes(data, 'data', encoding));
    return this;
  }
  digest(encoding) {
    // Node.js gives an empty result for a second digest() of an Hmac.
    if (this.#done) return encodeOutput(Buffer.alloc(0), encoding);
    this.#done = true;
    untrackResource(this);
    return encodeOutput(asBuffer(op('node_hash_digest', this.#handle)), encoding);
  }
}

function createHash(algorithm, options) { return new Hash(algorithm, options); }
function createHmac(hmac, key, options) { return new Hmac(hmac, key, options); }

// crypto.hash(algorithm, data, outputEncoding = 'hex'): a one-shot hash.
function hash(algorithm, data, outputEncoding = 'hex') {
  checkDigest(algorithm, 'algorithm');
  if (typeof data !== 'string' && !ArrayBuffer.isView(data)) {
    throw invalidArgType('data', 'of type string or an instance of Buffer, TypedArray, or DataView', data);
  }
  return new Hash(algorithm).update(data).digest(outputEncoding);
}

// Ciphers.

// `aes-256-gcm` (and `aes256`, CBC) as [mode, key bytes].
function parseCipher(name) {
  const m = /^(?:id-)?aes-?(128|192|256)(?:-(cbc|ctr|gcm))?$/i.exec(String(name));
  if (!m) throw nodeError(Error, 'ERR_CRYPTO_UNKNOWN_CIPHER', 'Unknown cipher');
  return [(m[2] || 'cbc').toLowerCase(), Number(m[1]) / 8];
}

function opensslError(e) {
  const m = /^(ERR_OSSL_[A-Z_]+):(.*)$/.exec(e && e.message);
  if (!m) return e;
  const code = m[1] === 'ERR_OSSL_BAD_DECRYPT' ? '1C800064' : '1C80006B';
  return nodeError(Error, m[1], `error:${code}:Provider routines::${m[2]}`);
}

class CipherBase {
  #handle;
  #mode;
  #decrypt;
  #done = false;
  #tag = undefined;
  #tagLength;
  #decoder = null;
  constructor(cipher, key, iv, options, decrypt) {
    if (typeof cipher !== 'string') throw invalidArgType('cipher', 'of type string', cipher);
    const [mode, keyLength] = parseCipher(cipher);
    const keyBytes = toBytes(key, 'key', 'utf8', true);
    if (iv === null && mode !== 'gcm') iv = undefined;
    const ivBytes = toBytes(iv, 'iv', 'utf8');
    if (keyBytes.length !== keyLength) throw nodeError(RangeError, 'ERR_CRYPTO_INVALID_KEYLEN', 'Invalid key length');
    if (mode === 'gcm' ? ivBytes.length === 0 : ivBytes.length !== 16) {
      throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_IV', 'Invalid initialization vector');
    }
    let tagLength;
    if (mode === 'gcm' && options && options.authTagLength !== undefined) {
      tagLength = options.authTagLength;
      if (![4, 8, 12, 13, 14, 15, 16].includes(tagLength)) {
        throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_AUTH_TAG', `Invalid authentication tag length: ${tagLength}`);
      }
    }
    this.#mode = mode;
    this.#decrypt = decrypt;
    this.#tagLength = tagLength;
    this.#handle = op('node_cipher_new', mode, keyBytes, ivBytes, decrypt, tagLength);
    trackResource(this, this.#handle);
  }
  #output(buf, encoding) {
    if (encoding === undefined || encoding === 'buffer') return buf;
    if (this.#decoder === null) this.#decoder = new StringDecoder(encoding);
    return this.#decoder.write(buf);
  }
  update(data, inputEncoding, outputEncoding) {
    if (this.#done) throw nodeError(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state for operation update');
    const bytes = toBytes(data, 'data', inputEncoding);
    if (outputEncoding !== undefined && outputEncoding !== 'buffer' && !Buffer.isEncoding(outputEncoding)) {
      throw nodeError(TypeError, 'ERR_UNKNOWN_ENCODING', `Unknown encoding: ${outputEncoding}`);
    }
    return this.#output(asBuffer(op('node_cipher_update', this.#handle, bytes)), outputEncoding);
  }
  final(outputEncoding) {
    if (this.#done) throw nodeError(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state for operation final');
    this.#done = true;
    untrackResource(this);
    let out;
    try {
      out = op('node_cipher_final', this.#handle, this.#tag);
    } catch (e) {
      throw opensslError(e);
    }
    if (out[1] !== undefined) this.#tag = asBuffer(out[1]);
    const buf = asBuffer(out[0]);
    if (outputEncoding === undefined || outputEncoding === 'buffer') return buf;
    const decoder = this.#decoder || new StringDecoder(outputEncoding);
    return decoder.end(buf);
  }
  setAutoPadding(autoPadding = true) {
    if (!this.#done) op('node_cipher_padding', this.#handle, autoPadding !== false);
    return this;
  }
  setAAD(buffer, options) {
    if (this.#mode !== 'gcm' || this.#done) throw nodeError(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state for operation setAAD');
    op('node_cipher_aad', this.#handle, toBytes(buffer, 'buffer'));
    return this;
  }
  getAuthTag() {
    if (this.#mode !== 'gcm' || this.#decrypt || !this.#done || this.#tag === undefined) {
      throw nodeError(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state for operation getAuthTag');
    }
    return this.#tag;
  }
  setAuthTag(tagbuf) {
    if (this.#mode !== 'gcm' || !this.#decrypt || this.#done || this.#tag !== undefined) {
      throw nodeError(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state for operation setAuthTag');
    }
    const tag = toBytes(tagbuf, 'buffer');
    const ok = this.#tagLength !== undefined ? tag.length === this.#tagLength : [4, 8, 12, 13, 14, 15, 16].includes(tag.length);
    if (!ok) throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_AUTH_TAG', `Invalid authentication tag length: ${tag.length}`);
    this.#tag = Buffer.from(tag);
    return this;
  }
}

class Cipheriv extends CipherBase {
  constructor(cipher, key, iv, options) { super(cipher, key, iv, options, false); }
}
class Decipheriv extends CipherBase {
  constructor(cipher, key, iv, options) { super(cipher, key, iv, options, true); }
}
delete Cipheriv.prototype.setAuthTag;
function createCipheriv(cipher, key, iv, options) { return new Cipheriv(cipher, key, iv, options); }
function createDecipheriv(cipher, key, iv, options) { return new Decipheriv(cipher, key, iv, options); }

// Key derivation. The callback forms run as host work and call back in a
// later turn; errors in the arguments are thrown at once, as in Node.js.

function deliver(callback, work, wrap) {
  Promise.resolve()
    .then(() => work())
    .then(bytes => callback(null, wrap(bytes)), err => callback(err));
}

function pbkdf2Args(password, salt, iterations, keylen, digest) {
  const p = toBytes(password, 'password', 'utf8', true);
  const s = toBytes(salt, 'salt', 'utf8', true);
  checkInt(iterations, 'iterations', 1, kMaxInt32);
  checkInt(keylen, 'keylen', 0, kMaxInt32);
  checkDigest(digest);
  if (!HASHES.some(h => h.toLowerCase() === digest.toLowerCase()) && !/^sha-?(1|224|256|384|512)$/i.test(digest)) {
    throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_DIGEST', `Invalid digest: ${digest}`);
  }
  return [digest, p, s, iterations, keylen];
}

function pbkdf2Sync(password, salt, iterations, keylen, digest) {
  return asBuffer(op('node_pbkdf2_sync', ...pbkdf2Args(password, salt, iterations, keylen, digest)));
}

function pbkdf2(password, salt, iterations, keylen, digest, callback) {
  if (typeof digest === 'function') { callback = digest; digest = undefined; }
  const args = pbkdf2Args(password, salt, iterations, keylen, digest);
  checkFunction(callback, 'callback');
  deliver(callback, () => hostWork('node_pbkdf2', ...args), asBuffer);
}

const SCRYPT_DEFAULTS = { N: 16384, r: 8, p: 1, maxmem: 32 << 20 };

function scryptArgs(password, salt, keylen, options) {
  const p = toBytes(password, 'password', 'utf8', true);
  const s = toBytes(salt, 'salt', 'utf8', true);
  checkInt(keylen, 'keylen', 0, kMaxInt32);
  const o = options || {};
  const pick = (a, b, name) => {
    if (o[a] !== undefined && o[b] !== undefined) {
      throw nodeError(TypeError, 'ERR_INCOMPATIBLE_OPTION_PAIR', `Option "${a}" cannot be used in combination with option "${b}"`);
    }
    const v = o[a] !== undefined ? o[a] : o[b] !== undefined ? o[b] : SCRYPT_DEFAULTS[name];
    return checkInt(v, name, 0, Number.MAX_SAFE_INTEGER);
  };
  const N = pick('N', 'cost', 'N');
  const r = pick('r', 'blockSize', 'r');
  const par = pick('p', 'parallelization', 'p');
  const maxmem = o.maxmem !== undefined ? checkInt(o.maxmem, 'maxmem', 0, Number.MAX_SAFE_INTEGER) : SCRYPT_DEFAULTS.maxmem;
  // OpenSSL's checks: N a power of two above 1, and the memory it needs
  // (128·r·(N + 2) for the mix, 128·r·p for the blocks) within maxmem.
  const powerOfTwo = N > 1 && Number.isInteger(Math.log2(N));
  if (!powerOfTwo || r < 1 || par < 1 || 128 * r * (N + 2) + 128 * r * par > maxmem) {
    throw nodeError(RangeError, 'ERR_CRYPTO_INVALID_SCRYPT_PARAMS',
      'Invalid scrypt params: error:030000AC:digital envelope routines::memory limit exceeded');
  }
  return [p, s, keylen, N, r, par];
}

function scryptSync(password, salt, keylen, options) {
  return asBuffer(op('node_scrypt_sync', ...scryptArgs(password, salt, keylen, options)));
}

function scrypt(password, salt, keylen, options, callback) {
  if (typeof options === 'function') { callback = options; options = undefined; }
  const args = scryptArgs(password, salt, keylen, options);
  checkFunction(callback, 'callback');
  deliver(callback, () => hostWork('node_scrypt', ...args), asBuffer);
}

const HASH_SIZES = { md5: 16, sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64, 'sha512-224': 28, 'sha512-256': 32 };

function hkdfArgs(digest, ikm, salt, info, keylen) {
  checkDigest(digest);
  const key = toBytes(ikm, 'ikm', 'utf8', true);
  const s = toBytes(salt, 'salt', 'utf8');
  const i = toBytes(info, 'info', 'utf8');
  checkInt(keylen, 'length', 0, kMaxInt32);
  const size = HASH_SIZES[digest.toLowerCase().replace(/^rsa-/, '').replace('/', '-')];
  if (size === undefined) throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_DIGEST', `Invalid digest: ${digest}`);
  if (i.length > 1024) throw outOfRange('info', 'must not contain more than 1024 bytes', i.length);
  if (keylen > 255 * size) throw nodeError(RangeError, 'ERR_CRYPTO_INVALID_KEYLEN', 'Invalid key length');
  return [digest, key, s, i, keylen];
}

const toArrayBuffer = bytes => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);

function hkdfSync(digest, ikm, salt, info, keylen) {
  return toArrayBuffer(op('node_hkdf_sync', ...hkdfArgs(digest, ikm, salt, info, keylen)));
}

function hkdf(digest, ikm, salt, info, keylen, callback) {
  const args = hkdfArgs(digest, ikm, salt, info, keylen);
  checkFunction(callback, 'callback');
  deliver(callback, () => hostWork('node_hkdf', ...args), toArrayBuffer);
}

// Randomness.

function fillRandom(bytes) {
  for (let i = 0; i < bytes.length; i += 65536) {
    const n = Math.min(65536, bytes.length - i);
    bytes.set(op('crypto_random', n), i);
  }
  return bytes;
}

function randomBytes(size, callback) {
  checkInt(size, 'size', 0, kMaxInt32);
  if (callback !== undefined) checkFunction(callback, 'callback');
  const buf = fillRandom(Buffer.alloc(size));
  if (callback === undefined) return buf;
  queueMicrotask(() => callback(null, buf));
}

function fillTarget(buf, offset, size) {
  if (!ArrayBuffer.isView(buf) && !(buf instanceof ArrayBuffer)) {
    throw invalidArgType('buf', 'an instance of ArrayBuffer or ArrayBufferView', buf);
  }
  const bytes = buf instanceof ArrayBuffer ? new Uint8Array(buf) : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const elementSize = buf.BYTES_PER_ELEMENT || 1;
  const length = bytes.length / elementSize;
  checkInt(offset, 'offset', 0, length);
  if (size === undefined) size = length - offset;
  checkInt(size, 'size', 0, length - offset);
  return bytes.subarray(offset * elementSize, (offset + size) * elementSize);
}

function randomFillSync(buf, offset = 0, size) {
  fillRandom(fillTarget(buf, offset, size));
  return buf;
}

function randomFill(buf, offset, size, callback) {
  if (typeof offset === 'function') { callback = offset; offset = 0; size = undefined; }
  else if (typeof size === 'function') { callback = size; size = undefined; }
  checkFunction(callback, 'callback');
  fillRandom(fillTarget(buf, offset, size));
  queueMicrotask(() => callback(null, buf));
}

const RANDOM_INT_RANGE = 2 ** 48 - 1;

function randomInt(min, max, callback) {
  if (max === undefined || typeof max === 'function') { callback = max; max = min; min = 0; }
  if (!Number.isSafeInteger(min)) throw invalidArgType('min', 'a safe integer', min);
  if (!Number.isSafeInteger(max)) throw invalidArgType('max', 'a safe integer', max);
  if (max <= min) {
    throw outOfRange('max', `greater than the value of "min" (${min})`, max);
  }
  const range = max - min;
  if (range > RANDOM_INT_RANGE) {
    throw outOfRange('max - min', `<= ${RANDOM_INT_RANGE}`, range);
  }
  if (callback !== undefined) checkFunction(callback, 'callback');
  // Rejection sampling over 48 random bits: no bias toward low values.
  const limit = RANDOM_INT_RANGE + 1 - ((RANDOM_INT_RANGE + 1) % range);
  let n;
  do {
    const b = op('crypto_random', 6);
    n = ((b[0] * 256 + b[1]) * 256 + b[2]) * 2 ** 24 + ((b[3] * 256 + b[4]) * 256 + b[5]);
  } while (n >= limit);
  const value = min + (n % range);
  if (callback === undefined) return value;
  queueMicrotask(() => callback(null, value));
}

function randomUUID(options) {
  return globalThis.crypto.randomUUID();
}

function getRandomValues(array) {
  return globalThis.crypto.getRandomValues(array);
}

function timingSafeEqual(a, b) {
  const view = (v, name) => {
    if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    throw invalidArgType(name, 'an instance of ArrayBuffer, Buffer, TypedArray, or DataView', v);
  };
  const x = view(a, 'buf1');
  const y = view(b, 'buf2');
  if (x.length !== y.length) {
    throw nodeError(RangeError, 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH', 'Input buffers must have the same byte length');
  }
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

// Keys: secret KeyObjects.

class KeyObject {
  #type;
  #bytes;
  constructor(type, bytes) {
    if (type !== 'secret') throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'type' is invalid. Received '${type}'`);
    this.#type = type;
    this.#bytes = Buffer.from(bytes);
  }
  get type() { return this.#type; }
  get symmetricKeySize() { return this.#bytes.length; }
  get asymmetricKeyType() { return undefined; }
  export(options) {
    if (options && options.format === 'jwk') return { kty: 'oct', k: this.#bytes.toString('base64url') };
    return Buffer.from(this.#bytes);
  }
  equals(other) {
    if (!(other instanceof KeyObject)) throw invalidArgType('otherKeyObject', 'an instance of KeyObject', other);
    const o = other.export();
    return other.type === this.#type && o.length === this.#bytes.length && timingSafeEqual(o, this.#bytes);
  }
  get [Symbol.toStringTag]() { return 'KeyObject'; }
}

function createSecretKey(key, encoding) {
  return new KeyObject('secret', toBytes(key, 'key', encoding));
}

function getHashes() { return HASHES.slice(); }
function getCiphers() { return CIPHERS.slice().sort(); }

const module = {
  createHash,
  createHmac,
  hash,
  Hash,
  Hmac,
  createCipheriv,
  createDecipheriv,
  Cipheriv,
  Decipheriv,
  pbkdf2,
  pbkdf2Sync,
  scrypt,
  scryptSync,
  hkdf,
  hkdfSync,
  randomBytes,
  randomFill,
  randomFillSync,
  randomInt,
  randomUUID,
  getRandomValues,
  timingSafeEqual,
  KeyObject,
  createSecretKey,
  getHashes,
  getCiphers,
  constants: {},
  get webcrypto() { return globalThis.crypto; },
  get subtle() { return globalThis.crypto.subtle; },
};
