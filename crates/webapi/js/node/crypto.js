// node:crypto — Node.js's crypto API over Rust ops: streaming hashes and
// HMACs (md5, sha1, sha224, sha256, sha384, sha512, sha512-224, sha512-256),
// AES-CBC/CTR/GCM ciphers, PBKDF2, scrypt and HKDF (sync and callback
// forms), random bytes and numbers, timingSafeEqual, KeyObjects (secret,
// and public/private over the key ops: createPrivateKey, createPublicKey,
// generateKeyPair, sign/verify, publicEncrypt/privateDecrypt,
// diffieHellman), and the Web Crypto object (`webcrypto`, `subtle`, `getRandomValues`).
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

// Keys: secret KeyObjects hold their bytes; public and private ones a key
// map from the ops (`{ kind, type, der, curve?, modulusLength?,
// publicExponent? }`, see src/node_crypto/keys.rs).

const KEY_MAP = Symbol('key map');
const CURVE_NAMES = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };
const CURVES = { prime256v1: 'P-256', 'P-256': 'P-256', secp256r1: 'P-256', secp384r1: 'P-384', 'P-384': 'P-384', secp521r1: 'P-521', 'P-521': 'P-521' };
const TYPE_ERRORS = ['ERR_INVALID_ARG_VALUE', 'ERR_CRYPTO_INVALID_DIGEST', 'ERR_CRYPTO_INVALID_JWK', 'ERR_INVALID_ARG_TYPE'];

// An error of the key ops (`CODE:text`) as Node's.
function keyError(e) {
  const m = /^(ERR_[A-Z0-9_]+):(.*)$/s.exec(e && e.message);
  if (!m || e.name !== 'Error') return e;
  return nodeError(TYPE_ERRORS.includes(m[1]) ? TypeError : Error, m[1], m[2]);
}
function keyOp(name, ...args) {
  try {
    return op(name, ...args);
  } catch (e) {
    throw keyError(e);
  }
}

// util.types.isKeyObject: a brand check (set below, once the class exists).
let isKeyObject;
class KeyObject {
  #type;
  #bytes;
  #map;
  constructor(type, bytes) {
    if (type === KEY_MAP) {
      this.#type = bytes.kind;
      this.#map = bytes;
      return;
    }
    if (type !== 'secret') throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'type' is invalid. Received '${type}'`);
    this.#type = type;
    this.#bytes = Buffer.from(bytes);
  }
  static from(key) {
    throw invalidArgType('key', 'an instance of CryptoKey', key);
  }
  static isKeyObject(v) {
    return v !== null && typeof v === 'object' && #type in v;
  }
  get type() { return this.#type; }
  get symmetricKeySize() { return this.#bytes === undefined ? undefined : this.#bytes.length; }
  get asymmetricKeyType() { return this.#map === undefined ? undefined : this.#map.type; }
  get asymmetricKeyDetails() {
    const m = this.#map;
    if (m === undefined) return undefined;
    if (m.type === 'rsa') {
      let e = 0n;
      for (const b of m.publicExponent) e = e * 256n + BigInt(b);
      return { modulusLength: m.modulusLength, publicExponent: e };
    }
    if (m.type === 'ec') return { namedCurve: CURVE_NAMES[m.curve] };
    return {};
  }
  export(options) {
    if (this.#map === undefined) {
      if (options && options.format === 'jwk') return { kty: 'oct', k: this.#bytes.toString('base64url') };
      return Buffer.from(this.#bytes);
    }
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const { format, type } = options;
    if (format === 'jwk') return keyOp('node_key_export', this.#map, 'jwk');
    if (format !== 'pem' && format !== 'der') {
      throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The property 'options.format' must be one of: 'pem', 'der', 'jwk'. Received ${format === undefined ? 'undefined' : `'${format}'`}`);
    }
    const types = this.#type === 'private' ? ['pkcs1', 'pkcs8', 'sec1'] : ['pkcs1', 'spki'];
    if (!types.includes(type)) {
      throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The property 'options.type' is invalid. Received ${type === undefined ? 'undefined' : `'${type}'`}`);
    }
    if (type === 'pkcs1' && this.#map.type !== 'rsa') {
      throw nodeError(Error, 'ERR_CRYPTO_INCOMPATIBLE_KEY_OPTIONS', 'The selected key encoding pkcs1 can only be used for RSA keys.');
    }
    if (type === 'sec1' && this.#map.type !== 'ec') {
      throw nodeError(Error, 'ERR_CRYPTO_INCOMPATIBLE_KEY_OPTIONS', 'The selected key encoding sec1 can only be used for EC keys.');
    }
    if (options.cipher !== undefined || options.passphrase !== undefined) {
      throw nodeError(Error, 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM', 'Encrypted private keys are not supported by motu');
    }
    const out = keyOp('node_key_export', this.#map, format, type);
    return format === 'pem' ? out : asBuffer(out);
  }
  equals(other) {
    if (!(other instanceof KeyObject)) throw invalidArgType('otherKeyObject', 'an instance of KeyObject', other);
    if (other.type !== this.#type) return false;
    if (this.#map === undefined) {
      const o = other.export();
      return o.length === this.#bytes.length && timingSafeEqual(o, this.#bytes);
    }
    const a = this.#map.der;
    const b = keyMap(other).der;
    return a.length === b.length && timingSafeEqual(a, b);
  }
  get [Symbol.toStringTag]() { return 'KeyObject'; }
  static [KEY_MAP](key) { return key.#map; }
}
isKeyObject = KeyObject.isKeyObject;
delete KeyObject.isKeyObject;

const keyMap = key => KeyObject[KEY_MAP](key);
const asymmetric = map => new KeyObject(KEY_MAP, map);

function createSecretKey(key, encoding) {
  return new KeyObject('secret', toBytes(key, 'key', encoding));
}

// The key data, format and type of createPrivateKey/createPublicKey's
// argument (a PEM string or buffer, or `{ key, format, type, encoding }`).
function keyInput(key, name = 'key') {
  let options = {};
  if (key !== null && typeof key === 'object' && !ArrayBuffer.isView(key) && !(key instanceof ArrayBuffer) && !(key instanceof KeyObject)) {
    options = key;
    key = options.key;
  }
  const format = options.format === undefined ? 'pem' : options.format;
  if (format === 'jwk') {
    if (key === null || typeof key !== 'object') throw invalidArgType('key.key', 'of type object', key);
    return { data: key, format, type: undefined, options };
  }
  if (format !== 'pem' && format !== 'der') {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The property '${name}.format' is invalid. Received '${format}'`);
  }
  if (options.passphrase !== undefined && options.passphrase !== null) {
    throw nodeError(Error, 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM', 'Encrypted private keys are not supported by motu');
  }
  if (typeof key !== 'string' && !ArrayBuffer.isView(key) && !(key instanceof ArrayBuffer)) {
    throw invalidArgType(name, 'of type string or an instance of ArrayBuffer, Buffer, TypedArray, DataView, KeyObject, or CryptoKey', key);
  }
  const data = typeof key === 'string' ? Buffer.from(key, options.encoding || 'utf8') : toBytes(key, name);
  if (format === 'der' && options.type === undefined) {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The property '${name}.type' is invalid. Received undefined`);
  }
  return { data, format, type: options.type, options };
}

function createPrivateKey(key) {
  const { data, format, type } = keyInput(key);
  return asymmetric(keyOp('node_key_import', 'private', data, format, type));
}

function createPublicKey(key) {
  const inner = key !== null && typeof key === 'object' && !(key instanceof KeyObject) && key.key instanceof KeyObject ? key.key : key;
  if (inner instanceof KeyObject) {
    if (inner.type !== 'private') {
      throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE', `Invalid key object type ${inner.type}, expected private.`);
    }
    return asymmetric(keyOp('node_key_public', keyMap(inner)));
  }
  const { data, format, type } = keyInput(key);
  return asymmetric(keyOp('node_key_import', 'public', data, format, type));
}

// The key map and options of an operation's key argument; `wanted` is
// 'private' (sign, privateDecrypt) or 'public' (a private key also does).
function operationKey(key, wanted) {
  let options = {};
  let inner = key;
  if (key !== null && typeof key === 'object' && !ArrayBuffer.isView(key) && !(key instanceof KeyObject) && !(key instanceof ArrayBuffer)) {
    options = key;
    inner = key.key;
  }
  if (inner instanceof KeyObject) {
    if (inner.type === 'secret' || (wanted === 'private' && inner.type !== 'private')) {
      throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE', `Invalid key object type ${inner.type}, expected ${wanted}.`);
    }
    return { map: keyMap(inner), options };
  }
  const { data, format, type } = keyInput(key);
  // A public operation takes a private key's encoding too.
  let map;
  if (wanted === 'private') {
    map = keyOp('node_key_import', 'private', data, format, type);
  } else {
    try {
      map = keyOp('node_key_import', 'public', data, format, type);
    } catch (e) {
      map = keyOp('node_key_import', 'private', data, format, type);
    }
  }
  return { map, options };
}

// Generating key pairs.

function generateArgs(type, options) {
  if (typeof type !== 'string') throw invalidArgType('type', 'of type string', type);
  if (!['rsa', 'ec', 'ed25519', 'x25519'].includes(type)) {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'type' must be a supported key type. Received '${type}'`);
  }
  const o = options === undefined ? {} : options;
  if (o === null || typeof o !== 'object') throw invalidArgType('options', 'of type object', options);
  const host = {};
  if (type === 'rsa') {
    if (typeof o.modulusLength !== 'number') throw invalidArgType('options.modulusLength', 'of type number', o.modulusLength);
    checkInt(o.modulusLength, 'options.modulusLength', 0, 4294967295);
    host.modulusLength = o.modulusLength;
    if (o.publicExponent !== undefined) {
      if (typeof o.publicExponent !== 'number') throw invalidArgType('options.publicExponent', 'of type number', o.publicExponent);
      checkInt(o.publicExponent, 'options.publicExponent', 0, 4294967295);
      host.publicExponent = o.publicExponent;
    }
  } else if (type === 'ec') {
    if (typeof o.namedCurve !== 'string') throw invalidArgType('options.namedCurve', 'of type string', o.namedCurve);
    const curve = CURVES[o.namedCurve];
    if (curve === undefined) throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_CURVE', 'Invalid EC curve name');
    host.namedCurve = curve;
  }
  const encoding = (name) => {
    const e = o[name];
    if (e === undefined) return undefined;
    if (e === null || typeof e !== 'object') throw invalidArgType(`options.${name}`, 'of type object', e);
    return e;
  };
  return [type, host, encoding('publicKeyEncoding'), encoding('privateKeyEncoding')];
}

function encodedPair(pair, publicEncoding, privateEncoding) {
  const publicKey = asymmetric(pair.public);
  const privateKey = asymmetric(pair.private);
  return {
    publicKey: publicEncoding ? publicKey.export(publicEncoding) : publicKey,
    privateKey: privateEncoding ? privateKey.export(privateEncoding) : privateKey,
  };
}

function generateKeyPairSync(type, options) {
  const [t, host, pub, priv] = generateArgs(type, options);
  return encodedPair(keyOp('node_key_generate_sync', t, host), pub, priv);
}

function generateKeyPair(type, options, callback) {
  if (typeof options === 'function') { callback = options; options = undefined; }
  const [t, host, pub, priv] = generateArgs(type, options);
  checkFunction(callback, 'callback');
  Promise.resolve()
    .then(() => hostWork('node_key_generate', t, host))
    .then(pair => encodedPair(pair, pub, priv))
    .then(({ publicKey, privateKey }) => callback(null, publicKey, privateKey), err => callback(keyError(err)));
}

// Signatures.

function signOptions(options) {
  const out = {};
  if (options.padding !== undefined) out.padding = options.padding;
  if (options.saltLength !== undefined) out.saltLength = options.saltLength;
  if (options.dsaEncoding !== undefined) {
    if (options.dsaEncoding !== 'der' && options.dsaEncoding !== 'ieee-p1363') {
      throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The property 'options.dsaEncoding' is invalid. Received '${options.dsaEncoding}'`);
    }
    out.dsaEncoding = options.dsaEncoding;
  }
  return out;
}

function viewArg(value, name) {
  if (typeof value === 'string') return Buffer.from(value);
  if (!ArrayBuffer.isView(value)) throw invalidArgType(name, 'an instance of Buffer, TypedArray, or DataView', value);
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

function sign(algorithm, data, key, callback) {
  if (algorithm !== null && algorithm !== undefined) checkDigest(algorithm, 'algorithm');
  const bytes = viewArg(data, 'data');
  const { map, options } = operationKey(key, 'private');
  const args = [algorithm == null ? undefined : algorithm, map, bytes, signOptions(options)];
  if (callback === undefined) return asBuffer(keyOp('node_sign_sync', ...args));
  checkFunction(callback, 'callback');
  Promise.resolve()
    .then(() => hostWork('node_sign', ...args))
    .then(v => callback(null, asBuffer(v)), e => callback(keyError(e)));
}

function verify(algorithm, data, key, signature, callback) {
  if (algorithm !== null && algorithm !== undefined) checkDigest(algorithm, 'algorithm');
  const bytes = viewArg(data, 'data');
  const sig = viewArg(signature, 'signature');
  const { map, options } = operationKey(key, 'public');
  const args = [algorithm == null ? undefined : algorithm, map, bytes, sig, signOptions(options)];
  if (callback === undefined) return keyOp('node_verify_sync', ...args);
  checkFunction(callback, 'callback');
  Promise.resolve()
    .then(() => hostWork('node_verify', ...args))
    .then(v => callback(null, v), e => callback(keyError(e)));
}

// The digest names createSign/createVerify take.
function checkSignDigest(algorithm) {
  checkDigest(algorithm, 'algorithm');
  const name = algorithm.toLowerCase().replace(/^rsa-/, '').replace(/withrsaencryption$/, '');
  if (HASH_SIZES[name] === undefined && !/^sha-(1|224|256|384|512)$/.test(name)) {
    throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_DIGEST', 'Invalid digest');
  }
  return algorithm.replace(/withRSAEncryption$/i, '');
}

class SignBase {
  #algorithm;
  #parts = [];
  constructor(algorithm) { this.#algorithm = checkSignDigest(algorithm); }
  update(data, encoding) {
    this.#parts.push(Buffer.from(toBytes(data, 'data', encoding)));
    return this;
  }
  // Node's Sign and Verify are writable streams; here `write` feeds them too.
  write(data, encoding) { this.update(data, encoding); return true; }
  end(data, encoding) { if (data !== undefined) this.update(data, encoding); return this; }
  take() {
    const data = Buffer.concat(this.#parts);
    this.#parts = [];
    return [this.#algorithm, data];
  }
}

class Sign extends SignBase {
  sign(privateKey, outputEncoding) {
    const [algorithm, data] = this.take();
    return encodeOutput(sign(algorithm, data, privateKey), outputEncoding);
  }
}

class Verify extends SignBase {
  verify(object, signature, signatureEncoding) {
    const [algorithm, data] = this.take();
    const sig = typeof signature === 'string' ? Buffer.from(signature, signatureEncoding) : signature;
    return verify(algorithm, data, object, sig);
  }
}

function createSign(algorithm, options) { return new Sign(algorithm, options); }
function createVerify(algorithm, options) { return new Verify(algorithm, options); }

// RSA encryption and Diffie-Hellman.

const RSA_CONSTANTS = {
  RSA_PKCS1_PADDING: 1, RSA_NO_PADDING: 3, RSA_PKCS1_OAEP_PADDING: 4, RSA_PKCS1_PSS_PADDING: 6,
  RSA_PSS_SALTLEN_DIGEST: -1, RSA_PSS_SALTLEN_MAX_SIGN: -2, RSA_PSS_SALTLEN_AUTO: -2,
};

function rsaCrypt(encrypt, key, buffer) {
  const { map, options } = operationKey(key, encrypt ? 'public' : 'private');
  const data = toBytes(buffer, 'buffer', options.encoding);
  const padding = options.padding === undefined ? RSA_CONSTANTS.RSA_PKCS1_OAEP_PADDING : options.padding;
  if (!encrypt && padding === RSA_CONSTANTS.RSA_PKCS1_PADDING) {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', 'RSA_PKCS1_PADDING is no longer supported for private decryption, this can be reverted with --security-revert=CVE-2023-46809');
  }
  const label = options.oaepLabel === undefined ? undefined : toBytes(options.oaepLabel, 'key.oaepLabel');
  if (options.oaepHash !== undefined) checkDigest(options.oaepHash, 'key.oaepHash');
  return asBuffer(keyOp('node_rsa_crypt', encrypt, map, data, padding, options.oaepHash, label));
}

function publicEncrypt(key, buffer) { return rsaCrypt(true, key, buffer); }
function privateDecrypt(key, buffer) { return rsaCrypt(false, key, buffer); }

function diffieHellman(options) {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const { privateKey, publicKey } = options;
  if (!(privateKey instanceof KeyObject)) throw invalidArgType('options.privateKey', 'an instance of KeyObject', privateKey);
  if (!(publicKey instanceof KeyObject)) throw invalidArgType('options.publicKey', 'an instance of KeyObject', publicKey);
  if (privateKey.type !== 'private') {
    throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE', `Invalid key object type ${privateKey.type}, expected private.`);
  }
  if (publicKey.type === 'secret') {
    throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE', 'Invalid key object type secret, expected public.');
  }
  const a = privateKey.asymmetricKeyType;
  const b = publicKey.asymmetricKeyType;
  if (a !== b || !['ec', 'x25519'].includes(a)) {
    throw nodeError(Error, 'ERR_CRYPTO_INCOMPATIBLE_KEY', `Incompatible key types for Diffie-Hellman: ${a} and ${b}`);
  }
  return asBuffer(keyOp('node_dh', keyMap(privateKey), keyMap(publicKey)));
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
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  generateKeyPairSync,
  sign,
  verify,
  createSign,
  createVerify,
  Sign,
  Verify,
  publicEncrypt,
  privateDecrypt,
  diffieHellman,
  getHashes,
  getCiphers,
  constants: RSA_CONSTANTS,
  get webcrypto() { return globalThis.crypto; },
  get subtle() { return globalThis.crypto.subtle; },
};
