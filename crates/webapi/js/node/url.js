// node:url — the WHATWG `URL` and `URLSearchParams` (the globals),
// `fileURLToPath`, `pathToFileURL` (POSIX paths), `urlToHttpOptions`,
// `domainToASCII`, and the legacy API: `parse` (into a `Url` object,
// optionally with the query parsed by node:querystring), `format` (of a
// `Url`-like object, a string, or a URL with Node's options) and
// `resolve`. Uses no ops.

function urlError(Ctor, code, message) {
  const e = new Ctor(message);
  e.code = code;
  return e;
}

function fileURLToPath(input) {
  let url = input;
  if (typeof input === 'string') url = new URL(input);
  else if (!(input instanceof URL)) {
    throw urlError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "path" argument must be of type string or an instance of URL.');
  }
  if (url.protocol !== 'file:') throw urlError(TypeError, 'ERR_INVALID_URL_SCHEME', 'The URL must be of scheme file');
  if (url.hostname !== '') throw urlError(TypeError, 'ERR_INVALID_FILE_URL_HOST', 'File URL host must be "localhost" or empty on linux');
  const pathname = url.pathname;
  for (let i = 0; i + 2 < pathname.length; i++) {
    if (pathname[i] === '%' && pathname[i + 1] === '2' && (pathname[i + 2] === 'f' || pathname[i + 2] === 'F')) {
      throw urlError(TypeError, 'ERR_INVALID_FILE_URL_PATH', 'File URL path must not include encoded / characters');
    }
  }
  return decodeURIComponent(pathname);
}

function pathToFileURL(path) {
  if (typeof path !== 'string') throw urlError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "path" argument must be of type string.');
  const posix = nodeModule('path');
  let resolved = posix.resolve(path);
  if (path.endsWith('/') && !resolved.endsWith('/')) resolved += '/';
  const url = new URL('file://');
  url.pathname = resolved.replace(/%/g, '%25').replace(/\\/g, '%5C').replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/\t/g, '%09');
  return new URL(`${url.href}`.replace(/\?/g, '%3F').replace(/#/g, '%23'));
}

function urlToHttpOptions(url) {
  const options = {
    protocol: url.protocol,
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    hash: url.hash,
    search: url.search,
    pathname: url.pathname,
    path: `${url.pathname || ''}${url.search || ''}`,
    href: url.href,
  };
  if (url.port !== '') options.port = Number(url.port);
  if (url.username || url.password) options.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return options;
}

function domainToASCII(domain) {
  try { return new URL(`http://${domain}`).hostname; } catch { return ''; }
}

// The legacy Url object.
function Url() {
  this.protocol = null;
  this.slashes = null;
  this.auth = null;
  this.host = null;
  this.port = null;
  this.hostname = null;
  this.hash = null;
  this.search = null;
  this.query = null;
  this.pathname = null;
  this.path = null;
  this.href = null;
}

const SLASHED = new Set(['http:', 'https:', 'ftp:', 'gopher:', 'file:', 'ws:', 'wss:']);
const NO_HOST = new Set(['javascript:', 'javascript']);

function parse(url, parseQueryString = false, slashesDenoteHost = false) {
  if (url instanceof Url) return url;
  if (typeof url !== 'string') throw urlError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "url" argument must be of type string.');
  const u = new Url();
  let rest = url.trim();
  // Backslashes before the query read as slashes, as Node.js does.
  const q = rest.search(/[?#]/);
  rest = (q === -1 ? rest : rest.slice(0, q)).replace(/\\/g, '/') + (q === -1 ? '' : rest.slice(q));
  const hashAt = rest.indexOf('#');
  if (hashAt !== -1) { u.hash = rest.slice(hashAt); rest = rest.slice(0, hashAt); }
  const queryAt = rest.indexOf('?');
  if (queryAt !== -1) {
    u.search = rest.slice(queryAt);
    u.query = rest.slice(queryAt + 1);
    rest = rest.slice(0, queryAt);
  } else if (parseQueryString) {
    u.search = '';
    u.query = {};
  }
  const proto = /^([a-zA-Z][a-zA-Z0-9+.-]*:)/.exec(rest);
  let lowerProto;
  if (proto) {
    lowerProto = proto[1].toLowerCase();
    u.protocol = lowerProto;
    rest = rest.slice(proto[1].length);
  }
  const slashes = rest.startsWith('//');
  if ((slashesDenoteHost || proto) && slashes && !(lowerProto && NO_HOST.has(lowerProto))) {
    rest = rest.slice(2);
    u.slashes = true;
  }
  if (u.slashes || (proto && !NO_HOST.has(lowerProto) && SLASHED.has(lowerProto) && false)) {
    let end = rest.search(/[/?#]/);
    if (end === -1) end = rest.length;
    let hostPart = rest.slice(0, end);
    rest = rest.slice(end);
    const at = hostPart.lastIndexOf('@');
    if (at !== -1) {
      u.auth = decodeURIComponent(hostPart.slice(0, at));
      hostPart = hostPart.slice(at + 1);
    }
    const portMatch = /:([0-9]*)$/.exec(hostPart);
    if (portMatch) {
      if (portMatch[1] !== '') u.port = portMatch[1];
      hostPart = hostPart.slice(0, hostPart.length - portMatch[0].length);
    }
    u.hostname = hostPart.toLowerCase();
    if (u.hostname.startsWith('[') && u.hostname.endsWith(']')) u.hostname = u.hostname.slice(1, -1);
    else if (u.hostname !== '') u.hostname = domainToASCII(u.hostname) || u.hostname;
    const shownHost = u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname;
    u.host = shownHost + (u.port ? `:${u.port}` : '');
    if (lowerProto && SLASHED.has(lowerProto) && rest === '') rest = '/';
  }
  if (rest !== '') u.pathname = rest;
  else if (u.slashes && SLASHED.has(lowerProto)) u.pathname = '/';
  if (parseQueryString && typeof u.query === 'string') u.query = nodeModule('querystring').parse(u.query);
  else if (parseQueryString && u.query === null) u.query = { __proto__: null };
  if (u.pathname !== null || u.search !== null) u.path = (u.pathname || '') + (u.search || '');
  u.href = format(u);
  return u;
}

function format(obj, options) {
  if (typeof obj === 'string') obj = parse(obj);
  else if (obj instanceof URL) return formatWhatwg(obj, options);
  else if (obj === null || typeof obj !== 'object') {
    throw urlError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "urlObject" argument must be one of type object or string.');
  }
  let auth = obj.auth || '';
  if (auth) auth = `${encodeURIComponent(auth).replace(/%3A/i, ':')}@`;
  let protocol = obj.protocol || '';
  let pathname = obj.pathname || '';
  let hash = obj.hash || '';
  let host = '';
  let query = '';
  if (obj.host) host = auth + obj.host;
  else if (obj.hostname) {
    host = auth + (obj.hostname.includes(':') && !obj.hostname.startsWith('[') ? `[${obj.hostname}]` : obj.hostname);
    if (obj.port) host += `:${obj.port}`;
  }
  if (obj.query !== null && typeof obj.query === 'object') query = nodeModule('querystring').stringify(obj.query);
  let search = obj.search || (query && `?${query}`) || '';
  if (protocol && !protocol.endsWith(':')) protocol += ':';
  pathname = pathname.replace(/[?#]/g, c => encodeURIComponent(c));
  search = search.replace(/#/g, '%23');
  if (obj.slashes || SLASHED.has(protocol)) {
    if (obj.slashes || host) {
      if (pathname && pathname[0] !== '/') pathname = `/${pathname}`;
      host = `//${host}`;
    } else if (protocol.length >= 4 && protocol.startsWith('file')) {
      host = '//';
    }
  }
  if (hash && hash[0] !== '#') hash = `#${hash}`;
  if (search && search[0] !== '?') search = `?${search}`;
  return protocol + host + pathname + search + hash;
}

function formatWhatwg(url, options = {}) {
  const { auth = true, fragment = true, search = true } = options ?? {};
  let out = `${url.protocol}`;
  if (url.host !== '' || url.protocol === 'file:') {
    out += '//';
    if (auth && (url.username || url.password)) out += `${url.username}${url.password ? `:${url.password}` : ''}@`;
    out += url.host;
  }
  out += url.pathname;
  if (search) out += url.search;
  if (fragment) out += url.hash;
  return out;
}

function resolve(from, to) {
  try {
    const base = new URL(from, 'resolve://');
    const resolved = new URL(to, base);
    if (resolved.protocol === 'resolve:') {
      const { pathname, search, hash } = resolved;
      return pathname + search + hash;
    }
    return resolved.href;
  } catch {
    return to;
  }
}

const module = {
  URL: globalThis.URL,
  URLSearchParams: globalThis.URLSearchParams,
  Url,
  parse,
  format,
  resolve,
  fileURLToPath,
  pathToFileURL,
  urlToHttpOptions,
  domainToASCII,
};
