// RequestInit (Fetch standard): the conversion of a Request constructor's
// `init` dictionary and the request options it sets (mode, credentials,
// cache, referrer, referrerPolicy, integrity, keepalive, priority). A group
// of its own: request.js loads it only for a Request built with an init,
// which a fetch event's Request never is. Uses no ops.
const REDIRECT_MODES = ['follow', 'error', 'manual'];
const REQUEST_MODES = ['navigate', 'same-origin', 'no-cors', 'cors'];
const REQUEST_CREDENTIALS = ['omit', 'same-origin', 'include'];
const REQUEST_CACHE = ['default', 'no-store', 'reload', 'no-cache', 'force-cache', 'only-if-cached'];
const REQUEST_PRIORITY = ['high', 'low', 'auto'];
const REFERRER_POLICIES = ['', 'no-referrer', 'no-referrer-when-downgrade', 'same-origin', 'origin',
  'strict-origin', 'origin-when-cross-origin', 'strict-origin-when-cross-origin', 'unsafe-url'];

// Web IDL's conversion of a value to one of an enumeration's strings.
function toEnum(value, values, what) {
  const s = String(value);
  if (!values.includes(s)) throw new TypeError(`'${s}' is not a valid value for ${what}`);
  return s;
}

// Converts a RequestInit dictionary as Web IDL does (each member read once,
// in lexicographic order) into `{ present, options, …members }`, or null
// for none.
function readRequestInit(init) {
  if (init === undefined || init === null) return null;
  if (typeof init !== 'object' && typeof init !== 'function') throw new TypeError('The RequestInit must be an object');
  const o = {
    present: false, options: false, body: undefined, cache: undefined, cf: undefined, credentials: undefined,
    duplex: undefined,
    headers: undefined, integrity: undefined, keepalive: undefined, method: undefined, mode: undefined,
    priority: undefined, redirect: undefined, referrer: undefined, referrerPolicy: undefined, signal: undefined,
    window: undefined,
  };
  let v;
  // `options`: a member that requestOptions() acts on was given.
  if ((v = init.body) !== undefined) { o.present = true; o.body = v; }
  if ((v = init.cache) !== undefined) { o.options = true; o.cache = toEnum(v, REQUEST_CACHE, 'cache'); }
  // Cloudflare's `cf` (request metadata and Cloudflare features): kept on
  // the Request as given.
  if ((v = init.cf) !== undefined && v !== null) {
    if (typeof v !== 'object') throw new TypeError("RequestInit's cf must be an object");
    o.present = true; o.cf = v;
  }
  if ((v = init.credentials) !== undefined) { o.options = true; o.credentials = toEnum(v, REQUEST_CREDENTIALS, 'credentials'); }
  if ((v = init.duplex) !== undefined) { o.present = true; o.duplex = toEnum(v, ['half'], 'duplex'); }
  if ((v = init.headers) !== undefined) { o.present = true; o.headers = v; }
  if ((v = init.integrity) !== undefined) { o.options = true; o.integrity = String(v); }
  if ((v = init.keepalive) !== undefined) { o.options = true; o.keepalive = Boolean(v); }
  if ((v = init.method) !== undefined) { o.present = true; o.method = toByteString(v, 'Method'); }
  if ((v = init.mode) !== undefined) { o.options = true; o.mode = toEnum(v, REQUEST_MODES, 'mode'); }
  if ((v = init.priority) !== undefined) { o.options = true; o.priority = toEnum(v, REQUEST_PRIORITY, 'priority'); }
  if ((v = init.redirect) !== undefined) { o.present = true; o.redirect = toEnum(v, REDIRECT_MODES, 'redirect'); }
  if ((v = init.referrer) !== undefined) { o.options = true; o.referrer = toUSVString(v); }
  if ((v = init.referrerPolicy) !== undefined) { o.options = true; o.referrerPolicy = toEnum(v, REFERRER_POLICIES, 'referrerPolicy'); }
  if ((v = init.signal) !== undefined) {
    if (v !== null && !(v instanceof loadGroup(EVENTS).AbortSignal)) throw new TypeError('signal is not an AbortSignal');
    o.present = true; o.signal = v;
  }
  if ((v = init.window) !== undefined) { o.present = true; o.window = v; }
  if (o.options) o.present = true;
  return o;
}

// The request's referrer from RequestInit's `referrer`: 'no-referrer',
// 'client' or a URL of the Worker's own origin (its base URL's, `base`).
function parseReferrer(text, base) {
  if (text === '') return 'no-referrer';
  const { URL } = loadGroup(URLS);
  let url;
  try {
    url = base === undefined ? new URL(text) : new URL(text, base);
  } catch {
    throw new TypeError(`Invalid referrer URL: '${text}'`);
  }
  if (url.href === 'about:client' || base === undefined || url.origin !== new URL(base).origin) return 'client';
  return url.href;
}

// The options of a request built from `from` (an input Request's, or the
// defaults) changed by the converted init `o` (Fetch standard's Request
// constructor, steps on mode, referrer, policy, credentials, cache, …);
// `base` is the Worker's API base URL, if it has one.
function requestOptions(from, o, method, base) {
  const opts = { ...from };
  if (opts.mode === 'navigate') opts.mode = 'same-origin';
  opts.reloadNavigation = false;
  opts.historyNavigation = false;
  opts.referrer = 'client';
  opts.referrerPolicy = '';
  if (o.referrer !== undefined) opts.referrer = parseReferrer(o.referrer, base);
  if (o.referrerPolicy !== undefined) opts.referrerPolicy = o.referrerPolicy;
  if (o.mode === 'navigate') throw new TypeError("A Request's mode cannot be 'navigate'");
  if (o.mode !== undefined) opts.mode = o.mode;
  if (o.credentials !== undefined) opts.credentials = o.credentials;
  if (o.cache !== undefined) opts.cache = o.cache;
  if (opts.cache === 'only-if-cached' && opts.mode !== 'same-origin') {
    throw new TypeError("The 'only-if-cached' cache mode needs the 'same-origin' mode");
  }
  if (o.integrity !== undefined) opts.integrity = o.integrity;
  if (o.keepalive !== undefined) opts.keepalive = o.keepalive;
  if (o.priority !== undefined) opts.priority = o.priority;
  if (opts.mode === 'no-cors' && method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
    throw new TypeError(`'${method}' is not a CORS-safelisted method, as the 'no-cors' mode needs`);
  }
  return Object.freeze(opts);
}
