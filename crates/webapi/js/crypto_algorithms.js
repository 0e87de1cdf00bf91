// Web Crypto algorithm normalisation: which algorithms each operation knows,
// the parameter dictionary each one takes, and the conversion of those
// dictionaries (Web IDL rules: missing required members and bad numbers are
// TypeErrors, unknown algorithms NotSupportedErrors). The tables are built on
// first use. Uses no ops.
function enforceRange(max) {
  return (value, what) => {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new TypeError(`${what} is not a finite number`);
    const whole = Math.trunc(n);
    if (whole < 0 || whole > max) throw new TypeError(`${what} is out of range`);
    return whole;
  };
}
const toOctet = enforceRange(0xff);
const toUnsignedShort = enforceRange(0xffff);
const toUnsignedLong = enforceRange(0xffffffff);
const toBufferSource = (value, what) => cryptoBytes(value, what);
const toHashAlgorithm = value => normalizeAlgorithm(value, 'digest');
const toDOMString = value => String(value);
const toCryptoKeyMember = (value, what) => { keySlots(value, what); return value; };

let cryptoRegistry;
// The registered algorithms of each operation: name -> dictionary members,
// each [member, converter, required].
function cryptoAlgorithms() {
  if (cryptoRegistry) return cryptoRegistry;
  const none = [];
  const hash = ['hash', toHashAlgorithm, true];
  const rsaGen = [['modulusLength', toUnsignedLong, true], ['publicExponent', toBufferSource, true], hash];
  const rsaImport = [hash];
  const aesGen = [['length', toUnsignedShort, true]];
  const hmacImport = [hash, ['length', toUnsignedLong, false]];
  const curve = [['namedCurve', toDOMString, true]];
  cryptoRegistry = {
    digest: { 'SHA-1': none, 'SHA-256': none, 'SHA-384': none, 'SHA-512': none },
    sign: {
      'RSASSA-PKCS1-v1_5': none, 'RSA-PSS': [['saltLength', toUnsignedLong, true]],
      ECDSA: [hash], HMAC: none, Ed25519: none,
    },
    generateKey: {
      'RSASSA-PKCS1-v1_5': rsaGen, 'RSA-PSS': rsaGen, 'RSA-OAEP': rsaGen,
      ECDSA: curve, ECDH: curve, HMAC: hmacImport,
      'AES-CTR': aesGen, 'AES-CBC': aesGen, 'AES-GCM': aesGen, 'AES-KW': aesGen, Ed25519: none, X25519: none,
    },
    importKey: {
      'RSASSA-PKCS1-v1_5': rsaImport, 'RSA-PSS': rsaImport, 'RSA-OAEP': rsaImport,
      ECDSA: curve, ECDH: curve, HMAC: hmacImport,
      'AES-CTR': none, 'AES-CBC': none, 'AES-GCM': none, 'AES-KW': none, PBKDF2: none, HKDF: none,
      Ed25519: none, X25519: none,
    },
    encrypt: {
      'RSA-OAEP': [['label', toBufferSource, false]],
      'AES-CTR': [['counter', toBufferSource, true], ['length', toOctet, true]],
      'AES-CBC': [['iv', toBufferSource, true]],
      'AES-GCM': [['iv', toBufferSource, true], ['additionalData', toBufferSource, false], ['tagLength', toOctet, false]],
    },
    deriveBits: {
      ECDH: [['public', toCryptoKeyMember, true]],
      X25519: [['public', toCryptoKeyMember, true]],
      HKDF: [hash, ['salt', toBufferSource, true], ['info', toBufferSource, true]],
      PBKDF2: [['salt', toBufferSource, true], ['iterations', toUnsignedLong, true], hash],
    },
    getKeyLength: {
      'AES-CTR': aesGen, 'AES-CBC': aesGen, 'AES-GCM': aesGen, 'AES-KW': aesGen,
      HMAC: hmacImport, HKDF: none, PBKDF2: none,
    },
  };
  cryptoRegistry.verify = cryptoRegistry.sign;
  cryptoRegistry.decrypt = cryptoRegistry.encrypt;
  cryptoRegistry.wrapKey = { ...cryptoRegistry.encrypt, 'AES-KW': none };
  cryptoRegistry.unwrapKey = cryptoRegistry.wrapKey;
  return cryptoRegistry;
}

// Normalises an AlgorithmIdentifier for `operation`: a plain object with
// the registered name and the converted members.
function normalizeAlgorithm(algorithm, operation) {
  if (algorithm === null || (typeof algorithm !== 'object' && typeof algorithm !== 'function')) {
    return normalizeAlgorithm({ name: String(algorithm) }, operation);
  }
  const rawName = algorithm.name;
  if (rawName === undefined) throw new TypeError('Algorithm: name is required');
  const wanted = String(rawName).toUpperCase();
  const table = cryptoAlgorithms()[operation];
  const name = Object.keys(table).find(n => n.toUpperCase() === wanted);
  if (name === undefined) {
    throw new DOMException(`Unrecognized algorithm name: ${rawName}`, 'NotSupportedError');
  }
  const out = { name };
  for (const [member, convert, required] of table[name]) {
    const value = algorithm[member];
    if (value === undefined) {
      if (required) throw new TypeError(`${name}: ${member} is required`);
      continue;
    }
    out[member] = convert(value, `${name}: ${member}`);
  }
  return out;
}

// Which usages a key of this algorithm and type may have.
function allowedUsages(name, type) {
  switch (name) {
    case 'HMAC': return ['sign', 'verify'];
    case 'AES-CTR': case 'AES-CBC': case 'AES-GCM': return ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'];
    case 'AES-KW': return ['wrapKey', 'unwrapKey'];
    case 'PBKDF2': case 'HKDF': return ['deriveKey', 'deriveBits'];
    case 'ECDH': case 'X25519': return type === 'private' ? ['deriveKey', 'deriveBits'] : [];
    case 'RSA-OAEP': return type === 'private' ? ['decrypt', 'unwrapKey'] : ['encrypt', 'wrapKey'];
    default: return type === 'private' ? ['sign'] : ['verify'];
  }
}

// Throws a SyntaxError unless every usage is allowed.
function checkUsages(usages, allowed) {
  for (const usage of usages) {
    if (!allowed.includes(usage)) throw new DOMException(`Usage '${usage}' is not valid for this key`, 'SyntaxError');
  }
}

// The bits of an HMAC key when no length is given: the hash's block size.
function hmacDefaultLength(hashName) {
  return hashName === 'SHA-384' || hashName === 'SHA-512' ? 1024 : 512;
}

// The JWK `alg` value for a key's algorithm, or undefined where none is set.
function jwkAlgName(alg, keyBits) {
  const bits = alg.hash && alg.hash.name.slice(4);
  switch (alg.name) {
    case 'HMAC': return `HS${bits}`;
    case 'AES-CTR': case 'AES-CBC': case 'AES-GCM': case 'AES-KW': return `A${keyBits}${alg.name.slice(4)}`;
    case 'RSASSA-PKCS1-v1_5': return `RS${bits}`;
    case 'RSA-PSS': return `PS${bits}`;
    case 'RSA-OAEP': return bits === '1' ? 'RSA-OAEP' : `RSA-OAEP-${bits}`;
    case 'ECDSA': return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[alg.namedCurve];
    case 'Ed25519': return 'Ed25519';
    default: return undefined;
  }
}
