// node:path and node:path/posix — POSIX paths, as Node.js's path.posix
// (Workers have no Windows paths: `path.win32` is not provided). `resolve`
// starts from process.cwd() ('/bundle' unless the Worker changed it).
// Uses no ops.

function pathError(name, value) {
  const e = new TypeError(`The "${name}" argument must be of type string. Received ${value === null ? 'null' : typeof value === 'object' ? 'an instance of Object' : `type ${typeof value} (${String(value)})`}`);
  e.code = 'ERR_INVALID_ARG_TYPE';
  return e;
}
function checkString(value, name) { if (typeof value !== 'string') throw pathError(name, value); }

// Resolves `.` and `..` segments of `path`; `allowAboveRoot` keeps leading
// `..` of a relative path.
function normalizeSegments(path, allowAboveRoot) {
  const out = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (allowAboveRoot) out.push('..');
    } else {
      out.push(seg);
    }
  }
  return out.join('/');
}

const posix = {
  sep: '/',
  delimiter: ':',
  resolve(...args) {
    let resolved = '';
    let absolute = false;
    for (let i = args.length - 1; i >= -1 && !absolute; i--) {
      const path = i >= 0 ? args[i] : nodeModule('process').cwd();
      checkString(path, `paths[${i}]`);
      if (path.length === 0) continue;
      resolved = `${path}/${resolved}`;
      absolute = path.charCodeAt(0) === 47;
    }
    resolved = normalizeSegments(resolved, !absolute);
    if (absolute) return `/${resolved}`;
    return resolved.length > 0 ? resolved : '.';
  },
  normalize(path) {
    checkString(path, 'path');
    if (path.length === 0) return '.';
    const absolute = path.charCodeAt(0) === 47;
    const trailing = path.charCodeAt(path.length - 1) === 47;
    let out = normalizeSegments(path, !absolute);
    if (out.length === 0) {
      if (absolute) return '/';
      return trailing ? './' : '.';
    }
    if (trailing) out += '/';
    return absolute ? `/${out}` : out;
  },
  isAbsolute(path) {
    checkString(path, 'path');
    return path.length > 0 && path.charCodeAt(0) === 47;
  },
  join(...args) {
    if (args.length === 0) return '.';
    let joined;
    for (let i = 0; i < args.length; i++) {
      checkString(args[i], 'path');
      if (args[i].length > 0) joined = joined === undefined ? args[i] : `${joined}/${args[i]}`;
    }
    return joined === undefined ? '.' : posix.normalize(joined);
  },
  relative(from, to) {
    checkString(from, 'from');
    checkString(to, 'to');
    if (from === to) return '';
    from = posix.resolve(from);
    to = posix.resolve(to);
    if (from === to) return '';
    const f = from === '/' ? [] : from.slice(1).split('/');
    const t = to === '/' ? [] : to.slice(1).split('/');
    let i = 0;
    while (i < f.length && i < t.length && f[i] === t[i]) i++;
    return [...Array(f.length - i).fill('..'), ...t.slice(i)].join('/');
  },
  toNamespacedPath(path) { return path; },
  dirname(path) {
    checkString(path, 'path');
    if (path.length === 0) return '.';
    const absolute = path.charCodeAt(0) === 47;
    let end = -1;
    let matchedSlash = true;
    for (let i = path.length - 1; i >= 1; --i) {
      if (path.charCodeAt(i) === 47) {
        if (!matchedSlash) { end = i; break; }
      } else {
        matchedSlash = false;
      }
    }
    if (end === -1) return absolute ? '/' : '.';
    if (absolute && end === 1) return '//';
    return path.slice(0, end);
  },
  basename(path, suffix) {
    if (suffix !== undefined) checkString(suffix, 'suffix');
    checkString(path, 'path');
    let end = path.length;
    while (end > 0 && path.charCodeAt(end - 1) === 47) end--;
    if (end === 0) return '';
    let start = path.lastIndexOf('/', end - 1) + 1;
    let base = path.slice(start, end);
    if (suffix !== undefined && suffix.length > 0 && base.endsWith(suffix)) {
      base = base.slice(0, base.length - suffix.length);
    }
    return base;
  },
  extname(path) {
    checkString(path, 'path');
    const base = posix.basename(path);
    const dot = base.lastIndexOf('.');
    if (dot <= 0) {
      // '.' alone or a leading dot (a dotfile) has no extension; '..' neither.
      return '';
    }
    if (base === '..') return '';
    return base.slice(dot);
  },
  format(obj) {
    if (obj === null || typeof obj !== 'object') {
      const e = new TypeError(`The "pathObject" argument must be of type object. Received ${obj === null ? 'null' : `type ${typeof obj} (${String(obj)})`}`);
      e.code = 'ERR_INVALID_ARG_TYPE';
      throw e;
    }
    const dir = obj.dir || obj.root;
    const base = obj.base || `${obj.name || ''}${obj.ext ? (obj.ext[0] === '.' ? '' : '.') + obj.ext : ''}`;
    if (!dir) return base;
    return dir === obj.root ? `${dir}${base}` : `${dir}/${base}`;
  },
  parse(path) {
    checkString(path, 'path');
    const out = { root: '', dir: '', base: '', ext: '', name: '' };
    if (path.length === 0) return out;
    const absolute = path.charCodeAt(0) === 47;
    if (absolute) out.root = '/';
    let end = path.length;
    while (end > 1 && path.charCodeAt(end - 1) === 47) end--;
    const trimmed = path.slice(0, end);
    if (absolute && trimmed === '/') { out.dir = '/'; return out; }
    const slash = trimmed.lastIndexOf('/');
    out.base = trimmed.slice(slash + 1);
    const dot = out.base.lastIndexOf('.');
    if (dot <= 0 || out.base === '..') {
      out.name = out.base;
    } else {
      out.name = out.base.slice(0, dot);
      out.ext = out.base.slice(dot);
    }
    if (slash > 0) out.dir = trimmed.slice(0, slash);
    else if (absolute) out.dir = '/';
    return out;
  },
  matchesGlob(path, pattern) {
    checkString(path, 'path');
    checkString(pattern, 'pattern');
    let re = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i];
      if (c === '*') {
        if (pattern[i + 1] === '*') { re += '.*'; i++; if (pattern[i + 1] === '/') i++; } else re += '[^/]*';
      } else if (c === '?') re += '[^/]';
      else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    return new RegExp(`^${re}$`).test(path);
  },
};
posix.posix = posix;

const module = posix;
