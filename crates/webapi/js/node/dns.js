// node:dns and node:dns/promises over the system resolver of the server
// (runtime/src/sockets/dns.rs: getaddrinfo off the executor), under the
// egress policy: a Worker sees only the addresses it may connect to. Each
// lookup of a name counts as a subrequest of its event (on Workers, DNS
// goes out as DNS-over-HTTPS requests). `lookup`, `resolve4`, `resolve6`
// and `resolve(name, 'A' | 'AAAA')` answer; the other record types,
// `reverse` and `lookupService` need a DNS client the server does not
// have and fail with code ENOTIMP. `Resolver` gives the same methods;
// `setServers` is recorded and not used.

const { nodeError, invalidArgType } = nodeGroup('buffer');
const { isIP } = nodeModule('net');

// Runs `ok` or `fail` once `p` settles; what they throw is reported as an
// unhandled rejection, not swallowed.
function settle(p, ok, fail) {
  promiseThen.call(p, ok, fail);
}

const CODES = {
  NODATA: 'ENODATA', FORMERR: 'EFORMERR', SERVFAIL: 'ESERVFAIL', NOTFOUND: 'ENOTFOUND', NOTIMP: 'ENOTIMP',
  REFUSED: 'EREFUSED', BADQUERY: 'EBADQUERY', BADNAME: 'EBADNAME', BADFAMILY: 'EBADFAMILY', BADRESP: 'EBADRESP',
  CONNREFUSED: 'ECONNREFUSED', TIMEOUT: 'ETIMEOUT', EOF: 'EOF', FILE: 'EFILE', NOMEM: 'ENOMEM',
  DESTRUCTION: 'EDESTRUCTION', BADSTR: 'EBADSTR', BADFLAGS: 'EBADFLAGS', NONAME: 'ENONAME', BADHINTS: 'EBADHINTS',
  NOTINITIALIZED: 'ENOTINITIALIZED', LOADIPHLPAPI: 'ELOADIPHLPAPI', ADDRGETNETWORKPARAMS: 'EADDRGETNETWORKPARAMS',
  CANCELLED: 'ECANCELLED',
};

let resultOrder = 'verbatim';

function dnsError(code, syscall, hostname, cause) {
  const e = nodeError(Error, code, `${syscall} ${code} ${hostname}`);
  e.errno = undefined;
  e.syscall = syscall;
  e.hostname = hostname;
  if (cause !== undefined) e.cause = cause;
  return e;
}

// The addresses of `hostname` the host gives, as `{ address, family }`.
function addresses(hostname, syscall) {
  const family = isIP(hostname);
  if (family) return promiseResolvedWith([{ address: hostname, family }]);
  let asked;
  try {
    asked = opAsync('dns_lookup', hostname);
  } catch (e) {
    return promiseRejectedWith(e);
  }
  return transformPromise(asked,
    list => list.map(address => ({ address, family: isIP(address) })),
    e => {
      const err = dnsError(CODES.NOTFOUND, syscall, hostname, e);
      // Found, but not to be seen: say why.
      if (/egress policy/.test(String(e && e.message))) err.message += " (the server's egress policy allows none of its addresses)";
      throw err;
    });
}

function checkHostname(hostname) {
  if (typeof hostname !== 'string') throw invalidArgType('hostname', 'of type string', hostname);
}

function lookupPromise(hostname, options = {}) {
  if (hostname === null || hostname === undefined || hostname === false) hostname = '';
  checkHostname(hostname);
  const o = typeof options === 'number' ? { family: options } : options === null ? {} : options;
  let family = o.family === undefined ? 0 : o.family;
  if (family === 'IPv4') family = 4;
  if (family === 'IPv6') family = 6;
  if (![0, 4, 6].includes(family)) {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The property 'options.family' must be one of: 0, 4, 6. Received ${family}`);
  }
  if (hostname === '') {
    return promiseResolvedWith(o.all ? [] : { address: null, family: family === 6 ? 6 : 4 });
  }
  return transformPromise(addresses(hostname, 'getaddrinfo'), list => {
    let found = family === 0 ? list : list.filter(a => a.family === family);
    const order = o.order ?? (o.verbatim === false ? 'ipv4first' : o.verbatim === true ? 'verbatim' : resultOrder);
    if (order === 'ipv4first') found = [...found.filter(a => a.family === 4), ...found.filter(a => a.family === 6)];
    if (order === 'ipv6first') found = [...found.filter(a => a.family === 6), ...found.filter(a => a.family === 4)];
    if (found.length === 0) throw dnsError(CODES.NOTFOUND, 'getaddrinfo', hostname);
    return o.all ? found : found[0];
  });
}

function lookup(hostname, options, callback) {
  if (typeof options === 'function') { callback = options; options = {}; }
  if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
  const all = options !== null && typeof options === 'object' && options.all;
  settle(lookupPromise(hostname, options), found => {
    if (all) callback(null, found);
    else callback(null, found.address, found.family);
  }, e => callback(e));
  return {};
}

function resolveFamily(hostname, family, withTtl) {
  checkHostname(hostname);
  const syscall = family === 4 ? 'queryA' : 'queryAaaa';
  return transformPromise(addresses(hostname, syscall), list => {
    const found = list.filter(a => a.family === family).map(a => a.address);
    if (found.length === 0) throw dnsError(CODES.NODATA, syscall, hostname);
    // The system resolver does not say how long an answer lives.
    return withTtl ? found.map(address => ({ address, ttl: 0 })) : found;
  });
}

const RRTYPES = ['A', 'AAAA', 'ANY', 'CAA', 'CNAME', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SRV', 'TXT'];

function notImplementedQuery(rrtype, hostname) {
  const syscall = `query${rrtype[0]}${rrtype.slice(1).toLowerCase()}`;
  return promiseRejectedWith(dnsError(CODES.NOTIMP, syscall, hostname));
}

function resolvePromise(hostname, rrtype = 'A') {
  if (typeof rrtype !== 'string') throw invalidArgType('rrtype', 'of type string', rrtype);
  if (!RRTYPES.includes(rrtype)) {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'rrtype' is invalid. Received '${rrtype}'`);
  }
  if (rrtype === 'A') return resolveFamily(hostname, 4, false);
  if (rrtype === 'AAAA') return resolveFamily(hostname, 6, false);
  checkHostname(hostname);
  return notImplementedQuery(rrtype, hostname);
}

// The callback form of a promise-answering `fn`.
function withCallback(fn) {
  return function (...args) {
    const callback = args.pop();
    if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
    settle(fn(...args), v => callback(null, v), e => callback(e));
    return {};
  };
}

function promiseMethods() {
  const m = {
    lookup: lookupPromise,
    lookupService: (address, port) => promiseRejectedWith(dnsError(CODES.NOTIMP, 'getnameinfo', `${address}:${port}`)),
    resolve: resolvePromise,
    resolve4: (hostname, options) => resolveFamily(hostname, 4, !!(options && options.ttl)),
    resolve6: (hostname, options) => resolveFamily(hostname, 6, !!(options && options.ttl)),
    reverse: ip => promiseRejectedWith(dnsError(CODES.NOTIMP, 'getHostByAddr', ip)),
  };
  for (const t of ['ANY', 'CAA', 'CNAME', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SRV', 'TXT']) {
    m[`resolve${t[0]}${t.slice(1).toLowerCase()}`] = hostname => {
      checkHostname(hostname);
      return notImplementedQuery(t, hostname);
    };
  }
  return m;
}

let servers = [];
function getServers() { return servers.slice(); }
function setServers(list) {
  if (!Array.isArray(list)) throw invalidArgType('servers', 'an instance of Array', list);
  servers = list.map(String);
}

const promiseApi = promiseMethods();

class PromiseResolver {
  #servers = [];
  constructor(options = undefined) { this.options = options; }
  cancel() {}
  getServers() { return this.#servers.slice(); }
  setServers(list) { this.#servers = list.map(String); }
  setLocalAddress() {}
}
for (const [name, fn] of Object.entries(promiseApi)) {
  if (name !== 'lookup' && name !== 'lookupService') PromiseResolver.prototype[name] = function (...a) { return fn(...a); };
}

class Resolver extends PromiseResolver {}
for (const [name, fn] of Object.entries(promiseApi)) {
  if (name !== 'lookup' && name !== 'lookupService') Resolver.prototype[name] = withCallback(fn);
}

const promises = {
  ...promiseApi,
  Resolver: PromiseResolver,
  getDefaultResultOrder: () => resultOrder,
  setDefaultResultOrder,
  getServers,
  setServers,
  ...CODES,
};

function setDefaultResultOrder(order) {
  if (!['ipv4first', 'ipv6first', 'verbatim'].includes(order)) {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'dnsOrder' must be one of: 'verbatim', 'ipv4first', 'ipv6first'. Received '${order}'`);
  }
  resultOrder = order;
}

const module = {
  lookup,
  Resolver,
  getDefaultResultOrder: () => resultOrder,
  setDefaultResultOrder,
  setServers,
  getServers,
  ADDRCONFIG: 32,
  ALL: 16,
  V4MAPPED: 8,
  ...CODES,
  promises,
};
for (const [name, fn] of Object.entries(promiseApi)) {
  if (name !== 'lookup') module[name] = withCallback(fn);
}
