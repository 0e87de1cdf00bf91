// Web Crypto checks: getRandomValues, randomUUID, digest, HMAC, AES, and the
// bad-input errors of the spec.
import { suite, eq, throws, rejects } from './harness.js';

const enc = s => new TextEncoder().encode(s);
const hex = buf => [...new Uint8Array(buf)].map(b => b.toString(16).padStart(2, '0')).join('');
const unhex = s => new Uint8Array(s.match(/../g).map(h => parseInt(h, 16)));
const subtle = crypto.subtle;

async function rejectsWith(promise, name, what) {
  const e = await rejects(promise, DOMException, what);
  eq(e.name, name, what);
}

export default suite(test => {
  test('getRandomValues fills integer arrays and refuses others', () => {
    const a = new Uint32Array(8);
    eq(crypto.getRandomValues(a) === a, true);
    eq(a.some(x => x !== 0), true);
    const view = new Uint8Array(new ArrayBuffer(16), 4, 8);
    crypto.getRandomValues(view);
    eq(new Uint8Array(view.buffer, 0, 4).every(x => x === 0), true);
    crypto.getRandomValues(new BigInt64Array(2));
    crypto.getRandomValues(new Uint8Array(65536));
    eq(throws(() => crypto.getRandomValues(new Uint8Array(65537)), DOMException).name, 'QuotaExceededError');
    eq(throws(() => crypto.getRandomValues(new Float64Array(2)), DOMException).name, 'TypeMismatchError');
    eq(throws(() => crypto.getRandomValues(new DataView(new ArrayBuffer(2))), DOMException).name, 'TypeMismatchError');
    throws(() => crypto.getRandomValues([1, 2]), TypeError);
    throws(() => crypto.getRandomValues.call({}, new Uint8Array(2)), TypeError);
    eq(crypto.getRandomValues(new Uint8Array(0)).length, 0);
  });
  test('randomUUID is a version 4 UUID', () => {
    const re = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const a = crypto.randomUUID(), b = crypto.randomUUID();
    eq(re.test(a), true, a);
    eq(a !== b, true);
  });
  test('globals and brands', () => {
    eq(typeof Crypto, 'function');
    eq(crypto instanceof Crypto, true);
    eq(crypto.subtle instanceof SubtleCrypto, true);
    eq(crypto.subtle === crypto.subtle, true);
    throws(() => new Crypto(), TypeError);
    throws(() => new SubtleCrypto(), TypeError);
    throws(() => new CryptoKey(), TypeError);
    eq(Object.prototype.toString.call(crypto.subtle), '[object SubtleCrypto]');
  });
  test('digest: NIST SHA known answers', async () => {
    eq(hex(await subtle.digest('SHA-1', enc('abc'))), 'a9993e364706816aba3e25717850c26c9cd0d89d');
    eq(hex(await subtle.digest('sha-256', enc('abc'))),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    eq(hex(await subtle.digest({ name: 'SHA-384' }, enc('abc'))),
      'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7');
    eq(hex(await subtle.digest('SHA-512', new ArrayBuffer(0))),
      'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e');
    const r = await subtle.digest('SHA-256', enc(''));
    eq(r instanceof ArrayBuffer, true);
    await rejectsWith(subtle.digest('MD5', enc('')), 'NotSupportedError', 'MD5');
    await rejects(subtle.digest('SHA-256', 'text'), TypeError, 'string data');
    await rejects(subtle.digest({}, enc('')), TypeError, 'no name');
    await rejects(subtle.digest('SHA-256'), TypeError, 'missing data');
  });
  test('HMAC: RFC 4231 test cases, verify, generate, jwk', async () => {
    const key = await subtle.importKey('raw', new Uint8Array(20).fill(0x0b), { name: 'HMAC', hash: 'SHA-256' }, true, ['sign', 'verify']);
    eq(key.type, 'secret');
    eq(key.algorithm, { name: 'HMAC', hash: { name: 'SHA-256' }, length: 160 });
    eq(key.usages, ['sign', 'verify']);
    const mac = await subtle.sign('HMAC', key, enc('Hi There'));
    eq(hex(mac), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
    eq(await subtle.verify('HMAC', key, mac, enc('Hi There')), true);
    eq(await subtle.verify('HMAC', key, mac, enc('Hi there')), false);
    const jefe = await subtle.importKey('raw', enc('Jefe'), { name: 'HMAC', hash: 'SHA-512' }, false, ['sign']);
    eq(hex(await subtle.sign('HMAC', jefe, enc('what do ya want for nothing?'))),
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737');
    const jwk = await subtle.exportKey('jwk', key);
    eq([jwk.kty, jwk.alg, jwk.k, jwk.ext], ['oct', 'HS256', 'CwsLCwsLCwsLCwsLCwsLCwsLCws', true]);
    eq(jwk.key_ops, ['sign', 'verify']);
    const again = await subtle.importKey('jwk', jwk, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    eq(await subtle.verify('HMAC', again, mac, enc('Hi There')), true);
    await rejectsWith(subtle.importKey('jwk', jwk, { name: 'HMAC', hash: 'SHA-384' }, false, ['verify']), 'DataError', 'alg mismatch');
    await rejectsWith(subtle.exportKey('raw', jefe), 'InvalidAccessError', 'not extractable');
    await rejectsWith(subtle.sign('HMAC', again, enc('x')), 'InvalidAccessError', 'no sign usage');
    await rejectsWith(subtle.importKey('raw', enc('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['encrypt']), 'SyntaxError', 'bad usage');
    await rejectsWith(subtle.importKey('raw', enc('k'), { name: 'HMAC', hash: 'SHA-256' }, false, []), 'SyntaxError', 'no usages');
    await rejects(subtle.importKey('raw', enc('k'), { name: 'HMAC' }, false, ['sign']), TypeError, 'no hash');
    await rejects(subtle.importKey('raw', enc('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['fly']), TypeError, 'bad usage name');
    await rejects(subtle.importKey('der', enc('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']), TypeError, 'bad format');
    const generated = await subtle.generateKey({ name: 'HMAC', hash: 'SHA-384' }, true, ['sign']);
    eq(generated.algorithm.length, 1024);
    eq((await subtle.exportKey('raw', generated)).byteLength, 128);
    await rejectsWith(subtle.generateKey({ name: 'HMAC', hash: 'SHA-256', length: 0xffffffff }, true, ['sign']), 'NotSupportedError', 'huge HMAC key');
  });
  test('CryptoKey keeps its material out of reach', async () => {
    const key = await subtle.importKey('raw', enc('secret'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    eq(Object.getOwnPropertyNames(key), []);
    eq(Object.getOwnPropertySymbols(key), []);
    eq(JSON.stringify(key).includes('secret'), false);
    key.algorithm.name = 'AES-GCM';
    key.usages.push('verify');
    eq(await subtle.sign('HMAC', key, enc('x')) instanceof ArrayBuffer, true);
    await rejectsWith(subtle.verify('HMAC', key, new Uint8Array(32), enc('x')), 'InvalidAccessError', 'usages are internal');
    await rejects(subtle.sign('HMAC', { type: 'secret' }, enc('x')), TypeError, 'fake key');
  });
  test('AES-GCM: NIST test case 4 and parameter checks', async () => {
    const key = await subtle.importKey('raw', unhex('feffe9928665731c6d6a8f9467308308'), 'AES-GCM', true, ['encrypt', 'decrypt']);
    eq(key.algorithm, { name: 'AES-GCM', length: 128 });
    const iv = unhex('cafebabefacedbaddecaf888');
    const plain = unhex('d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39');
    const aad = unhex('feedfacedeadbeeffeedfacedeadbeefabaddad2');
    const ct = await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, plain);
    eq(hex(ct), '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091' + '5bc94fbc3221a5db94fae95ae7121a47');
    eq(hex(await subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, ct)), hex(plain));
    const short = await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad, tagLength: 96 }, key, plain);
    eq(hex(short).slice(-24), '5bc94fbc3221a5db94fae95a');
    await rejectsWith(subtle.decrypt({ name: 'AES-GCM', iv }, key, ct), 'OperationError', 'wrong aad');
    await rejectsWith(subtle.encrypt({ name: 'AES-GCM', iv, tagLength: 100 }, key, plain), 'OperationError', 'bad tag length');
    await rejects(subtle.encrypt({ name: 'AES-GCM' }, key, plain), TypeError, 'no iv');
    await rejectsWith(subtle.encrypt({ name: 'AES-CBC', iv: new Uint8Array(16) }, key, plain), 'InvalidAccessError', 'wrong algorithm');
    await rejectsWith(subtle.importKey('raw', new Uint8Array(15), 'AES-GCM', true, ['encrypt']), 'DataError', 'bad key length');
    const jwk = await subtle.exportKey('jwk', key);
    eq([jwk.kty, jwk.alg], ['oct', 'A128GCM']);
  });
  test('AES-CBC: NIST SP 800-38A F.2.1 and padding', async () => {
    const key = await subtle.importKey('raw', unhex('2b7e151628aed2a6abf7158809cf4f3c'), { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']);
    const iv = unhex('000102030405060708090a0b0c0d0e0f');
    const ct = await subtle.encrypt({ name: 'AES-CBC', iv }, key, unhex('6bc1bee22e409f96e93d7e117393172a'));
    eq(hex(ct).slice(0, 32), '7649abac8119b246cee98e9b12e9197d');
    eq(ct.byteLength, 32);
    eq(hex(await subtle.decrypt({ name: 'AES-CBC', iv }, key, ct)), '6bc1bee22e409f96e93d7e117393172a');
    await rejectsWith(subtle.decrypt({ name: 'AES-CBC', iv }, key, ct.slice(0, 20)), 'OperationError', 'bad length');
    await rejectsWith(subtle.encrypt({ name: 'AES-CBC', iv: new Uint8Array(8) }, key, ct), 'OperationError', 'short iv');
  });
  test('AES-CTR: NIST SP 800-38A F.5.1 and counter checks', async () => {
    const key = await subtle.importKey('raw', unhex('2b7e151628aed2a6abf7158809cf4f3c'), 'AES-CTR', false, ['encrypt', 'decrypt']);
    const counter = unhex('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff');
    const ct = await subtle.encrypt({ name: 'AES-CTR', counter, length: 64 }, key, unhex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51'));
    eq(hex(ct), '874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff');
    eq(hex(await subtle.decrypt({ name: 'AES-CTR', counter, length: 64 }, key, ct)),
      '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51');
    await rejectsWith(subtle.encrypt({ name: 'AES-CTR', counter, length: 0 }, key, ct), 'OperationError', 'length 0');
    await rejectsWith(subtle.encrypt({ name: 'AES-CTR', counter: new Uint8Array(8), length: 64 }, key, ct), 'OperationError', 'short counter');
    await rejects(subtle.encrypt({ name: 'AES-CTR', counter, length: 300 }, key, ct), TypeError, 'length out of octet range');
  });
  test('AES keys: generate, wrap and unwrap', async () => {
    const kek = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['wrapKey', 'unwrapKey']);
    eq(kek.algorithm.length, 256);
    eq(kek.extractable, false);
    const key = await subtle.generateKey({ name: 'AES-CBC', length: 192 }, true, ['encrypt', 'decrypt']);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const wrapped = await subtle.wrapKey('jwk', key, kek, { name: 'AES-GCM', iv });
    const back = await subtle.unwrapKey('jwk', wrapped, kek, { name: 'AES-GCM', iv }, 'AES-CBC', true, ['decrypt']);
    eq(hex(await subtle.exportKey('raw', back)), hex(await subtle.exportKey('raw', key)));
    eq(back.usages, ['decrypt']);
    await rejectsWith(subtle.generateKey({ name: 'AES-GCM', length: 100 }, true, ['encrypt']), 'OperationError', 'bad length');
    await rejectsWith(subtle.generateKey({ name: 'AES-GCM', length: 128 }, true, ['sign']), 'SyntaxError', 'bad usage');
    await rejectsWith(subtle.generateKey({ name: 'AES-OCB', length: 128 }, true, ['encrypt']), 'NotSupportedError', 'AES-OCB');
  });
});
