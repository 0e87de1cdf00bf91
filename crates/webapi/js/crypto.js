// Crypto (Web Crypto): the `crypto` global with getRandomValues, randomUUID
// and `subtle`; defines the globals Crypto, CryptoKey, SubtleCrypto and
// crypto. Ops: crypto_random.
const CRYPTO_TOKEN = Symbol('Crypto');
const INTEGER_ARRAY_TYPES = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array'];
const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
const typedArrayGetter = key => Object.getOwnPropertyDescriptor(typedArrayProto, key).get;
const typedArrayKind = typedArrayGetter(Symbol.toStringTag);
const typedArrayBuffer = typedArrayGetter('buffer');
const typedArrayByteOffset = typedArrayGetter('byteOffset');
const typedArrayByteLength = typedArrayGetter('byteLength');

let cryptoBrand;
class Crypto {
  #subtle;
  constructor(token) {
    if (token !== CRYPTO_TOKEN) throw new TypeError('Illegal constructor');
    this.#subtle = new SubtleCrypto(SUBTLE_TOKEN);
    subtleBrand.register(this.#subtle);
  }
  get subtle() { return this.#subtle; }
  getRandomValues(array) {
    cryptoBrand(this);
    if (arguments.length < 1) throw new TypeError('getRandomValues: 1 argument required');
    if (!ArrayBuffer.isView(array)) throw new TypeError('getRandomValues: the argument is not an ArrayBufferView');
    if (!INTEGER_ARRAY_TYPES.includes(typedArrayKind.call(array))) {
      throw new DOMException('getRandomValues: the argument is not an integer typed array', 'TypeMismatchError');
    }
    const length = typedArrayByteLength.call(array);
    if (length > 65536) {
      throw new DOMException(`getRandomValues: ${length} bytes is more than 65536`, 'QuotaExceededError');
    }
    if (length > 0) {
      const bytes = cryptoOp('crypto_random', length);
      new Uint8Array(typedArrayBuffer.call(array), typedArrayByteOffset.call(array), length).set(bytes);
    }
    return array;
  }
  randomUUID() {
    cryptoBrand(this);
    const b = cryptoOp('crypto_random', 16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = '';
    for (let i = 0; i < 16; i++) {
      hex += (b[i] < 16 ? '0' : '') + b[i].toString(16);
      if (i === 3 || i === 5 || i === 7 || i === 9) hex += '-';
    }
    return hex;
  }
  static isCrypto(value) {
    try {
      return value.#subtle !== undefined;
    } catch {
      return false;
    }
  }
}
{
  const isCrypto = Crypto.isCrypto;
  delete Crypto.isCrypto;
  cryptoBrand = value => {
    if (!isCrypto(value)) throw new TypeError('Illegal invocation');
  };
}
Object.defineProperty(Crypto.prototype, 'subtle', { enumerable: true });
webidlInterface(Crypto, 0);
for (const cls of [SubtleCrypto]) {
  for (const name of Object.getOwnPropertyNames(cls.prototype)) {
    if (name !== 'constructor') Object.defineProperty(cls.prototype, name, { enumerable: true });
  }
}
for (const name of ['getRandomValues', 'randomUUID']) {
  Object.defineProperty(Crypto.prototype, name, { enumerable: true });
}

defineGlobal('Crypto', Crypto);
defineGlobal('CryptoKey', CryptoKey);
defineGlobal('SubtleCrypto', SubtleCrypto);
defineGlobal('crypto', new Crypto(CRYPTO_TOKEN), true);
