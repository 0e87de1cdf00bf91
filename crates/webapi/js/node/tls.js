// node:tls — TLS client sockets over node:net's (net.js), with the host's
// TLS (rustls with the Web PKI roots; runtime/src/sockets): `connect`
// (a new connection, or `{ socket }` to upgrade a connected node:net
// socket, as database drivers do after asking the server for TLS), with
// `servername` naming the server the certificate is checked for (else the
// host); `TLSSocket`, `checkServerIdentity`, `createSecureContext`. The
// certificate is always checked: against the Web PKI roots, or, as in
// Node.js, only against the certificates `ca` gives (PEM, one or many;
// also through `secureContext`), for servers with a private CA.
// `rejectUnauthorized: false`, client certificates and the other context
// options are accepted and not used. `getPeerCertificate(detailed)` gives
// the server's certificate with the fields Node reads out of it (subject,
// issuer, subjectaltname, ca, the public key's, valid_from/valid_to,
// fingerprints, ext_key_usage, serialNumber, raw; `issuerCertificate`
// along the chain the server sent when `detailed`); `infoAccess` is not
// there. A Worker cannot listen:
// `Server`/`createServer` throw.

const net = nodeModule('net');
const { socketInternals } = nodeGroup('net');
const { nodeError } = nodeGroup('buffer');
const { Buffer } = nodeModule('buffer');

function notImplemented(what) {
  return nodeError(Error, 'ERR_METHOD_NOT_IMPLEMENTED', `The ${what} method is not implemented`);
}

class TLSSocketImpl extends net.Socket {
  constructor(socket = undefined, options = undefined) {
    const o = options === undefined || options === null ? {} : options;
    super({ allowHalfOpen: o.allowHalfOpen === true });
    this.encrypted = true;
    this.authorized = false;
    this.authorizationError = null;
    this.alpnProtocol = false;
    this.servername = o.servername === undefined ? null : o.servername;
    if (socket !== undefined && socket !== null) upgradeFrom(socket, this, o.servername || socket._host || 'localhost', caText(o));
  }
  getPeerCertificate(detailed = false) {
    const ders = socketInternals.peerCertificates(this);
    if (ders.length === 0) return this.pending || this.destroyed ? null : {};
    const certs = ders.map(certificateObject);
    if (detailed) {
      // Each certificate's issuer is the next the server sent; the last
      // one's is itself when it is self-signed, as Node links them.
      for (let i = 0; i < certs.length; i++) {
        if (i + 1 < certs.length) certs[i].issuerCertificate = certs[i + 1];
        else if (sameName(certs[i].subject, certs[i].issuer)) certs[i].issuerCertificate = certs[i];
      }
    }
    return certs[0];
  }
  getCertificate() { return {}; }
  getProtocol() { return this.pending ? null : 'TLSv1.3'; }
  getCipher() { return undefined; }
  getSession() { return undefined; }
  getTLSTicket() { return undefined; }
  isSessionReused() { return false; }
  setServername(name) { this.servername = String(name); }
  setMaxSendFragment() { return true; }
  exportKeyingMaterial() { throw notImplemented('exportKeyingMaterial'); }
  renegotiate() { throw notImplemented('renegotiate'); }
}

// A certificate (DER) as Node's getPeerCertificate() describes it (fields
// read by the host, crates/webapi/src/node_crypto/x509.rs): names are
// objects with a null prototype, an attribute given more than once an
// array; `raw` and `pubkey` Buffers.
function certificateObject(der) {
  const info = op('node_x509_info', der);
  const out = {};
  for (const key of Object.keys(info)) {
    const value = info[key];
    if (key === 'subject' || key === 'issuer') out[key] = nameObject(value);
    else if (key === 'raw' || key === 'pubkey') out[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    else out[key] = value;
  }
  return out;
}

function nameObject(pairs) {
  const out = { __proto__: null };
  for (const [key, value] of pairs) {
    if (!(key in out)) out[key] = value;
    else if (Array.isArray(out[key])) out[key].push(value);
    else out[key] = [out[key], value];
  }
  return out;
}

function sameName(a, b) {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every(k => JSON.stringify(a[k]) === JSON.stringify(b[k]));
}

// `new tls.TLSSocket(socket)` and `tls.TLSSocket(socket)`, as for
// net.Socket.
function TLSSocket(socket, options) {
  return Reflect.construct(TLSSocketImpl, [socket, options], new.target || TLSSocket);
}
TLSSocket.prototype = TLSSocketImpl.prototype;
Object.defineProperty(TLSSocketImpl.prototype, 'constructor', { value: TLSSocket, writable: true, configurable: true });
Object.setPrototypeOf(TLSSocket, TLSSocketImpl);

// Moves `plain`'s connection under TLS into `tls`, once `plain` is
// connected.
// The PEM text of a `ca` option (a string or Buffer, or an array of them),
// or null.
function caText(options) {
  const ca = options.ca ?? options.secureContext?.options?.ca;
  if (ca === undefined || ca === null) return null;
  const list = Array.isArray(ca) ? ca : [ca];
  return list.map(c => (typeof c === 'string' ? c : new TextDecoder().decode(c))).join('\n');
}

function upgradeFrom(plain, tls, servername, ca = null) {
  if (!(plain instanceof net.Socket)) {
    throw nodeError(TypeError, 'ERR_METHOD_NOT_IMPLEMENTED', 'tls.connect() can only take over a node:net Socket');
  }
  tls.servername = servername;
  tls._host = servername;
  tls.connecting = true;
  const start = () => {
    if (!socketInternals.upgrade(plain, tls, servername, ca)) {
      tls.destroy(nodeError(Error, 'ERR_SOCKET_CLOSED', 'Socket is closed'));
    }
  };
  if (plain.connecting) plain.once('connect', start);
  else start();
}

function normalize(args) {
  let options = {};
  let callback;
  const rest = [...args];
  if (typeof rest[rest.length - 1] === 'function') callback = rest.pop();
  if (rest[0] !== null && typeof rest[0] === 'object') {
    options = { ...rest[0] };
  } else {
    if (rest[0] !== undefined) options.port = rest[0];
    if (typeof rest[1] === 'string') options.host = rest[1];
    const more = rest.find((x, i) => i > 0 && x !== null && typeof x === 'object');
    if (more) options = { ...more, ...options };
  }
  return [options, callback];
}

function connect(...args) {
  const [options, callback] = normalize(args);
  const host = options.host === undefined || options.host === null ? 'localhost' : String(options.host);
  // Node.js sends no server name for an address; the certificate is then
  // checked for the address.
  const servername = options.servername === undefined || options.servername === '' ? host : String(options.servername);
  const s = new TLSSocket(undefined, { allowHalfOpen: options.allowHalfOpen, servername });
  if (typeof callback === 'function') s.once('secureConnect', callback);
  if (options.timeout) s.setTimeout(options.timeout);
  if (options.socket !== undefined && options.socket !== null) {
    upgradeFrom(options.socket, s, servername, caText(options));
  } else {
    if (options.path !== undefined) throw notImplemented('tls.connect() with a path');
    socketInternals.markTls(s, servername, caText(options));
    s.connect({ host, port: options.port });
  }
  return s;
}

class SecureContext {
  constructor(options) { this.context = {}; this.options = options; }
}

function createSecureContext(options = {}) {
  return new SecureContext(options);
}

// Node.js's check of `hostname` against a certificate's subject names
// (`subjectaltname`, else `subject.CN`): undefined when they match, else
// an error.
function checkServerIdentity(hostname, cert) {
  const host = String(hostname).toLowerCase().replace(/\.$/, '');
  const names = [];
  const ips = [];
  const alt = cert && cert.subjectaltname;
  if (typeof alt === 'string') {
    for (const entry of alt.split(/, /)) {
      if (entry.startsWith('DNS:')) names.push(entry.slice(4).toLowerCase());
      else if (entry.startsWith('IP Address:')) ips.push(entry.slice(11).toLowerCase());
    }
  }
  const wildcard = (pattern, name) => {
    if (!pattern.includes('*')) return pattern === name;
    const [first, ...rest] = pattern.split('.');
    const [nameFirst, ...nameRest] = name.split('.');
    if (rest.join('.') !== nameRest.join('.') || rest.length < 2) return false;
    if (first === '*') return nameFirst.length > 0;
    const star = first.indexOf('*');
    return nameFirst.startsWith(first.slice(0, star)) && nameFirst.endsWith(first.slice(star + 1));
  };
  let valid;
  let reason;
  if (net.isIP(host)) {
    valid = ips.includes(host);
    reason = `IP: ${host} is not in the cert's list: ${ips.join(', ')}`;
  } else if (names.length > 0) {
    valid = names.some(n => wildcard(n, host));
    reason = `Host: ${host}. is not in the cert's altnames: ${alt}`;
  } else {
    const cn = cert && cert.subject && cert.subject.CN;
    const cns = Array.isArray(cn) ? cn : cn === undefined ? [] : [cn];
    valid = cns.some(n => wildcard(String(n).toLowerCase(), host));
    reason = cns.length ? `Host: ${host}. is not cert's CN: ${cns.join(', ')}` : 'Cert does not contain a DNS name';
  }
  if (valid) return undefined;
  const err = nodeError(Error, 'ERR_TLS_CERT_ALTNAME_INVALID', `Hostname/IP does not match certificate's altnames: ${reason}`);
  err.reason = reason;
  err.host = host;
  err.cert = cert;
  return err;
}

function Server() { throw notImplemented('tls.Server'); }
function createServer() { throw notImplemented('tls.createServer'); }

const CIPHERS = ['tls_aes_128_gcm_sha256', 'tls_aes_256_gcm_sha384', 'tls_chacha20_poly1305_sha256',
  'ecdhe-ecdsa-aes128-gcm-sha256', 'ecdhe-ecdsa-aes256-gcm-sha384', 'ecdhe-ecdsa-chacha20-poly1305',
  'ecdhe-rsa-aes128-gcm-sha256', 'ecdhe-rsa-aes256-gcm-sha384', 'ecdhe-rsa-chacha20-poly1305'];

const module = {
  TLSSocket,
  SecureContext,
  Server,
  connect,
  createServer,
  createSecureContext,
  checkServerIdentity,
  getCiphers: () => CIPHERS.slice(),
  rootCertificates: Object.freeze([]),
  DEFAULT_CIPHERS: 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256',
  DEFAULT_ECDH_CURVE: 'auto',
  DEFAULT_MIN_VERSION: 'TLSv1.2',
  DEFAULT_MAX_VERSION: 'TLSv1.3',
  CLIENT_RENEG_LIMIT: 3,
  CLIENT_RENEG_WINDOW: 600,
};
