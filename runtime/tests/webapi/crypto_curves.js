// Web Crypto checks for X25519, ECDSA and ECDH on P-521, AES-KW, AES-GCM
// with short tags and long ivs, and strict Ed25519 verification, with
// known-answer vectors from RFC 7748, RFC 3394, FIPS 186-4 and the GCM
// specification.
import { suite, eq, rejects } from './harness.js';

const hex = buf => [...new Uint8Array(buf)].map(b => b.toString(16).padStart(2, '0')).join('');
const unhex = s => new Uint8Array(s.match(/../g).map(h => parseInt(h, 16)));
const b64url = bytes => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const subtle = crypto.subtle;

async function rejectsWith(promise, name, what) {
  const e = await rejects(promise, DOMException, what);
  eq(e.name, name, what);
}

// RFC 7748 section 6.1.
const ALICE_PRIVATE = '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a';
const ALICE_PUBLIC = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
const BOB_PRIVATE = '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb';
const BOB_PUBLIC = 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f';
const SHARED = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
// RFC 8410 DER prefixes of X25519 keys.
const X25519_PKCS8 = '302e020100300506032b656e04220420';
const X25519_SPKI = '302a300506032b656e032100';

// A FIPS 186-4 P-521 key pair (SigGen, SHA-512, first vector).
const P521_D = '00f749d32704bc533ca82cef0acf103d8f4fba67f08d2678e515ed7db886267ffaf02fab0080dca2359b72f574ccc29a0f218c8655c0cccf9fee6c5e567aa14cb926';
const P521_X = '0061387fd6b95914e885f912edfbb5fb274655027f216c4091ca83e19336740fd81aedfe047f51b42bdf68161121013e0d55b117a14e4303f926c8debb77a7fdaad1';
const P521_Y = '00e7d0c75c38626e895ca21526b9f9fdf84dcecb93f2b233390550d2b1463b7ee3f58df7346435ff0434199583c97c665a97f12f706f2357da4b40288def888e59e6';

export default suite(test => {
  test('X25519: RFC 7748 6.1 through pkcs8, spki and raw', async () => {
    const alice = await subtle.importKey('pkcs8', unhex(X25519_PKCS8 + ALICE_PRIVATE), 'X25519', true, ['deriveBits']);
    eq([alice.type, alice.algorithm, alice.usages], ['private', { name: 'X25519' }, ['deriveBits']]);
    const bob = await subtle.importKey('spki', unhex(X25519_SPKI + BOB_PUBLIC), { name: 'X25519' }, true, []);
    eq([bob.type, bob.usages], ['public', []]);
    eq(hex(await subtle.deriveBits({ name: 'X25519', public: bob }, alice, 256)), SHARED);
    eq(hex(await subtle.deriveBits({ name: 'X25519', public: bob }, alice, null)), SHARED);
    eq(hex(await subtle.deriveBits({ name: 'X25519', public: bob }, alice, 20)), '4a5d90');
    const bobPrivate = await subtle.importKey('pkcs8', unhex(X25519_PKCS8 + BOB_PRIVATE), 'X25519', false, ['deriveBits']);
    const alicePublic = await subtle.importKey('raw', unhex(ALICE_PUBLIC), 'X25519', true, []);
    eq(hex(await subtle.deriveBits({ name: 'X25519', public: alicePublic }, bobPrivate, 256)), SHARED);
    eq(hex(await subtle.exportKey('raw', alicePublic)), ALICE_PUBLIC);
    eq(hex(await subtle.exportKey('spki', bob)), X25519_SPKI + BOB_PUBLIC);
    eq(hex(await subtle.exportKey('pkcs8', alice)), X25519_PKCS8 + ALICE_PRIVATE);
    await rejectsWith(subtle.deriveBits({ name: 'X25519', public: bob }, alice, 264), 'OperationError', 'too many bits');
  });

  test('X25519: JWK, deriveKey and generateKey', async () => {
    const jwk = { kty: 'OKP', crv: 'X25519', x: b64url(unhex(ALICE_PUBLIC)), d: b64url(unhex(ALICE_PRIVATE)) };
    const alice = await subtle.importKey('jwk', jwk, 'X25519', true, ['deriveKey']);
    const exported = await subtle.exportKey('jwk', alice);
    eq([exported.kty, exported.crv, exported.x, exported.d, exported.key_ops, exported.ext],
      ['OKP', 'X25519', jwk.x, jwk.d, ['deriveKey'], true]);
    const bob = await subtle.importKey('raw', unhex(BOB_PUBLIC), 'X25519', false, []);
    const aes = await subtle.deriveKey({ name: 'X25519', public: bob }, alice, { name: 'AES-GCM', length: 128 }, true, ['encrypt']);
    eq(hex(await subtle.exportKey('raw', aes)), SHARED.slice(0, 32));
    const a = await subtle.generateKey('X25519', false, ['deriveBits']);
    const b = await subtle.generateKey({ name: 'X25519' }, true, ['deriveBits', 'deriveKey']);
    eq([a.publicKey.type, a.publicKey.usages, a.privateKey.usages, a.privateKey.extractable, a.publicKey.extractable],
      ['public', [], ['deriveBits'], false, true]);
    eq(hex(await subtle.deriveBits({ name: 'X25519', public: b.publicKey }, a.privateKey, 256)),
      hex(await subtle.deriveBits({ name: 'X25519', public: a.publicKey }, b.privateKey, 256)));
    eq((await subtle.exportKey('raw', a.publicKey)).byteLength, 32);
  });

  test('X25519: bad input gets the named errors', async () => {
    const alice = await subtle.importKey('pkcs8', unhex(X25519_PKCS8 + ALICE_PRIVATE), 'X25519', false, ['deriveBits']);
    const zero = await subtle.importKey('raw', new Uint8Array(32), 'X25519', false, []);
    await rejectsWith(subtle.deriveBits({ name: 'X25519', public: zero }, alice, 256), 'OperationError', 'small-order key');
    await rejectsWith(subtle.importKey('raw', new Uint8Array(31), 'X25519', false, []), 'DataError', 'short raw key');
    await rejectsWith(subtle.importKey('raw', unhex(BOB_PUBLIC), 'X25519', false, ['deriveBits']), 'SyntaxError', 'public usage');
    await rejectsWith(subtle.importKey('pkcs8', unhex(X25519_PKCS8 + ALICE_PRIVATE), 'X25519', false, []), 'SyntaxError', 'no usages');
    await rejectsWith(subtle.importKey('pkcs8', unhex(X25519_PKCS8 + ALICE_PRIVATE).slice(0, 40), 'X25519', false, ['deriveBits']),
      'DataError', 'truncated pkcs8');
    const mismatched = { kty: 'OKP', crv: 'X25519', x: b64url(unhex(BOB_PUBLIC)), d: b64url(unhex(ALICE_PRIVATE)) };
    await rejectsWith(subtle.importKey('jwk', mismatched, 'X25519', false, ['deriveBits']), 'DataError', 'x not matching d');
    const ecdh = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
    await rejectsWith(subtle.deriveBits({ name: 'X25519', public: ecdh.publicKey }, alice, 256), 'InvalidAccessError', 'ECDH public key');
    await rejects(subtle.deriveBits({ name: 'X25519' }, alice, 256), TypeError, 'missing public');
  });

  test('P-521: a FIPS 186-4 key imports, exports and signs with ECDSA', async () => {
    const [d, x, y] = [P521_D, P521_X, P521_Y].map(h => b64url(unhex(h)));
    const alg = { name: 'ECDSA', namedCurve: 'P-521' };
    const priv = await subtle.importKey('jwk', { kty: 'EC', crv: 'P-521', d, x, y }, alg, true, ['sign']);
    const pub = await subtle.importKey('raw', unhex(`04${P521_X}${P521_Y}`), alg, true, ['verify']);
    eq(pub.algorithm, { name: 'ECDSA', namedCurve: 'P-521' });
    const jwk = await subtle.exportKey('jwk', priv);
    eq([jwk.crv, jwk.d, jwk.x, jwk.y, jwk.alg], ['P-521', d, x, y, 'ES512']);
    const data = new TextEncoder().encode('a message');
    const sig = await subtle.sign({ name: 'ECDSA', hash: 'SHA-512' }, priv, data);
    eq(sig.byteLength, 132);
    eq(await subtle.verify({ name: 'ECDSA', hash: 'SHA-512' }, pub, sig, data), true);
    eq(await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, pub, sig, data), false);
    eq(await subtle.verify({ name: 'ECDSA', hash: 'SHA-512' }, pub, sig, new TextEncoder().encode('another')), false);
    const other = { kty: 'EC', crv: 'P-521', d, x, y: b64url(unhex(P521_X)) };
    await rejectsWith(subtle.importKey('jwk', other, alg, true, ['sign']), 'DataError', 'point not on the curve');
    const spki = await subtle.exportKey('spki', pub);
    const back = await subtle.importKey('spki', spki, alg, true, ['verify']);
    eq(hex(await subtle.exportKey('raw', back)), `04${P521_X}${P521_Y}`);
  });

  test('P-521: generated ECDSA and ECDH keys', async () => {
    const ecdsa = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-521' }, true, ['sign', 'verify']);
    const data = new Uint8Array([1, 2, 3]);
    const sig = await subtle.sign({ name: 'ECDSA', hash: 'SHA-384' }, ecdsa.privateKey, data);
    eq(await subtle.verify({ name: 'ECDSA', hash: 'SHA-384' }, ecdsa.publicKey, sig, data), true);
    eq((await subtle.exportKey('raw', ecdsa.publicKey)).byteLength, 133);
    const a = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-521' }, true, ['deriveBits']);
    const b = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-521' }, true, ['deriveBits']);
    const ab = await subtle.deriveBits({ name: 'ECDH', public: b.publicKey }, a.privateKey, null);
    eq(ab.byteLength, 66);
    eq(hex(ab), hex(await subtle.deriveBits({ name: 'ECDH', public: a.publicKey }, b.privateKey, 528)));
    const p256 = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
    await rejectsWith(subtle.deriveBits({ name: 'ECDH', public: p256.publicKey }, a.privateKey, null), 'InvalidAccessError', 'other curve');
  });

  test('AES-KW: RFC 3394 4.1 and 4.6 through wrapKey and unwrapKey', async () => {
    const kek128 = await subtle.importKey('raw', unhex('000102030405060708090a0b0c0d0e0f'), 'AES-KW', true, ['wrapKey', 'unwrapKey']);
    eq([kek128.algorithm, kek128.usages], [{ name: 'AES-KW', length: 128 }, ['wrapKey', 'unwrapKey']]);
    const key = await subtle.importKey('raw', unhex('00112233445566778899aabbccddeeff'), 'AES-GCM', true, ['encrypt']);
    const wrapped = await subtle.wrapKey('raw', key, kek128, 'AES-KW');
    eq(hex(wrapped), '1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5');
    const unwrapped = await subtle.unwrapKey('raw', wrapped, kek128, { name: 'AES-KW' }, 'AES-GCM', true, ['decrypt']);
    eq([hex(await subtle.exportKey('raw', unwrapped)), unwrapped.usages], ['00112233445566778899aabbccddeeff', ['decrypt']]);
    const kek256 = await subtle.importKey('raw', unhex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'),
      { name: 'AES-KW' }, false, ['wrapKey']);
    const key256 = await subtle.importKey('raw', unhex('00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f'),
      { name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
    eq(hex(await subtle.wrapKey('raw', key256, kek256, 'AES-KW')),
      '28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21');
    eq((await subtle.exportKey('jwk', kek128)).alg, 'A128KW');
  });

  test('AES-KW: bad input gets the named errors', async () => {
    const kek = await subtle.generateKey({ name: 'AES-KW', length: 192 }, true, ['wrapKey', 'unwrapKey']);
    eq(kek.algorithm, { name: 'AES-KW', length: 192 });
    await rejectsWith(subtle.encrypt('AES-KW', kek, new Uint8Array(16)), 'NotSupportedError', 'encrypt');
    await rejectsWith(subtle.importKey('raw', new Uint8Array(16), 'AES-KW', false, ['encrypt']), 'SyntaxError', 'usage');
    await rejectsWith(subtle.importKey('raw', new Uint8Array(20), 'AES-KW', false, ['wrapKey']), 'DataError', 'key length');
    const hmac = await subtle.importKey('raw', new Uint8Array(20), { name: 'HMAC', hash: 'SHA-1' }, true, ['sign']);
    await rejectsWith(subtle.wrapKey('raw', hmac, kek, 'AES-KW'), 'OperationError', 'not a multiple of 8 bytes');
    const key = await subtle.importKey('raw', new Uint8Array(16), 'AES-CBC', true, ['encrypt']);
    const wrapped = new Uint8Array(await subtle.wrapKey('raw', key, kek, 'AES-KW'));
    wrapped[5] ^= 1;
    await rejectsWith(subtle.unwrapKey('raw', wrapped, kek, 'AES-KW', 'AES-CBC', true, ['encrypt']), 'OperationError', 'tampered');
  });

  test('AES-GCM: 32-bit tags are the leading bytes of the full tag; 256-bit ivs', async () => {
    // GCM specification, test case 2.
    const key = await subtle.importKey('raw', new Uint8Array(16), 'AES-GCM', false, ['encrypt', 'decrypt']);
    const short = { name: 'AES-GCM', iv: new Uint8Array(12), tagLength: 32 };
    const out = await subtle.encrypt(short, key, new Uint8Array(16));
    eq(hex(out), '0388dace60b6a392f328c2b971b2fe78ab6e47d4');
    eq(hex(await subtle.decrypt(short, key, out)), '00'.repeat(16));
    const bad = new Uint8Array(out);
    bad[19] ^= 1;
    await rejectsWith(subtle.decrypt(short, key, bad), 'OperationError', 'altered tag');
    const long = { name: 'AES-GCM', iv: new Uint8Array(32).fill(9), tagLength: 64 };
    const sealed = await subtle.encrypt(long, key, new Uint8Array([1, 2, 3]));
    eq(sealed.byteLength, 11);
    eq(hex(await subtle.decrypt(long, key, sealed)), '010203');
    await rejectsWith(subtle.encrypt({ ...short, tagLength: 40 }, key, new Uint8Array(1)), 'OperationError', 'tag length 40');
  });

  test('Ed25519: the small-order identity key verifies nothing', async () => {
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const key = await subtle.importKey('raw', identity, 'Ed25519', false, ['verify']);
    const signature = new Uint8Array(64);
    signature[0] = 1;
    eq(await subtle.verify('Ed25519', key, signature, new Uint8Array([1, 2, 3])), false);
  });
});
