// node:querystring — parse/decode, stringify/encode, escape, unescape, as
// Node.js documents them: `+` reads as a space, a repeated key gives an
// array, `maxKeys` (default 1000) bounds the keys read, malformed
// percent-escapes are kept as they are (bytes that are not UTF-8 read as
// U+FFFD), and the result has no prototype.
// Uses no ops.

// The bytes of `s` with its valid %XX escapes decoded (the rest kept as
// UTF-8), as Node.js's unescapeBuffer reads them.
function unescapeBuffer(s) {
  s = String(s);
  const { Buffer } = nodeModule('buffer');
  const parts = [];
  let plain = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      if (plain) { parts.push(Buffer.from(plain)); plain = ''; }
      parts.push(Buffer.from([parseInt(s.slice(i + 1, i + 3), 16)]));
      i += 2;
    } else {
      plain += s[i];
    }
  }
  if (plain) parts.push(Buffer.from(plain));
  return Buffer.concat(parts);
}

function unescape(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return unescapeBuffer(s).toString();
  }
}

function escape(s) {
  if (typeof s !== 'string') {
    if (typeof s === 'object') s = String(s);
    else s += '';
  }
  try {
    return encodeURIComponent(s);
  } catch {
    const e = new URIError('URI malformed');
    e.code = 'ERR_INVALID_URI';
    throw e;
  }
}

function parse(qs, sep = '&', eq = '=', options = {}) {
  const obj = { __proto__: null };
  if (typeof qs !== 'string' || qs.length === 0) return obj;
  sep = sep || '&';
  eq = eq || '=';
  const maxKeys = typeof options?.maxKeys === 'number' ? options.maxKeys : 1000;
  const decode = typeof options?.decodeURIComponent === 'function' ? options.decodeURIComponent : unescape;
  let parts = qs.split(sep);
  if (maxKeys > 0) parts = parts.slice(0, maxKeys);
  for (const part of parts) {
    if (part.length === 0 && parts.length > 1) continue;
    const at = part.indexOf(eq);
    const rawKey = at >= 0 ? part.slice(0, at) : part;
    const rawValue = at >= 0 ? part.slice(at + eq.length) : '';
    const key = decodeWith(decode, rawKey.replace(/\+/g, ' '));
    const value = decodeWith(decode, rawValue.replace(/\+/g, ' '));
    const existing = obj[key];
    if (existing === undefined) obj[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else obj[key] = [existing, value];
  }
  return obj;
}

function decodeWith(decode, s) {
  try { return decode(s); } catch { return unescape(s); }
}

function primitive(v) {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return '';
}

function stringify(obj, sep = '&', eq = '=', options = {}) {
  sep = sep || '&';
  eq = eq || '=';
  const encode = typeof options?.encodeURIComponent === 'function' ? options.encodeURIComponent : escape;
  if (obj === null || typeof obj !== 'object') return '';
  const out = [];
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    const k = encode(primitive(key)) + eq;
    if (Array.isArray(v)) {
      for (const item of v) out.push(k + encode(primitive(item)));
    } else {
      out.push(k + encode(primitive(v)));
    }
  }
  return out.join(sep);
}

const module = { parse, decode: parse, stringify, encode: stringify, escape, unescape, unescapeBuffer };
