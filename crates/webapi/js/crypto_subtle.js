// SubtleCrypto (Web Crypto): digest, sign/verify, encrypt/decrypt,
// generateKey, importKey/exportKey, deriveBits/deriveKey, wrapKey/unwrapKey.
// Every method checks its arguments and keys here and starts its Rust op as
// host work (`cryptoWork`): quick work runs at once and the returned promise
// is already settled; long work runs elsewhere and settles it later. The
// `*Inner` helpers return a value, or a promise of it when their work runs
// elsewhere. Ops (host work): crypto_digest, crypto_sign, crypto_verify,
// crypto_encrypt, crypto_decrypt, crypto_generate, crypto_import,
// crypto_export, crypto_derive_bits; (synchronous) crypto_random,
// utf8_encode, utf8_decode.
const SUBTLE_TOKEN = Symbol('SubtleCrypto');
const SECRET_ALGORITHMS = ['HMAC', 'AES-CTR', 'AES-CBC', 'AES-GCM', 'AES-KW', 'PBKDF2', 'HKDF'];
const JWK_STRING_MEMBERS = ['kty', 'use', 'alg', 'crv', 'x', 'y', 'd', 'n', 'e', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

// Runs `fn` and gives its result (or the result it promises) or its
// exception as a promise.
function cryptoPromise(fn) {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}

function invalidAccess(message) {
  return new DOMException(message, 'InvalidAccessError');
}

// The parameters the Rust ops read, from a normalised algorithm.
function opParams(normalized, slots) {
  const params = { ...normalized };
  if (normalized.hash) params.hash = normalized.hash.name;
  else if (slots && slots.algorithm.hash) params.hash = slots.algorithm.hash.name;
  if (slots && slots.algorithm.namedCurve) params.namedCurve = slots.algorithm.namedCurve;
  return params;
}

// Checks that `key` may be used for `usage` with `normalized`.
function checkKeyUse(normalized, slots, usage) {
  if (normalized.name !== slots.algorithm.name) {
    throw invalidAccess(`The key is a ${slots.algorithm.name} key, not ${normalized.name}`);
  }
  if (!slots.usages.includes(usage)) throw invalidAccess(`The key does not allow '${usage}'`);
}

function checkKeyType(slots, types, what) {
  if (!types.includes(slots.type)) throw invalidAccess(`${what} needs a ${types.join(' or ')} key`);
}

// Converts a JsonWebKey dictionary to a plain object.
function toJsonWebKey(value) {
  if (value === null || typeof value !== 'object') throw new TypeError('JWK key data must be an object');
  const jwk = {};
  for (const member of JWK_STRING_MEMBERS) {
    if (value[member] !== undefined) jwk[member] = String(value[member]);
  }
  if (value.ext !== undefined) jwk.ext = Boolean(value.ext);
  if (value.key_ops !== undefined) jwk.key_ops = toKeyUsagesLoose(value.key_ops);
  if (value.oth !== undefined) jwk.oth = value.oth;
  return jwk;
}

function toKeyUsagesLoose(value) {
  if (value === null || typeof value !== 'object' || typeof value[Symbol.iterator] !== 'function') {
    throw new TypeError('JWK key_ops must be a sequence of strings');
  }
  return Array.from(value, String);
}

// The checks of a JWK every algorithm shares (kty, use, key_ops, ext, alg).
function checkJwk(jwk, alg, usages, extractable, expected) {
  const dataError = message => new DOMException(message, 'DataError');
  if (jwk.kty !== expected.kty) throw dataError(`JWK kty must be ${expected.kty}`);
  if (usages.length > 0 && jwk.use !== undefined && jwk.use !== expected.use) {
    throw dataError(`JWK use must be ${expected.use}`);
  }
  if (jwk.key_ops !== undefined) {
    if (new Set(jwk.key_ops).size !== jwk.key_ops.length) throw dataError('JWK key_ops has duplicates');
    for (const usage of usages) {
      if (!jwk.key_ops.includes(usage)) throw dataError(`JWK key_ops does not allow '${usage}'`);
    }
  }
  if (jwk.ext === false && extractable) throw dataError('JWK ext is false but the key is to be extractable');
  if (jwk.alg !== undefined && expected.alg !== undefined && !expected.alg.includes(jwk.alg)) {
    throw dataError(`JWK alg ${jwk.alg} does not match ${alg.name}`);
  }
  if (jwk.oth !== undefined) {
    throw new DOMException('RSA keys with more than two primes are not supported', 'NotSupportedError');
  }
}

const JWK_KTY = { ECDSA: 'EC', ECDH: 'EC', Ed25519: 'OKP', X25519: 'OKP' };
const JWK_SIG = ['HMAC', 'ECDSA', 'Ed25519', 'RSASSA-PKCS1-v1_5', 'RSA-PSS'];

// importKey's work once its arguments are converted.
function importKeyInner(format, keyData, alg, extractable, usages) {
  const name = alg.name;
  const secret = SECRET_ALGORITHMS.includes(name);
  let data = keyData;
  let type;
  if (format === 'jwk') {
    data = toJsonWebKey(keyData);
    type = secret ? 'secret' : data.d !== undefined ? 'private' : 'public';
  } else {
    if (format !== 'raw' && secret) {
      throw new DOMException(`${name} keys cannot be imported as ${format}`, 'NotSupportedError');
    }
    data = cryptoBytes(keyData, 'keyData');
    type = secret ? 'secret' : format === 'pkcs8' ? 'private' : 'public';
  }
  if ((name === 'PBKDF2' || name === 'HKDF') && format !== 'raw') {
    throw new DOMException(`${name} keys can only be imported as raw`, 'NotSupportedError');
  }
  if (format === 'raw' && !secret && !['ECDSA', 'ECDH', 'Ed25519', 'X25519'].includes(name)) {
    throw new DOMException(`${name} keys cannot be imported as raw`, 'NotSupportedError');
  }
  checkUsages(usages, allowedUsages(name, type));
  if ((name === 'PBKDF2' || name === 'HKDF') && extractable) {
    throw new DOMException(`${name} keys cannot be extractable`, 'SyntaxError');
  }
  if (format === 'jwk') {
    const expected = { kty: JWK_KTY[name] || (secret ? 'oct' : 'RSA'), use: JWK_SIG.includes(name) ? 'sig' : 'enc' };
    if (name === 'Ed25519') expected.alg = ['Ed25519', 'EdDSA'];
    else if (name === 'HMAC' || name.startsWith('RSA')) expected.alg = [jwkAlgName(alg)];
    else if (name === 'ECDSA') expected.alg = [jwkAlgName(alg)];
    checkJwk(data, alg, usages, extractable, expected);
  }
  return afterWork(cryptoWork('crypto_import', name, format, data, opParams(alg)),
    imported => importedKey(imported, format, data, alg, extractable, usages));
}

// The CryptoKey of what `crypto_import` made of key data.
function importedKey(imported, format, data, alg, extractable, usages) {
  const name = alg.name;
  const material = imported.data;
  const keyAlg = { name };
  if (alg.hash) keyAlg.hash = alg.hash;
  if (alg.namedCurve !== undefined) keyAlg.namedCurve = alg.namedCurve;
  if (imported.modulusLength !== undefined) {
    keyAlg.modulusLength = imported.modulusLength;
    keyAlg.publicExponent = imported.publicExponent;
  }
  if (name.startsWith('AES-')) {
    if (![16, 24, 32].includes(material.length)) {
      throw new DOMException('AES keys are 128, 192 or 256 bits long', 'DataError');
    }
    keyAlg.length = material.length * 8;
    if (format === 'jwk' && data.alg !== undefined && data.alg !== jwkAlgName(keyAlg, keyAlg.length)) {
      throw new DOMException(`JWK alg ${data.alg} does not match the key`, 'DataError');
    }
  }
  if (name === 'HMAC') {
    const bits = material.length * 8;
    if (bits === 0) throw new DOMException('HMAC keys must not be empty', 'DataError');
    if (alg.length !== undefined && (alg.length > bits || alg.length <= bits - 8)) {
      throw new DOMException('HMAC: length does not match the key data', 'DataError');
    }
    keyAlg.length = alg.length !== undefined ? alg.length : bits;
  }
  if ((imported.type === 'secret' || imported.type === 'private') && usages.length === 0) {
    throw new DOMException('A secret or private key needs at least one usage', 'SyntaxError');
  }
  return newCryptoKey(imported.type, extractable, keyAlg, usages, material);
}

// exportKey's work once its arguments are checked.
function exportKeyInner(format, slots) {
  const name = slots.algorithm.name;
  if (name === 'PBKDF2' || name === 'HKDF') {
    throw new DOMException(`${name} keys cannot be exported`, 'NotSupportedError');
  }
  if (!slots.extractable) throw invalidAccess('The key is not extractable');
  if (format === 'raw' && slots.type === 'private') throw invalidAccess('Private keys cannot be exported as raw');
  if (format === 'pkcs8' && slots.type !== 'private') throw invalidAccess('Only private keys can be exported as pkcs8');
  if (format === 'spki' && slots.type !== 'public') throw invalidAccess('Only public keys can be exported as spki');
  return afterWork(cryptoWork('crypto_export', name, format, slots.type, slots.data, opParams({}, slots)), out => {
    if (format !== 'jwk') return toArrayBuffer(out);
    const alg = jwkAlgName(slots.algorithm, slots.data.length * 8);
    if (alg !== undefined) out.alg = alg;
    out.key_ops = [...slots.usages];
    out.ext = slots.extractable;
    return out;
  });
}

// deriveBits' work once the key is checked.
function deriveBitsInner(normalized, slots, length) {
  const name = normalized.name;
  const agreement = name === 'ECDH' || name === 'X25519';
  checkKeyType(slots, agreement ? ['private'] : ['secret'], name);
  const params = opParams(normalized, slots);
  if (agreement) {
    const pub = keySlots(normalized.public, 'public');
    if (pub.type !== 'public') throw invalidAccess(`${name}: public must be a public key`);
    if (pub.algorithm.name !== name) throw invalidAccess(`${name}: public must be an ${name} key`);
    if (pub.algorithm.namedCurve !== slots.algorithm.namedCurve) throw invalidAccess('ECDH: the keys are on different curves');
    params.public = pub.data;
  }
  return cryptoWork('crypto_derive_bits', normalized.name, slots.data, params, length);
}

function encryptInner(normalized, slots, data, encrypt) {
  if (normalized.name === 'RSA-OAEP') {
    checkKeyType(slots, [encrypt ? 'public' : 'private'], 'RSA-OAEP');
  }
  return afterWork(cryptoWork(encrypt ? 'crypto_encrypt' : 'crypto_decrypt', normalized.name,
    slots.data, data, opParams(normalized, slots)), toArrayBuffer);
}

function formatArg(value) {
  const format = String(value);
  if (!['raw', 'spki', 'pkcs8', 'jwk'].includes(format)) throw new TypeError(`'${format}' is not a valid key format`);
  return format;
}

function generateKeyInner(alg, extractable, usages) {
  const name = alg.name;
  if (SECRET_ALGORITHMS.includes(name)) {
    checkUsages(usages, allowedUsages(name, 'secret'));
    let bits = alg.length;
    if (name === 'HMAC') {
      if (bits === undefined) bits = hmacDefaultLength(alg.hash.name);
      if (bits === 0) throw new DOMException('HMAC: length must not be zero', 'OperationError');
      if (bits > 65536 * 8) throw new DOMException('HMAC: keys longer than 65536 bytes are not supported', 'NotSupportedError');
    } else if (![128, 192, 256].includes(bits)) {
      throw new DOMException('AES: length must be 128, 192 or 256', 'OperationError');
    }
    if (usages.length === 0) throw new DOMException('A secret key needs at least one usage', 'SyntaxError');
    const keyAlg = { name, length: bits };
    if (alg.hash) keyAlg.hash = alg.hash;
    return newCryptoKey('secret', extractable, keyAlg, usages, cryptoOp('crypto_random', Math.ceil(bits / 8)));
  }
  const privateAllowed = allowedUsages(name, 'private');
  const publicAllowed = allowedUsages(name, 'public');
  checkUsages(usages, [...privateAllowed, ...publicAllowed]);
  return afterWork(cryptoWork('crypto_generate', name, opParams(alg)),
    pair => generatedPair(pair, alg, extractable, usages, privateAllowed, publicAllowed));
}

// The CryptoKeyPair of a key pair that `crypto_generate` made.
function generatedPair(pair, alg, extractable, usages, privateAllowed, publicAllowed) {
  const keyAlg = { name: alg.name };
  if (alg.hash) keyAlg.hash = alg.hash;
  if (alg.namedCurve !== undefined) keyAlg.namedCurve = alg.namedCurve;
  if (alg.modulusLength !== undefined) {
    keyAlg.modulusLength = alg.modulusLength;
    keyAlg.publicExponent = new Uint8Array(alg.publicExponent);
  }
  const privateUsages = usages.filter(u => privateAllowed.includes(u));
  if (privateUsages.length === 0) throw new DOMException('The private key needs at least one usage', 'SyntaxError');
  return {
    publicKey: newCryptoKey('public', true, keyAlg, usages.filter(u => publicAllowed.includes(u)), pair.public),
    privateKey: newCryptoKey('private', extractable, keyAlg, privateUsages, pair.private),
  };
}

// The length in bits deriveKey derives for a key of `alg` (getKeyLength).
function derivedKeyLength(alg) {
  if (alg.name.startsWith('AES-')) {
    if (![128, 192, 256].includes(alg.length)) throw new DOMException('AES: length must be 128, 192 or 256', 'OperationError');
    return alg.length;
  }
  if (alg.name === 'HMAC') {
    if (alg.length === 0) throw new TypeError('HMAC: length must not be zero');
    return alg.length !== undefined ? alg.length : hmacDefaultLength(alg.hash.name);
  }
  return null;
}

function lengthArg(value) {
  return value === undefined || value === null ? null : toUnsignedLong(value, 'length');
}

class SubtleCrypto {
  constructor(token) {
    if (token !== SUBTLE_TOKEN) throw new TypeError('Illegal constructor');
  }
  // Cloudflare's addition: whether two buffers of the same length hold
  // the same bytes, in time that depends on their length only (a
  // TypeError for different lengths).
  timingSafeEqual(a, b) {
    subtleBrand(this);
    requireArgs(arguments.length, 2, 'SubtleCrypto.timingSafeEqual');
    return cryptoOp('crypto_timing_safe_equal', cryptoBytes(a, 'a'), cryptoBytes(b, 'b'));
  }
  digest(algorithm, data) {
    return cryptoPromise(() => {
      subtleBrand(this);
      requireArgs(arguments.length, 2, 'SubtleCrypto.digest');
      const alg = normalizeAlgorithm(algorithm, 'digest');
      return afterWork(cryptoWork('crypto_digest', alg.name, cryptoBytes(data, 'data')), toArrayBuffer);
    });
  }
  sign(algorithm, key, data) {
    return cryptoPromise(() => {
      subtleBrand(this);
      requireArgs(arguments.length, 3, 'SubtleCrypto.sign');
      const alg = normalizeAlgorithm(algorithm, 'sign');
      const slots = keySlots(key);
      const bytes = cryptoBytes(data, 'data');
      checkKeyUse(alg, slots, 'sign');
      checkKeyType(slots, alg.name === 'HMAC' ? ['secret'] : ['private'], alg.name);
      return afterWork(cryptoWork('crypto_sign', alg.name, slots.data, bytes, opParams(alg, slots)), toArrayBuffer);
    });
  }
  verify(algorithm, key, signature, data) {
    return cryptoPromise(() => {
      subtleBrand(this);
      requireArgs(arguments.length, 4, 'SubtleCrypto.verify');
      const alg = normalizeAlgorithm(algorithm, 'verify');
      const slots = keySlots(key);
      const sig = cryptoBytes(signature, 'signature');
      const bytes = cryptoBytes(data, 'data');
      checkKeyUse(alg, slots, 'verify');
      checkKeyType(slots, alg.name === 'HMAC' ? ['secret'] : ['public'], alg.name);
      return cryptoWork('crypto_verify', alg.name, slots.data, sig, bytes, opParams(alg, slots));
    });
  }
  encrypt(algorithm, key, data) {
    return cryptoPromise(() => {
      subtleBrand(this);
      requireArgs(arguments.length, 3, 'SubtleCrypto.encrypt');
      const alg = normalizeAlgorithm(algorithm, 'encrypt');
      const slots = keySlots(key);
      const bytes = cryptoBytes(data, 'data');
      checkKeyUse(alg, slots, 'encrypt');
      return encryptInner(alg, slots, bytes, true);
    });
  }
  decrypt(algorithm, key, data) {
    return cryptoPromise(() => {
      subtleBrand(this);
      requireArgs(arguments.length, 3, 'SubtleCrypto.decrypt');
      const alg = normalizeAlgorithm(algorithm, 'decrypt');
      const slots = keySlots(key);
      const bytes = cryptoBytes(data, 'data');
      checkKeyUse(alg, slots, 'decrypt');
      return encryptInner(alg, slots, bytes, false);
    });
  }
  generateKey(algorithm, extractable, keyUsages) {
    return cryptoPromise(() => {
      subtleBrand(this);
      requireArgs(arguments.length, 3, 'SubtleCrypto.generateKey');
      const usages = toKeyUsages(keyUsages);
      const alg = normalizeAlgorithm(algorithm, 'generateKey');
      return generateKeyInner(alg, Boolean(extractable), usages);
    });
  }
  importKey(format, keyData, algorithm, extractable, keyUsages) {
    return cryptoPromise(() => {
      subtleBrand(this);
      requireArgs(arguments.length, 5, 'SubtleCrypto.importKey');
      const f = formatArg(format);
      const usages = toKeyUsages(keyUsages);
      const alg = normalizeAlgorithm(algorithm, 'importKey');
      return importKeyInner(f, keyData, alg, Boolean(extractable), usages);
    });
  }
  exportKey(format, key) {
    return cryptoPromise(() => {
      subtleBrand(this);
      requireArgs(arguments.length, 2, 'SubtleCrypto.exportKey');
      const f = formatArg(format);
      return exportKeyInner(f, keySlots(key));
    });
  }
  deriveBits(algorithm, baseKey, length = null) {
    return cryptoPromise(() => {
      subtleBrand(this);
      requireArgs(arguments.length, 2, 'SubtleCrypto.deriveBits');
      const alg = normalizeAlgorithm(algorithm, 'deriveBits');
      const slots = keySlots(baseKey, 'baseKey');
      const bits = lengthArg(length);
      checkKeyUse(alg, slots, 'deriveBits');
      return afterWork(deriveBitsInner(alg, slots, bits), toArrayBuffer);
    });
  }
  deriveKey(algorithm, baseKey, derivedKeyType, extractable, keyUsages) {
    return cryptoPromise(() => {
      subtleBrand(this);
      requireArgs(arguments.length, 5, 'SubtleCrypto.deriveKey');
      const alg = normalizeAlgorithm(algorithm, 'deriveBits');
      const slots = keySlots(baseKey, 'baseKey');
      const usages = toKeyUsages(keyUsages);
      const importAlg = normalizeAlgorithm(derivedKeyType, 'importKey');
      const length = derivedKeyLength(normalizeAlgorithm(derivedKeyType, 'getKeyLength'));
      checkKeyUse(alg, slots, 'deriveKey');
      return afterWork(deriveBitsInner(alg, slots, length),
        secret => importKeyInner('raw', secret, importAlg, Boolean(extractable), usages));
    });
  }
  wrapKey(format, key, wrappingKey, wrapAlgorithm) {
    return cryptoPromise(() => {
      subtleBrand(this);
      requireArgs(arguments.length, 4, 'SubtleCrypto.wrapKey');
      const f = formatArg(format);
      const alg = normalizeAlgorithm(wrapAlgorithm, 'wrapKey');
      const slots = keySlots(key);
      const wrapping = keySlots(wrappingKey, 'wrappingKey');
      checkKeyUse(alg, wrapping, 'wrapKey');
      return afterWork(exportKeyInner(f, slots), exported => {
        const bytes = f === 'jwk' ? op('utf8_encode', JSON.stringify(exported)) : new Uint8Array(exported);
        return encryptInner(alg, wrapping, bytes, true);
      });
    });
  }
  unwrapKey(format, wrappedKey, unwrappingKey, unwrapAlgorithm, unwrappedKeyAlgorithm, extractable, keyUsages) {
    return cryptoPromise(() => {
      subtleBrand(this);
      requireArgs(arguments.length, 7, 'SubtleCrypto.unwrapKey');
      const f = formatArg(format);
      const wrapped = cryptoBytes(wrappedKey, 'wrappedKey');
      const usages = toKeyUsages(keyUsages);
      const alg = normalizeAlgorithm(unwrapAlgorithm, 'unwrapKey');
      const importAlg = normalizeAlgorithm(unwrappedKeyAlgorithm, 'importKey');
      const unwrapping = keySlots(unwrappingKey, 'unwrappingKey');
      checkKeyUse(alg, unwrapping, 'unwrapKey');
      return afterWork(encryptInner(alg, unwrapping, wrapped, false), buffer => {
        const bytes = new Uint8Array(buffer);
        let keyData = bytes;
        if (f === 'jwk') {
          try {
            keyData = JSON.parse(op('utf8_decode', bytes, false, false));
          } catch {
            throw new DOMException('The unwrapped key is not a JWK', 'DataError');
          }
        }
        return importKeyInner(f, keyData, importAlg, Boolean(extractable), usages);
      });
    });
  }
}
webidlInterface(SubtleCrypto, 0);

let subtleBrand;
{
  const instances = new WeakSet();
  subtleBrand = value => {
    if (!instances.has(value)) throw new TypeError('Illegal invocation');
  };
  subtleBrand.register = value => instances.add(value);
}
