// Web Crypto checks for asymmetric keys and key derivation: ECDSA, ECDH,
// Ed25519, RSASSA-PKCS1-v1_5, RSA-PSS, RSA-OAEP, PBKDF2, HKDF, the key
// formats, and JWTs signed and verified in JavaScript.
import { suite, eq, rejects } from './harness.js';

const enc = s => new TextEncoder().encode(s);
const hex = buf => [...new Uint8Array(buf)].map(b => b.toString(16).padStart(2, '0')).join('');
const unhex = s => new Uint8Array(s.match(/../g).map(h => parseInt(h, 16)));
const subtle = crypto.subtle;

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
function b64url(input) {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0);
    const chars = [18, 12, 6, 0].map(shift => B64URL[(n >> shift) & 63]);
    out += chars.slice(0, Math.min(4, bytes.length - i + 1)).join('');
  }
  return out;
}
function unb64url(s) {
  const bytes = [];
  let bits = 0, acc = 0;
  for (const c of s) {
    acc = (acc << 6) | B64URL.indexOf(c);
    bits += 6;
    if (bits >= 8) { bits -= 8; bytes.push((acc >> bits) & 255); }
  }
  return new Uint8Array(bytes);
}

// A JWT: header.payload.signature, each base64url.
async function signJwt(alg, key, params, payload) {
  const input = `${b64url(enc(JSON.stringify({ alg, typ: 'JWT' })))}.${b64url(enc(JSON.stringify(payload)))}`;
  return `${input}.${b64url(await subtle.sign(params, key, enc(input)))}`;
}
async function verifyJwt(token, key, params) {
  const [header, payload, signature] = token.split('.');
  const ok = await subtle.verify(params, key, unb64url(signature), enc(`${header}.${payload}`));
  return ok ? JSON.parse(new TextDecoder().decode(unb64url(payload))) : null;
}

async function rejectsWith(promise, name, what) {
  const e = await rejects(promise, DOMException, what);
  eq(e.name, name, what);
}

export default suite(test => {
  test('ECDSA P-256: RFC 6979 A.2.5 signature verifies', async () => {
    const jwk = {
      kty: 'EC', crv: 'P-256',
      x: b64url(unhex('60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6')),
      y: b64url(unhex('7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299')),
    };
    const pub = await subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
    eq(pub.type, 'public');
    eq(pub.algorithm, { name: 'ECDSA', namedCurve: 'P-256' });
    const sig = unhex('efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716'
      + 'f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8');
    const params = { name: 'ECDSA', hash: 'SHA-256' };
    eq(await subtle.verify(params, pub, sig, enc('sample')), true);
    eq(await subtle.verify(params, pub, sig, enc('samples')), false);
    eq(await subtle.verify(params, pub, sig.slice(1), enc('sample')), false);
    const raw = await subtle.exportKey('raw', pub);
    eq(hex(raw).slice(0, 4), '0460');
    const spki = await subtle.exportKey('spki', pub);
    const again = await subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    eq(await subtle.verify(params, again, sig, enc('sample')), true);
    await rejectsWith(subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-384' }, false, ['verify']), 'DataError', 'curve mismatch');
    await rejectsWith(subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']), 'SyntaxError', 'sign on public');
    await rejectsWith(subtle.importKey('spki', new Uint8Array(10), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']), 'DataError', 'garbage');
  });
  test('ECDSA: generate, sign, verify, every format', async () => {
    for (const [namedCurve, hash, size] of [['P-256', 'SHA-256', 64], ['P-384', 'SHA-384', 96]]) {
      const { publicKey, privateKey } = await subtle.generateKey({ name: 'ECDSA', namedCurve }, true, ['sign', 'verify']);
      eq([publicKey.usages, privateKey.usages], [['verify'], ['sign']]);
      const sig = await subtle.sign({ name: 'ECDSA', hash }, privateKey, enc('m'));
      eq(sig.byteLength, size);
      eq(await subtle.verify({ name: 'ECDSA', hash }, publicKey, sig, enc('m')), true);
      const jwk = await subtle.exportKey('jwk', privateKey);
      eq([jwk.kty, jwk.crv, typeof jwk.d], ['EC', namedCurve, 'string']);
      const pkcs8 = await subtle.exportKey('pkcs8', privateKey);
      const fromPkcs8 = await subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve }, false, ['sign']);
      const fromJwk = await subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve }, false, ['sign']);
      for (const k of [fromPkcs8, fromJwk]) {
        eq(await subtle.verify({ name: 'ECDSA', hash }, publicKey, await subtle.sign({ name: 'ECDSA', hash }, k, enc('n')), enc('n')), true);
      }
      await rejectsWith(subtle.exportKey('raw', privateKey), 'InvalidAccessError', 'raw private');
      await rejectsWith(subtle.exportKey('pkcs8', publicKey), 'InvalidAccessError', 'pkcs8 public');
      await rejectsWith(subtle.sign({ name: 'ECDSA', hash }, publicKey, enc('m')), 'InvalidAccessError', 'sign with public');
    }
    await rejectsWith(subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-192' }, true, ['sign']), 'NotSupportedError', 'P-192');
    await rejectsWith(subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']), 'SyntaxError', 'no private usage');
  });
  test('ECDH: both sides agree, deriveKey gives an AES key', async () => {
    const alg = { name: 'ECDH', namedCurve: 'P-384' };
    const a = await subtle.generateKey(alg, false, ['deriveBits', 'deriveKey']);
    const b = await subtle.generateKey(alg, false, ['deriveBits']);
    eq(a.publicKey.usages, []);
    const ab = await subtle.deriveBits({ name: 'ECDH', public: b.publicKey }, a.privateKey, 384);
    const ba = await subtle.deriveBits({ name: 'ECDH', public: a.publicKey }, b.privateKey, null);
    eq(hex(ab), hex(ba));
    eq(ab.byteLength, 48);
    const key = await subtle.deriveKey({ name: 'ECDH', public: b.publicKey }, a.privateKey, { name: 'AES-GCM', length: 256 }, true, ['encrypt']);
    eq(hex(await subtle.exportKey('raw', key)), hex(ab).slice(0, 64));
    await rejectsWith(subtle.deriveBits({ name: 'ECDH', public: b.privateKey }, a.privateKey, 128), 'InvalidAccessError', 'private as public');
    await rejectsWith(subtle.deriveBits({ name: 'ECDH', public: b.publicKey }, a.privateKey, 1000), 'OperationError', 'too long');
    const other = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
    await rejectsWith(subtle.deriveBits({ name: 'ECDH', public: other.publicKey }, a.privateKey, 128), 'InvalidAccessError', 'curves differ');
    await rejects(subtle.deriveBits({ name: 'ECDH', public: 'key' }, a.privateKey, 128), TypeError, 'public not a key');
  });
  test('Ed25519: RFC 8032 test 1, formats', async () => {
    const seed = unhex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    const pkcs8 = new Uint8Array([...unhex('302e020100300506032b657004220420'), ...seed]);
    const priv = await subtle.importKey('pkcs8', pkcs8, 'Ed25519', true, ['sign']);
    const sig = await subtle.sign('Ed25519', priv, new Uint8Array(0));
    eq(hex(sig), 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b');
    const pub = await subtle.importKey('raw', unhex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'), { name: 'Ed25519' }, true, ['verify']);
    eq(await subtle.verify('Ed25519', pub, sig, new Uint8Array(0)), true);
    eq(await subtle.verify('Ed25519', pub, sig, new Uint8Array(1)), false);
    eq(hex(await subtle.exportKey('pkcs8', priv)), hex(pkcs8));
    const jwk = await subtle.exportKey('jwk', priv);
    eq([jwk.kty, jwk.crv, jwk.x, jwk.alg], ['OKP', 'Ed25519', b64url(unhex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')), 'Ed25519']);
    const pair = await subtle.generateKey('Ed25519', false, ['sign', 'verify']);
    const s2 = await subtle.sign('Ed25519', pair.privateKey, enc('hi'));
    eq(await subtle.verify('Ed25519', pair.publicKey, s2, enc('hi')), true);
    await rejectsWith(subtle.importKey('raw', new Uint8Array(31), 'Ed25519', true, ['verify']), 'DataError', 'short key');
    await rejectsWith(subtle.exportKey('jwk', pair.privateKey), 'InvalidAccessError', 'not extractable');
  });
  test('RSA: PKCS1-v1_5, PSS, OAEP round trips and formats', async () => {
    const gen = { modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
    const pkcs = await subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', ...gen }, true, ['sign', 'verify']);
    eq(pkcs.publicKey.algorithm.modulusLength, 1024);
    eq(hex(pkcs.publicKey.algorithm.publicExponent), '010001');
    eq(pkcs.publicKey.algorithm.hash, { name: 'SHA-256' });
    const sig = await subtle.sign('RSASSA-PKCS1-v1_5', pkcs.privateKey, enc('m'));
    eq(sig.byteLength, 128);
    eq(await subtle.verify('RSASSA-PKCS1-v1_5', pkcs.publicKey, sig, enc('m')), true);
    // PKCS #1 v1.5 signatures are deterministic.
    eq(hex(await subtle.sign('RSASSA-PKCS1-v1_5', pkcs.privateKey, enc('m'))), hex(sig));
    const jwk = await subtle.exportKey('jwk', pkcs.privateKey);
    eq([jwk.kty, jwk.alg, jwk.e], ['RSA', 'RS256', 'AQAB']);
    const fromJwk = await subtle.importKey('jwk', jwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['sign']);
    eq(hex(await subtle.sign('RSASSA-PKCS1-v1_5', fromJwk, enc('m'))), hex(sig));
    const spki = await subtle.exportKey('spki', pkcs.publicKey);
    const pss = await subtle.importKey('spki', spki, { name: 'RSA-PSS', hash: 'SHA-256' }, false, ['verify']);
    const pssPriv = await subtle.importKey('pkcs8', await subtle.exportKey('pkcs8', pkcs.privateKey), { name: 'RSA-PSS', hash: 'SHA-256' }, false, ['sign']);
    const pssSig = await subtle.sign({ name: 'RSA-PSS', saltLength: 32 }, pssPriv, enc('m'));
    eq(await subtle.verify({ name: 'RSA-PSS', saltLength: 32 }, pss, pssSig, enc('m')), true);
    eq(await subtle.verify({ name: 'RSA-PSS', saltLength: 32 }, pss, pssSig, enc('n')), false);
    await rejectsWith(subtle.sign({ name: 'RSA-PSS', saltLength: 4e9 }, pssPriv, enc('m')), 'OperationError', 'huge salt');
    await rejects(subtle.sign({ name: 'RSA-PSS', saltLength: -1 }, pssPriv, enc('m')), TypeError, 'negative salt');
    await rejectsWith(subtle.importKey('jwk', jwk, { name: 'RSA-PSS', hash: 'SHA-256' }, true, ['sign']), 'DataError', 'RS256 as PSS');
    await rejectsWith(subtle.importKey('raw', spki, { name: 'RSA-PSS', hash: 'SHA-256' }, true, ['verify']), 'NotSupportedError', 'raw RSA');
    await rejectsWith(subtle.generateKey({ name: 'RSA-PSS', ...gen, publicExponent: new Uint8Array([7]) }, true, ['sign']), 'OperationError', 'bad exponent');
    const oaepPub = await subtle.importKey('spki', spki, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
    const oaepPriv = await subtle.importKey('jwk', { ...jwk, alg: 'RSA-OAEP-256', key_ops: ['decrypt'] }, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
    const ct = await subtle.encrypt({ name: 'RSA-OAEP', label: enc('l') }, oaepPub, enc('secret'));
    eq(new TextDecoder().decode(await subtle.decrypt({ name: 'RSA-OAEP', label: enc('l') }, oaepPriv, ct)), 'secret');
    await rejectsWith(subtle.decrypt({ name: 'RSA-OAEP' }, oaepPriv, ct), 'OperationError', 'wrong label');
    await rejectsWith(subtle.importKey('jwk', { ...jwk, key_ops: ['sign'] }, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']), 'DataError', 'key_ops');
  });
  test('PBKDF2 and HKDF: RFC 6070 and RFC 5869 known answers', async () => {
    const pw = await subtle.importKey('raw', enc('password'), 'PBKDF2', false, ['deriveBits', 'deriveKey']);
    eq(pw.extractable, false);
    eq(hex(await subtle.deriveBits({ name: 'PBKDF2', salt: enc('salt'), iterations: 2, hash: 'SHA-1' }, pw, 160)),
      'ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957');
    eq(hex(await subtle.deriveBits({ name: 'PBKDF2', salt: enc('salt'), iterations: 1, hash: 'SHA-256' }, pw, 256)),
      '120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b');
    const hmac = await subtle.deriveKey({ name: 'PBKDF2', salt: enc('salt'), iterations: 1, hash: 'SHA-256' }, pw,
      { name: 'HMAC', hash: 'SHA-256', length: 256 }, true, ['sign']);
    eq(hex(await subtle.exportKey('raw', hmac)), '120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b');
    await rejectsWith(subtle.deriveBits({ name: 'PBKDF2', salt: enc('s'), iterations: 0, hash: 'SHA-1' }, pw, 128), 'OperationError', 'zero iterations');
    await rejectsWith(subtle.deriveBits({ name: 'PBKDF2', salt: enc('s'), iterations: 1, hash: 'SHA-1' }, pw, null), 'OperationError', 'null length');
    await rejectsWith(subtle.importKey('raw', enc('p'), 'PBKDF2', true, ['deriveBits']), 'SyntaxError', 'extractable PBKDF2');
    await rejectsWith(subtle.importKey('jwk', { kty: 'oct', k: 'AA' }, 'PBKDF2', false, ['deriveBits']), 'NotSupportedError', 'jwk PBKDF2');
    const ikm = await subtle.importKey('raw', new Uint8Array(22).fill(0x0b), 'HKDF', false, ['deriveBits']);
    const okm = await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: unhex('000102030405060708090a0b0c'), info: unhex('f0f1f2f3f4f5f6f7f8f9') }, ikm, 336);
    eq(hex(okm), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
    await rejectsWith(subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: enc(''), info: enc('') }, ikm, { name: 'AES-GCM', length: 128 }, true, ['encrypt']), 'InvalidAccessError', 'no deriveKey usage');
    await rejects(subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: enc('') }, ikm, 128), TypeError, 'no info');
  });
  test('JWT: RFC 7515 A.1 HS256 known answer', async () => {
    const key = await subtle.importKey('jwk', {
      kty: 'oct', k: 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow',
    }, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    const input = 'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ';
    eq(b64url(await subtle.sign('HMAC', key, enc(input))), 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
    eq((await verifyJwt(`${input}.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk`, key, 'HMAC')).iss, 'joe');
  });
  test('JWT: HS256, ES256 and RS256 tokens signed in JavaScript verify', async () => {
    const payload = { sub: 'user-1', iat: 1700000000 };
    const hs = await subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    const es = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const rs = await subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, false, ['sign', 'verify']);
    const cases = [
      ['HS256', hs, hs, 'HMAC'],
      ['ES256', es.privateKey, es.publicKey, { name: 'ECDSA', hash: 'SHA-256' }],
      ['RS256', rs.privateKey, rs.publicKey, 'RSASSA-PKCS1-v1_5'],
    ];
    for (const [alg, signKey, verifyKey, params] of cases) {
      const token = await signJwt(alg, signKey, params, payload);
      eq(JSON.parse(new TextDecoder().decode(unb64url(token.split('.')[0]))).alg, alg);
      eq(await verifyJwt(token, verifyKey, params), payload, alg);
      const [h, , s] = token.split('.');
      const forged = `${h}.${b64url(enc(JSON.stringify({ sub: 'admin' })))}.${s}`;
      eq(await verifyJwt(forged, verifyKey, params), null, `${alg} forged`);
    }
  });
});
