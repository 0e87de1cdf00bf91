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

// `crypto.DigestStream` (Cloudflare's): a WritableStream that hashes the
// bytes written to it; `digest` is a promise of the hash (an ArrayBuffer)
// once the stream closes. Made on first use, so that the crypto group does
// not load the streams one. Ops: digest_stream_new, digest_stream_update,
// digest_stream_finish, resource_close.
const DIGEST_STREAM_HASHES = ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512', 'MD5'];
let DigestStreamClass;
function digestStreamClass() {
  if (DigestStreamClass !== undefined) return DigestStreamClass;
  const { WritableStream } = loadGroup(STREAMS);
  class DigestStream extends WritableStream {
    #state;
    constructor(algorithm) {
      requireArgs(arguments.length, 1, 'DigestStream');
      const raw = algorithm !== null && typeof algorithm === 'object' ? algorithm.name : algorithm;
      const wanted = String(raw).toUpperCase();
      const name = DIGEST_STREAM_HASHES.find(n => n === wanted);
      if (name === undefined) throw new DOMException(`Unrecognized hash: ${raw}`, 'NotSupportedError');
      const handle = cryptoOp('digest_stream_new', name);
      const owner = {};
      trackResource(owner, handle);
      const state = { digest: newDeferred(), bytesWritten: 0 };
      markHandled(state.digest.promise);
      const close = () => untrackResource(owner);
      super({
        write(chunk) {
          const bytes = typeof chunk === 'string' ? utf8Encode(chunk) : cryptoBytes(chunk, 'DigestStream chunk');
          op('digest_stream_update', handle, bytes);
          state.bytesWritten += bytes.byteLength;
        },
        close() {
          close();
          state.digest.resolve(op('digest_stream_finish', handle).buffer);
        },
        abort(reason) {
          close();
          op('resource_close', handle);
          state.digest.reject(reason);
        },
      });
      this.#state = state;
    }
    get digest() { return this.#state.digest.promise; }
    get bytesWritten() { return this.#state.bytesWritten; }
  }
  webidlInterface(DigestStream);
  DigestStreamClass = DigestStream;
  return DigestStream;
}
Object.defineProperty(Crypto.prototype, 'DigestStream', {
  get() { return digestStreamClass(); },
  enumerable: true,
  configurable: true,
});

defineGlobal('Crypto', Crypto);
defineGlobal('CryptoKey', CryptoKey);
defineGlobal('SubtleCrypto', SubtleCrypto);
defineGlobal('crypto', new Crypto(CRYPTO_TOKEN), true);
