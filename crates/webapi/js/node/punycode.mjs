// node:punycode (deprecated in Node.js, still imported by packages that
// handle international domain names): RFC 3492's Bootstring with the
// Punycode parameters, and the IDNA helpers on whole domains and email
// addresses. An ES module of its own: it needs nothing from the prelude.

const BASE = 36;
const TMIN = 1;
const TMAX = 26;
const SKEW = 38;
const DAMP = 700;
const INITIAL_BIAS = 72;
const INITIAL_N = 128;
const MAX_INT = 0x7fffffff;
const SEPARATORS = /[\x2E\u3002\uFF0E\uFF61]/;

function fail(kind) {
  const messages = {
    'overflow': 'Overflow: input needs wider integers to process',
    'not-basic': 'Illegal input >= 0x80 (not a basic code point)',
    'invalid-input': 'Invalid input',
  };
  throw new RangeError(messages[kind]);
}

// The threshold of digit position `k` under `bias`.
function threshold(k, bias) {
  if (k <= bias) return TMIN;
  if (k >= bias + TMAX) return TMAX;
  return k - bias;
}

function adapt(delta, points, first) {
  delta = first ? Math.floor(delta / DAMP) : delta >> 1;
  delta += Math.floor(delta / points);
  let k = 0;
  while (delta > ((BASE - TMIN) * TMAX) >> 1) {
    delta = Math.floor(delta / (BASE - TMIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - TMIN + 1) * delta) / (delta + SKEW));
}

// The character of digit `d` (0–25: a–z, 26–35: 0–9).
function digitChar(d) {
  return String.fromCharCode(d < 26 ? 97 + d : 22 + d);
}

// The digit a character code stands for, or BASE when it stands for none.
function digitOf(code) {
  if (code >= 48 && code <= 57) return code - 22;
  if (code >= 65 && code <= 90) return code - 65;
  if (code >= 97 && code <= 122) return code - 97;
  return BASE;
}

function ucs2decode(string) {
  const points = [];
  for (let i = 0; i < string.length; i++) {
    const c = string.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < string.length) {
      const next = string.charCodeAt(i + 1);
      if ((next & 0xfc00) === 0xdc00) {
        points.push(((c & 0x3ff) << 10) + (next & 0x3ff) + 0x10000);
        i++;
        continue;
      }
    }
    points.push(c);
  }
  return points;
}

function ucs2encode(points) {
  let out = '';
  for (const p of points) out += String.fromCodePoint(p);
  return out;
}

function encode(input) {
  const points = ucs2decode(String(input));
  let out = '';
  for (const p of points) if (p < 0x80) out += String.fromCharCode(p);
  const basic = out.length;
  let handled = basic;
  if (basic) out += '-';
  let n = INITIAL_N;
  let delta = 0;
  let bias = INITIAL_BIAS;
  while (handled < points.length) {
    let next = MAX_INT;
    for (const p of points) if (p >= n && p < next) next = p;
    if (next - n > Math.floor((MAX_INT - delta) / (handled + 1))) fail('overflow');
    delta += (next - n) * (handled + 1);
    n = next;
    for (const p of points) {
      if (p < n && ++delta > MAX_INT) fail('overflow');
      if (p !== n) continue;
      let q = delta;
      for (let k = BASE; ; k += BASE) {
        const t = threshold(k, bias);
        if (q < t) break;
        out += digitChar(t + ((q - t) % (BASE - t)));
        q = Math.floor((q - t) / (BASE - t));
      }
      out += digitChar(q);
      bias = adapt(delta, handled + 1, handled === basic);
      delta = 0;
      handled++;
    }
    delta++;
    n++;
  }
  return out;
}

function decode(input) {
  input = String(input);
  const out = [];
  let end = input.lastIndexOf('-');
  if (end < 0) end = 0;
  for (let j = 0; j < end; j++) {
    const c = input.charCodeAt(j);
    if (c >= 0x80) fail('not-basic');
    out.push(c);
  }
  let i = 0;
  let n = INITIAL_N;
  let bias = INITIAL_BIAS;
  for (let at = end > 0 ? end + 1 : 0; at < input.length; ) {
    const old = i;
    for (let w = 1, k = BASE; ; k += BASE) {
      if (at >= input.length) fail('invalid-input');
      const d = digitOf(input.charCodeAt(at++));
      if (d >= BASE) fail('invalid-input');
      if (d > Math.floor((MAX_INT - i) / w)) fail('overflow');
      i += d * w;
      const t = threshold(k, bias);
      if (d < t) break;
      if (w > Math.floor(MAX_INT / (BASE - t))) fail('overflow');
      w *= BASE - t;
    }
    const length = out.length + 1;
    bias = adapt(i - old, length, old === 0);
    if (Math.floor(i / length) > MAX_INT - n) fail('overflow');
    n += Math.floor(i / length);
    i %= length;
    out.splice(i++, 0, n);
  }
  return String.fromCodePoint(...out);
}

// Applies `label` to each label of a domain, or of an email address's
// domain part (the local part is kept as it is).
function mapDomain(domain, label) {
  const at = domain.lastIndexOf('@');
  const local = at >= 0 ? domain.slice(0, at + 1) : '';
  const host = at >= 0 ? domain.slice(at + 1) : domain;
  return local + host.split(SEPARATORS).map(label).join('.');
}

function toASCII(domain) {
  return mapDomain(String(domain), l => (/[^\0-\x7F]/.test(l) ? 'xn--' + encode(l) : l));
}

function toUnicode(domain) {
  return mapDomain(String(domain), l => (/^xn--/i.test(l) ? decode(l.slice(4).toLowerCase()) : l));
}

const version = '2.1.0';
const ucs2 = { decode: ucs2decode, encode: ucs2encode };

export { version, ucs2, decode, encode, toASCII, toUnicode };
export default { version, ucs2, decode, encode, toASCII, toUnicode };
