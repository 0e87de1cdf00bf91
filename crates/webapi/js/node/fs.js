// node:fs and node:fs/promises over a virtual file system held in memory,
// as Cloudflare's runtime has it:
//
//   /tmp   writable, and private to each event: a request (or any event)
//          starts with an empty /tmp and never sees another's; its files
//          are dropped once the event is over (answered, no `waitUntil`
//          work left). Code at the top level of a Worker has a /tmp of its
//          own. Files count against the isolate's memory limit.
//   /dev   `null`, `zero`, `random` and `full`, the character devices.
//   /bundle  the Worker's files, read-only, by their module names
//          (`/bundle/src/index.js`, `/bundle/config.json`): a Text or JSON
//          module's text and a Data or CompiledWasm module's bytes as their
//          files have them; for JavaScript, the module as motu runs it (as
//          the bundle a Worker is uploaded as holds its JavaScript). Listed
//          on first use (`bundle_files` op), each file read when first
//          read (`bundle_file`).
//   /      and the folders above: read-only.
//
// Not there (ENOENT): any other path. Directories, files, symbolic and hard links,
// modes, times, file descriptors (`open`/`read`/`write`…), `Stats` and
// `Dirent`, `createReadStream`/`createWriteStream`; the synchronous,
// callback and promise forms. Errors are Node's: `code`, `errno`,
// `syscall`, `path` and Node's message. Not provided (they throw
// ERR_METHOD_NOT_IMPLEMENTED, as on Workers): `watch`, `watchFile`,
// `unwatchFile`, `cp`, `opendir`, `statfs`, `openAsBlob`, globs.

const { Buffer } = nodeModule('buffer');
const { nodeError, invalidArgType } = nodeGroup('buffer');
const { Readable, Writable } = nodeModule('stream');

const FS_CONSTANTS = Object.freeze({
  UV_FS_SYMLINK_DIR: 1, UV_FS_SYMLINK_JUNCTION: 2, O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2,
  UV_DIRENT_UNKNOWN: 0, UV_DIRENT_FILE: 1, UV_DIRENT_DIR: 2, UV_DIRENT_LINK: 3, UV_DIRENT_FIFO: 4,
  UV_DIRENT_SOCKET: 5, UV_DIRENT_CHAR: 6, UV_DIRENT_BLOCK: 7, S_IFMT: 61440, S_IFREG: 32768,
  S_IFDIR: 16384, S_IFCHR: 8192, S_IFBLK: 24576, S_IFIFO: 4096, S_IFLNK: 40960, S_IFSOCK: 49152,
  O_CREAT: 64, O_EXCL: 128, UV_FS_O_FILEMAP: 0, O_NOCTTY: 256, O_TRUNC: 512, O_APPEND: 1024,
  O_DIRECTORY: 65536, O_NOATIME: 262144, O_NOFOLLOW: 131072, O_SYNC: 1052672, O_DSYNC: 4096,
  O_DIRECT: 16384, O_NONBLOCK: 2048, S_IRWXU: 448, S_IRUSR: 256, S_IWUSR: 128, S_IXUSR: 64,
  S_IRWXG: 56, S_IRGRP: 32, S_IWGRP: 16, S_IXGRP: 8, S_IRWXO: 7, S_IROTH: 4, S_IWOTH: 2, S_IXOTH: 1,
  F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1, UV_FS_COPYFILE_EXCL: 1, COPYFILE_EXCL: 1,
  UV_FS_COPYFILE_FICLONE: 2, COPYFILE_FICLONE: 2, UV_FS_COPYFILE_FICLONE_FORCE: 4, COPYFILE_FICLONE_FORCE: 4,
});
const C = FS_CONSTANTS;

// --- errors ----------------------------------------------------------------

const ERRNO = {
  EPERM: [-1, 'operation not permitted'], ENOENT: [-2, 'no such file or directory'],
  EBADF: [-9, 'bad file descriptor'], EBUSY: [-16, 'resource busy or locked'], EACCES: [-13, 'permission denied'], EEXIST: [-17, 'file already exists'],
  EXDEV: [-18, 'cross-device link not permitted'], ENOTDIR: [-20, 'not a directory'],
  EISDIR: [-21, 'illegal operation on a directory'], EINVAL: [-22, 'invalid argument'],
  ENOSPC: [-28, 'no space left on device'], EROFS: [-30, 'read-only file system'],
  ENOTEMPTY: [-39, 'directory not empty'], ELOOP: [-40, 'too many symbolic links encountered'],
};

function fsError(code, syscall, path, dest) {
  const [errno, text] = ERRNO[code];
  let message = `${code}: ${text}, ${syscall}`;
  if (path !== undefined) message += ` '${path}'`;
  if (dest !== undefined) message += ` -> '${dest}'`;
  const e = new Error(message);
  e.errno = errno;
  e.code = code;
  e.syscall = syscall;
  if (path !== undefined) e.path = path;
  if (dest !== undefined) e.dest = dest;
  return e;
}

function notImplemented(name) {
  return nodeError(Error, 'ERR_METHOD_NOT_IMPLEMENTED', `The ${name} method is not implemented`);
}

// --- the tree ----------------------------------------------------------------

let nextIno = 1;
function now() { return Date.now(); }

function makeNode(type, mode, extra = {}) {
  const t = now();
  return { type, mode, ino: nextIno++, nlink: 1, atimeMs: t, mtimeMs: t, ctimeMs: t, birthtimeMs: t, ...extra };
}
function makeDir(mode = 0o755, writable = true) {
  return makeNode('dir', mode, { children: new Map(), writable });
}
function makeFile(mode = 0o644) {
  return makeNode('file', mode, { data: new Uint8Array(0), size: 0 });
}

// The devices and the read-only folders above them, shared by all events.
const devDir = makeDir(0o755, false);
for (const name of ['null', 'zero', 'random', 'full']) devDir.children.set(name, makeNode('dev', 0o666, { dev: name }));

// /tmp by event: `op('current_event')`, or 'top' for the top level.
const tmps = new Map();
function currentTmp() {
  const event = op('current_event');
  const key = event === null ? 'top' : event;
  let tmp = tmps.get(key);
  if (tmp === undefined) {
    // Drop the /tmp of events that are over.
    for (const id of tmps.keys()) {
      if (id !== 'top' && id !== key && !op('event_live', id)) tmps.delete(id);
    }
    tmp = makeDir(0o777);
    tmps.set(key, tmp);
  }
  return tmp;
}

// /bundle, made on first use.
let bundleDir = null;
function bundle() {
  if (bundleDir !== null) return bundleDir;
  bundleDir = makeDir(0o555, false);
  for (const name of op('bundle_files')) {
    const parts = name.split('/');
    let dir = bundleDir;
    for (const part of parts.slice(0, -1)) {
      let next = dir.children.get(part);
      if (next === undefined) {
        next = makeDir(0o555, false);
        dir.children.set(part, next);
      }
      dir = next;
    }
    const file = makeFile(0o444);
    let data;
    const load = () => {
      if (data === undefined) data = op('bundle_file', name) ?? new Uint8Array(0);
      return data;
    };
    Object.defineProperty(file, 'data', { get: load, set(v) { data = v; } });
    Object.defineProperty(file, 'size', { get: () => load().length, set() {} });
    dir.children.set(parts[parts.length - 1], file);
  }
  return bundleDir;
}

function rootDir() {
  const root = makeDir(0o755, false);
  root.children.set('bundle', bundle());
  root.children.set('tmp', currentTmp());
  root.children.set('dev', devDir);
  return root;
}
// The root is made anew for each call (cheap: two entries), so /tmp is the
// running event's.
let rootCache = null;
let rootTmp = null;
function root() {
  const tmp = currentTmp();
  if (rootCache === null || rootTmp !== tmp) {
    rootCache = rootDir();
    rootTmp = tmp;
  }
  return rootCache;
}

// --- paths -----------------------------------------------------------------

function toPathString(p, name = 'path') {
  if (typeof p === 'string') return p;
  if (p instanceof URL) {
    if (p.protocol !== 'file:') throw nodeError(TypeError, 'ERR_INVALID_URL_SCHEME', 'The URL must be of scheme file');
    return decodeURIComponent(p.pathname);
  }
  if (p instanceof Uint8Array) return Buffer.from(p).toString();
  throw invalidArgType(name, 'of type string or an instance of Buffer or URL', p);
}

function absolute(p) {
  if (p.includes('\u0000')) {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'path' must be a string, Uint8Array, or URL without null bytes. Received ${JSON.stringify(p)}`);
  }
  return p.startsWith('/') ? p : `${nodeModule('process').cwd()}/${p}`;
}

function parts(abs) {
  const out = [];
  for (const part of abs.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out;
}

// Walks to `abs`: `{ node, parent, name }` (node undefined if missing);
// symbolic links in the folders on the way are followed, the last one only
// when `follow`.
function lookup(abs, syscall, shown, follow = true, depth = 0) {
  if (depth > 40) throw fsError('ELOOP', syscall, shown);
  const list = parts(abs);
  let node = root();
  let parent = null;
  let name = '';
  for (let i = 0; i < list.length; i++) {
    if (node.type !== 'dir') throw fsError('ENOTDIR', syscall, shown);
    parent = node;
    name = list[i];
    node = node.children.get(name);
    if (node === undefined) {
      if (i < list.length - 1) throw fsError('ENOENT', syscall, shown);
      return { node: undefined, parent, name, path: `/${list.join('/')}` };
    }
    if (node.type === 'symlink' && (i < list.length - 1 || follow)) {
      const base = `/${list.slice(0, i).join('/')}`;
      const target = node.target.startsWith('/') ? node.target : `${base}/${node.target}`;
      const rest = list.slice(i + 1).join('/');
      return lookup(rest ? `${target}/${rest}` : target, syscall, shown, follow, depth + 1);
    }
  }
  return { node, parent, name, path: `/${list.join('/')}` };
}

function existing(p, syscall, follow = true) {
  const shown = toPathString(p);
  const found = lookup(absolute(shown), syscall, shown, follow);
  if (found.node === undefined) throw fsError('ENOENT', syscall, shown);
  return found;
}

function writableParent(found, syscall, shown) {
  if (!found.parent || !found.parent.writable) throw fsError(found.parent ? 'EROFS' : 'EPERM', syscall, shown);
}

function touchNode(node) {
  node.mtimeMs = node.ctimeMs = now();
}

// --- Stats and Dirent ----------------------------------------------------------

const TYPE_BITS = { file: C.S_IFREG, dir: C.S_IFDIR, symlink: C.S_IFLNK, dev: C.S_IFCHR };

class Stats {
  constructor(node) {
    this.dev = node.type === 'dev' ? 5 : 2049;
    this.mode = TYPE_BITS[node.type] | node.mode;
    this.nlink = node.type === 'dir' ? 2 + [...node.children.values()].filter(n => n.type === 'dir').length : node.nlink;
    this.uid = 0;
    this.gid = 0;
    this.rdev = 0;
    this.blksize = 4096;
    this.ino = node.ino;
    this.size = node.type === 'file' ? node.size : node.type === 'symlink' ? node.target.length : node.type === 'dir' ? 4096 : 0;
    this.blocks = Math.ceil(this.size / 512);
    this.atimeMs = node.atimeMs;
    this.mtimeMs = node.mtimeMs;
    this.ctimeMs = node.ctimeMs;
    this.birthtimeMs = node.birthtimeMs;
    this.atime = new Date(node.atimeMs);
    this.mtime = new Date(node.mtimeMs);
    this.ctime = new Date(node.ctimeMs);
    this.birthtime = new Date(node.birthtimeMs);
  }
  isFile() { return (this.mode & C.S_IFMT) === C.S_IFREG; }
  isDirectory() { return (this.mode & C.S_IFMT) === C.S_IFDIR; }
  isSymbolicLink() { return (this.mode & C.S_IFMT) === C.S_IFLNK; }
  isCharacterDevice() { return (this.mode & C.S_IFMT) === C.S_IFCHR; }
  isBlockDevice() { return false; }
  isFIFO() { return false; }
  isSocket() { return false; }
}

function bigintStats(node) {
  const s = new Stats(node);
  for (const k of ['dev', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'blksize', 'ino', 'size', 'blocks']) s[k] = BigInt(s[k]);
  for (const k of ['atimeMs', 'mtimeMs', 'ctimeMs', 'birthtimeMs']) {
    s[k] = BigInt(Math.floor(s[k]));
    s[k.replace('Ms', 'Ns')] = s[k] * 1000000n;
  }
  return s;
}

class Dirent {
  constructor(name, node, parentPath) {
    this.name = name;
    this.parentPath = parentPath;
    this.path = parentPath;
    this[kType] = node.type;
  }
  isFile() { return this[kType] === 'file'; }
  isDirectory() { return this[kType] === 'dir'; }
  isSymbolicLink() { return this[kType] === 'symlink'; }
  isCharacterDevice() { return this[kType] === 'dev'; }
  isBlockDevice() { return false; }
  isFIFO() { return false; }
  isSocket() { return false; }
}
const kType = Symbol('type');

// --- options -----------------------------------------------------------------

function encodingOf(options, fallback) {
  if (typeof options === 'string') return options;
  if (options && typeof options === 'object' && options.encoding !== undefined) return options.encoding;
  return fallback;
}

function toBytes(data, encoding = 'utf8') {
  if (typeof data === 'string') return Buffer.from(data, encoding || 'utf8');
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw invalidArgType('data', 'of type string or an instance of Buffer, TypedArray, or DataView', data);
}

const FLAGS = {
  r: C.O_RDONLY, rs: C.O_RDONLY | C.O_SYNC, sr: C.O_RDONLY | C.O_SYNC, 'r+': C.O_RDWR, 'rs+': C.O_RDWR | C.O_SYNC,
  'sr+': C.O_RDWR | C.O_SYNC, w: C.O_TRUNC | C.O_CREAT | C.O_WRONLY, wx: C.O_TRUNC | C.O_CREAT | C.O_WRONLY | C.O_EXCL,
  xw: C.O_TRUNC | C.O_CREAT | C.O_WRONLY | C.O_EXCL, 'w+': C.O_TRUNC | C.O_CREAT | C.O_RDWR,
  'wx+': C.O_TRUNC | C.O_CREAT | C.O_RDWR | C.O_EXCL, 'xw+': C.O_TRUNC | C.O_CREAT | C.O_RDWR | C.O_EXCL,
  a: C.O_APPEND | C.O_CREAT | C.O_WRONLY, ax: C.O_APPEND | C.O_CREAT | C.O_WRONLY | C.O_EXCL,
  xa: C.O_APPEND | C.O_CREAT | C.O_WRONLY | C.O_EXCL, as: C.O_APPEND | C.O_CREAT | C.O_WRONLY | C.O_SYNC,
  sa: C.O_APPEND | C.O_CREAT | C.O_WRONLY | C.O_SYNC, 'a+': C.O_APPEND | C.O_CREAT | C.O_RDWR,
  'ax+': C.O_APPEND | C.O_CREAT | C.O_RDWR | C.O_EXCL, 'xa+': C.O_APPEND | C.O_CREAT | C.O_RDWR | C.O_EXCL,
  'as+': C.O_APPEND | C.O_CREAT | C.O_RDWR | C.O_SYNC, 'sa+': C.O_APPEND | C.O_CREAT | C.O_RDWR | C.O_SYNC,
};

function flagsOf(flags, fallback = 'r') {
  if (flags === undefined || flags === null) flags = fallback;
  if (typeof flags === 'number') return flags;
  const n = FLAGS[flags];
  if (n === undefined) {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'flags' is invalid. Received '${flags}'`);
  }
  return n;
}

function modeOf(mode, fallback) {
  if (mode === undefined || mode === null) return fallback;
  if (typeof mode === 'string') return parseInt(mode, 8);
  return mode;
}

// --- file descriptors ----------------------------------------------------------

const fds = new Map();
let nextFd = 3;

function fdEntry(fd, syscall) {
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) throw invalidArgType('fd', 'of type number', fd);
  const entry = fds.get(fd);
  if (entry === undefined) throw fsError('EBADF', syscall);
  return entry;
}

function openNode(p, flags, mode, syscall = 'open') {
  const shown = toPathString(p);
  const f = flagsOf(flags);
  const found = lookup(absolute(shown), syscall, shown, true);
  let node = found.node;
  if (node === undefined) {
    if (!(f & C.O_CREAT)) throw fsError('ENOENT', syscall, shown);
    writableParent(found, syscall, shown);
    node = makeFile(modeOf(mode, 0o666) & 0o777 & ~0o022);
    found.parent.children.set(found.name, node);
    touchNode(found.parent);
  } else {
    if ((f & C.O_CREAT) && (f & C.O_EXCL)) throw fsError('EEXIST', syscall, shown);
    const writing = (f & 3) !== C.O_RDONLY;
    if (node.type === 'dir' && (writing || (f & C.O_CREAT))) throw fsError('EISDIR', syscall, shown);
    if (writing && node.type === 'file' && !found.parent.writable) throw fsError('EROFS', syscall, shown);
    if ((f & C.O_TRUNC) && node.type === 'file' && writing) {
      node.data = new Uint8Array(0);
      node.size = 0;
      touchNode(node);
    }
  }
  return { node, flags: f, position: 0, path: shown };
}

function openSync(p, flags = 'r', mode = 0o666) {
  const entry = openNode(p, flags, mode);
  const fd = nextFd++;
  fds.set(fd, entry);
  return fd;
}

function closeSync(fd) {
  fdEntry(fd, 'close');
  fds.delete(fd);
}

// Reads up to `length` bytes of `node` at `position` into `target`.
function readNode(node, target, offset, length, position, syscall) {
  if (node.type === 'dir') throw fsError('EISDIR', syscall);
  if (node.type === 'dev') {
    if (node.dev === 'null') return 0;
    const view = target.subarray(offset, offset + length);
    if (node.dev === 'random') crypto.getRandomValues(view);
    else view.fill(0);
    return view.length;
  }
  const n = Math.max(0, Math.min(length, node.size - position));
  target.set(node.data.subarray(position, position + n), offset);
  node.atimeMs = now();
  return n;
}

function writeNode(node, bytes, position, syscall) {
  if (node.type === 'dir') throw fsError('EISDIR', syscall);
  if (node.type === 'dev') {
    if (node.dev === 'full') throw fsError('ENOSPC', syscall);
    return bytes.length;
  }
  const end = position + bytes.length;
  if (end > node.data.length) {
    const grown = new Uint8Array(Math.max(end, node.data.length * 2, 64));
    grown.set(node.data.subarray(0, node.size));
    node.data = grown;
  }
  node.data.set(bytes, position);
  if (end > node.size) node.size = end;
  touchNode(node);
  return bytes.length;
}

function readSync(fd, buffer, offsetOrOptions, length, position) {
  const entry = fdEntry(fd, 'read');
  let offset = offsetOrOptions;
  if (offsetOrOptions !== null && typeof offsetOrOptions === 'object') {
    ({ offset = 0, length = buffer.byteLength - offset, position = null } = offsetOrOptions);
  }
  offset = offset ?? 0;
  length = length ?? buffer.byteLength - offset;
  if ((entry.flags & 3) === C.O_WRONLY) throw fsError('EBADF', 'read');
  const view = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const at = position === null || position === undefined || position < 0 ? entry.position : Number(position);
  const n = readNode(entry.node, view, offset, length, at, 'read');
  if (position === null || position === undefined || position < 0) entry.position += n;
  return n;
}

function writeSync(fd, data, offsetOrPosition, lengthOrEncoding, position) {
  const entry = fdEntry(fd, 'write');
  if ((entry.flags & 3) === C.O_RDONLY) throw fsError('EBADF', 'write');
  let bytes;
  let at;
  if (typeof data === 'string') {
    bytes = Buffer.from(data, typeof lengthOrEncoding === 'string' ? lengthOrEncoding : 'utf8');
    at = offsetOrPosition;
  } else {
    const all = toBytes(data);
    const offset = offsetOrPosition ?? 0;
    const length = typeof lengthOrEncoding === 'number' ? lengthOrEncoding : all.length - offset;
    bytes = all.subarray(offset, offset + length);
    at = position;
  }
  const append = (entry.flags & C.O_APPEND) !== 0 && entry.node.type === 'file';
  const where = append ? entry.node.size : at === null || at === undefined ? entry.position : Number(at);
  const n = writeNode(entry.node, bytes, where, 'write');
  if (append || at === null || at === undefined) entry.position = where + n;
  return n;
}

// --- whole files -----------------------------------------------------------------

function readFileSync(p, options) {
  const encoding = encodingOf(options, null);
  const flag = options && typeof options === 'object' ? options.flag : undefined;
  const entry = typeof p === 'number' ? fdEntry(p, 'read') : openNode(p, flag ?? 'r', undefined);
  const node = entry.node;
  if (node.type === 'dir') throw fsError('EISDIR', 'read');
  let bytes;
  if (node.type === 'file') {
    const from = typeof p === 'number' ? entry.position : 0;
    bytes = Buffer.from(node.data.slice(from, node.size));
    if (typeof p === 'number') entry.position = node.size;
    node.atimeMs = now();
  } else {
    bytes = Buffer.alloc(0);
  }
  return encoding ? bytes.toString(encoding) : bytes;
}

function writeFileSync(p, data, options) {
  const encoding = encodingOf(options, 'utf8');
  const o = options && typeof options === 'object' ? options : {};
  const bytes = toBytes(data, encoding);
  if (typeof p === 'number') {
    writeSync(p, bytes);
    return;
  }
  const entry = openNode(p, o.flag ?? 'w', o.mode);
  const append = (entry.flags & C.O_APPEND) !== 0;
  writeNode(entry.node, bytes, append && entry.node.type === 'file' ? entry.node.size : 0, 'write');
}

function appendFileSync(p, data, options) {
  const o = typeof options === 'string' ? { encoding: options } : { ...(options || {}) };
  o.flag = o.flag ?? 'a';
  writeFileSync(p, data, o);
}

function truncateSync(p, len = 0) {
  const entry = typeof p === 'number' ? fdEntry(p, 'ftruncate') : openNode(p, 'r+', undefined);
  const node = entry.node;
  if (node.type !== 'file') throw fsError('EISDIR', 'open', toPathString(p));
  if (len < node.size) {
    node.data = node.data.slice(0, len);
    node.size = len;
  } else {
    writeNode(node, new Uint8Array(len - node.size), node.size, 'ftruncate');
  }
  touchNode(node);
}

// --- names -----------------------------------------------------------------

function existsSync(p) {
  try {
    return lookup(absolute(toPathString(p)), 'access', '').node !== undefined;
  } catch {
    return false;
  }
}

function accessSync(p, mode = C.F_OK) {
  const found = existing(p, 'access');
  if ((mode & C.W_OK) && !(found.parent ? found.parent.writable : false) && found.node.type !== 'dev') {
    throw fsError('EROFS', 'access', toPathString(p));
  }
}

function statWith(p, options, follow, syscall) {
  let found;
  try {
    found = existing(p, syscall, follow);
  } catch (e) {
    if (e.code === 'ENOENT' && options && options.throwIfNoEntry === false) return undefined;
    throw e;
  }
  return options && options.bigint ? bigintStats(found.node) : new Stats(found.node);
}

const statSync = (p, options) => statWith(p, options, true, 'stat');
const lstatSync = (p, options) => statWith(p, options, false, 'lstat');
function fstatSync(fd, options) {
  const { node } = fdEntry(fd, 'fstat');
  return options && options.bigint ? bigintStats(node) : new Stats(node);
}

function mkdirSync(p, options) {
  const o = typeof options === 'number' || typeof options === 'string' ? { mode: options } : options || {};
  const shown = toPathString(p);
  const abs = absolute(shown);
  const mode = modeOf(o.mode, 0o777) & 0o777 & ~0o022;
  if (!o.recursive) {
    const found = lookup(abs, 'mkdir', shown);
    if (found.node !== undefined) throw fsError('EEXIST', 'mkdir', shown);
    writableParent(found, 'mkdir', shown);
    found.parent.children.set(found.name, makeDir(mode));
    touchNode(found.parent);
    return undefined;
  }
  const list = parts(abs);
  let first;
  for (let i = 1; i <= list.length; i++) {
    const sub = `/${list.slice(0, i).join('/')}`;
    const found = lookup(sub, 'mkdir', shown);
    if (found.node !== undefined) {
      if (found.node.type !== 'dir') throw fsError(i === list.length ? 'EEXIST' : 'ENOTDIR', 'mkdir', shown);
      continue;
    }
    writableParent(found, 'mkdir', shown);
    found.parent.children.set(found.name, makeDir(mode));
    touchNode(found.parent);
    first ??= sub;
  }
  return first;
}

function mkdtempSync(prefix, options) {
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  for (;;) {
    const random = Array.from(crypto.getRandomValues(new Uint8Array(6)), b => chars[b % chars.length]).join('');
    const p = `${toPathString(prefix, 'prefix')}${random}`;
    if (!existsSync(p)) {
      try {
        mkdirSync(p, 0o700);
      } catch (e) {
        e.syscall = 'mkdtemp';
        e.message = e.message.replace(', mkdir ', ', mkdtemp ').replace(/'[^']*'$/, `'${toPathString(prefix)}XXXXXX'`);
        e.path = `${toPathString(prefix)}XXXXXX`;
        throw e;
      }
      return encodingOf(options, 'utf8') === 'buffer' ? Buffer.from(p) : p;
    }
  }
}

function readdirSync(p, options) {
  const o = typeof options === 'string' ? { encoding: options } : options || {};
  const shown = toPathString(p);
  const found = existing(p, 'scandir');
  if (found.node.type !== 'dir') throw fsError('ENOTDIR', 'scandir', shown);
  const out = [];
  const walk = (dir, base, prefix) => {
    for (const name of [...dir.children.keys()].sort()) {
      const node = dir.children.get(name);
      const shownName = prefix ? `${prefix}/${name}` : name;
      if (o.withFileTypes) out.push(new Dirent(name, node, base));
      else out.push(o.encoding === 'buffer' ? Buffer.from(shownName) : shownName);
      if (o.recursive && node.type === 'dir') walk(node, `${base}/${name}`, shownName);
    }
  };
  walk(found.node, shown, '');
  return out;
}

function removeEntry(found, syscall, shown) {
  writableParent(found, syscall, shown);
  found.parent.children.delete(found.name);
  found.node.nlink -= 1;
  touchNode(found.parent);
}

function unlinkSync(p) {
  const shown = toPathString(p);
  const found = existing(p, 'unlink', false);
  if (found.node.type === 'dir') throw fsError('EISDIR', 'unlink', shown);
  removeEntry(found, 'unlink', shown);
}

function rmdirSync(p, options) {
  const shown = toPathString(p);
  const found = existing(p, 'rmdir', false);
  if (found.node.type !== 'dir') throw fsError('ENOTDIR', 'rmdir', shown);
  if (found.node.children.size > 0 && !(options && options.recursive)) throw fsError('ENOTEMPTY', 'rmdir', shown);
  if (found.parent === null || found.node === rootTmp || found.node === devDir) throw fsError('EBUSY', 'rmdir', shown);
  removeEntry(found, 'rmdir', shown);
}

function rmSync(p, options) {
  const o = options || {};
  const shown = toPathString(p);
  let found;
  try {
    found = existing(p, 'lstat', false);
  } catch (e) {
    if (e.code === 'ENOENT' && o.force) return;
    throw e;
  }
  if (found.node.type === 'dir') {
    if (!o.recursive) {
      const e = nodeError(Error, 'ERR_FS_EISDIR', `Path is a directory: rm returned EISDIR (is a directory) ${shown}`);
      e.name = 'SystemError';
      throw e;
    }
    if (found.parent === null || found.node === rootTmp || found.node === devDir) throw fsError('EPERM', 'rm', shown);
  }
  removeEntry(found, 'rm', shown);
}

function renameSync(from, to) {
  const a = toPathString(from, 'oldPath');
  const b = toPathString(to, 'newPath');
  const src = lookup(absolute(a), 'rename', a, false);
  if (src.node === undefined) throw fsError('ENOENT', 'rename', a, b);
  const dst = lookup(absolute(b), 'rename', b, false);
  if (!src.parent.writable || !dst.parent || !dst.parent.writable) throw fsError('EROFS', 'rename', a, b);
  if (dst.node !== undefined) {
    if (dst.node.type === 'dir' && src.node.type !== 'dir') throw fsError('EISDIR', 'rename', a, b);
    if (dst.node.type !== 'dir' && src.node.type === 'dir') throw fsError('ENOTDIR', 'rename', a, b);
    if (dst.node.type === 'dir' && dst.node.children.size > 0) throw fsError('ENOTEMPTY', 'rename', a, b);
  }
  if (src.node.type === 'dir' && `${dst.path}/`.startsWith(`${src.path}/`) && dst.path !== src.path) throw fsError('EINVAL', 'rename', a, b);
  src.parent.children.delete(src.name);
  dst.parent.children.set(dst.name, src.node);
  touchNode(src.parent);
  touchNode(dst.parent);
}

function copyFileSync(from, to, mode = 0) {
  const a = toPathString(from, 'src');
  const b = toPathString(to, 'dest');
  const src = lookup(absolute(a), 'copyfile', a);
  if (src.node === undefined) throw fsError('ENOENT', 'copyfile', a, b);
  if (src.node.type === 'dir') throw fsError('EISDIR', 'copyfile', a, b);
  const dst = lookup(absolute(b), 'copyfile', b);
  if (dst.node !== undefined && (mode & C.COPYFILE_EXCL)) throw fsError('EEXIST', 'copyfile', a, b);
  if (dst.node !== undefined && dst.node.type === 'dir') throw fsError('EISDIR', 'copyfile', a, b);
  if (!dst.parent || !dst.parent.writable) throw fsError('EROFS', 'copyfile', a, b);
  const copy = makeFile(src.node.mode);
  if (src.node.type === 'file') {
    copy.data = src.node.data.slice(0, src.node.size);
    copy.size = src.node.size;
  }
  dst.parent.children.set(dst.name, copy);
  touchNode(dst.parent);
}

function symlinkSync(target, p) {
  const shown = toPathString(p);
  const found = lookup(absolute(shown), 'symlink', shown, false);
  const t = toPathString(target, 'target');
  if (found.node !== undefined) throw fsError('EEXIST', 'symlink', t, shown);
  if (!found.parent || !found.parent.writable) throw fsError('EROFS', 'symlink', t, shown);
  found.parent.children.set(found.name, makeNode('symlink', 0o777, { target: t }));
  touchNode(found.parent);
}

function readlinkSync(p, options) {
  const shown = toPathString(p);
  const found = existing(p, 'readlink', false);
  if (found.node.type !== 'symlink') throw fsError('EINVAL', 'readlink', shown);
  return encodingOf(options, 'utf8') === 'buffer' ? Buffer.from(found.node.target) : found.node.target;
}

function linkSync(existingPath, newPath) {
  const a = toPathString(existingPath, 'existingPath');
  const b = toPathString(newPath, 'newPath');
  const src = lookup(absolute(a), 'link', a, false);
  if (src.node === undefined) throw fsError('ENOENT', 'link', a, b);
  if (src.node.type === 'dir') throw fsError('EPERM', 'link', a, b);
  const dst = lookup(absolute(b), 'link', b, false);
  if (dst.node !== undefined) throw fsError('EEXIST', 'link', a, b);
  if (!dst.parent || !dst.parent.writable) throw fsError('EROFS', 'link', a, b);
  dst.parent.children.set(dst.name, src.node);
  src.node.nlink += 1;
  touchNode(dst.parent);
}

function realpathSync(p, options) {
  const shown = toPathString(p);
  const found = lookup(absolute(shown), 'lstat', shown, true);
  if (found.node === undefined) throw fsError('ENOENT', 'lstat', shown);
  return encodingOf(options, 'utf8') === 'buffer' ? Buffer.from(found.path || '/') : found.path || '/';
}
realpathSync.native = realpathSync;

function chmodWith(syscall, follow) {
  return (p, mode) => {
    const found = typeof p === 'number' ? fdEntry(p, syscall) : existing(p, syscall, follow);
    found.node.mode = modeOf(mode, 0) & 0o7777;
    found.node.ctimeMs = now();
  };
}
const chmodSync = chmodWith('chmod', true);
const lchmodSync = chmodWith('lchmod', false);
const fchmodSync = chmodWith('fchmod', true);

function timesWith(syscall, follow) {
  return (p, atime, mtime) => {
    const found = typeof p === 'number' ? fdEntry(p, syscall) : existing(p, syscall, follow);
    const ms = t => (t instanceof Date ? t.getTime() : typeof t === 'string' ? Number(t) * 1000 : t * 1000);
    found.node.atimeMs = ms(atime);
    found.node.mtimeMs = ms(mtime);
    found.node.ctimeMs = now();
  };
}
const utimesSync = timesWith('utime', true);
const lutimesSync = timesWith('lutime', false);
const futimesSync = timesWith('futime', true);

function ownerWith(syscall, follow) {
  return p => {
    if (typeof p === 'number') fdEntry(p, syscall);
    else existing(p, syscall, follow);
  };
}

// --- streams ---------------------------------------------------------------

class ReadStream extends Readable {
  constructor(p, options) {
    const o = typeof options === 'string' ? { encoding: options } : options || {};
    super({ highWaterMark: o.highWaterMark ?? 64 * 1024, encoding: o.encoding });
    this.path = typeof p === 'number' ? undefined : toPathString(p);
    this.fd = o.fd ?? (typeof p === 'number' ? p : null);
    this.flags = o.flags ?? 'r';
    this.start = o.start;
    this.end = o.end ?? Infinity;
    this.pos = o.start;
    this.bytesRead = 0;
    this.autoClose = o.autoClose !== false;
    this.pending = true;
  }
  _construct(cb) {
    try {
      if (this.fd === null) this.fd = openSync(this.path, this.flags);
      this.pending = false;
      this.emit('open', this.fd);
      this.emit('ready');
      cb();
    } catch (e) {
      cb(e);
    }
  }
  _read(n) {
    const want = Math.min(n, this.end - (this.pos ?? this.bytesRead) + 1);
    if (want <= 0) { this.push(null); return; }
    const buf = Buffer.alloc(want);
    let got;
    try {
      got = readSync(this.fd, buf, 0, want, this.pos ?? null);
    } catch (e) {
      this.destroy(e);
      return;
    }
    if (this.pos !== undefined) this.pos += got;
    this.bytesRead += got;
    this.push(got === 0 ? null : buf.subarray(0, got));
  }
  _destroy(err, cb) {
    if (this.autoClose && typeof this.fd === 'number' && fds.has(this.fd)) closeSync(this.fd);
    cb(err);
  }
  close(cb) { this.destroy(); if (cb) this.once('close', cb); }
}

class WriteStream extends Writable {
  constructor(p, options) {
    const o = typeof options === 'string' ? { encoding: options } : options || {};
    super({ highWaterMark: o.highWaterMark, decodeStrings: true, defaultEncoding: o.encoding ?? 'utf8' });
    this.path = typeof p === 'number' ? undefined : toPathString(p);
    this.fd = o.fd ?? (typeof p === 'number' ? p : null);
    this.flags = o.flags ?? 'w';
    this.mode = o.mode ?? 0o666;
    this.start = o.start;
    this.pos = o.start;
    this.bytesWritten = 0;
    this.autoClose = o.autoClose !== false;
    this.pending = true;
  }
  _construct(cb) {
    try {
      if (this.fd === null) this.fd = openSync(this.path, this.flags, this.mode);
      this.pending = false;
      this.emit('open', this.fd);
      this.emit('ready');
      cb();
    } catch (e) {
      cb(e);
    }
  }
  _write(chunk, encoding, cb) {
    try {
      const n = writeSync(this.fd, chunk, 0, chunk.length, this.pos ?? null);
      if (this.pos !== undefined) this.pos += n;
      this.bytesWritten += n;
      cb();
    } catch (e) {
      cb(e);
    }
  }
  _destroy(err, cb) {
    if (this.autoClose && typeof this.fd === 'number' && fds.has(this.fd)) closeSync(this.fd);
    cb(err);
  }
  close(cb) { this.end(); if (cb) this.once('close', cb); }
}

const createReadStream = (p, options) => new ReadStream(p, options);
const createWriteStream = (p, options) => new WriteStream(p, options);

// --- the three forms ---------------------------------------------------------------

const SYNC = {
  access: accessSync, appendFile: appendFileSync, chmod: chmodSync, chown: ownerWith('chown', true),
  close: closeSync, copyFile: copyFileSync, fchmod: fchmodSync, fchown: ownerWith('fchown', true),
  fdatasync: fd => { fdEntry(fd, 'fdatasync'); }, fstat: fstatSync, fsync: fd => { fdEntry(fd, 'fsync'); },
  ftruncate: (fd, len) => truncateSync(fd, len), futimes: futimesSync, lchmod: lchmodSync,
  lchown: ownerWith('lchown', false), link: linkSync, lstat: lstatSync, lutimes: lutimesSync, mkdir: mkdirSync,
  mkdtemp: mkdtempSync, open: openSync, read: readSync, readdir: readdirSync, readFile: readFileSync,
  readlink: readlinkSync, realpath: realpathSync, rename: renameSync, rm: rmSync, rmdir: rmdirSync, stat: statSync,
  symlink: symlinkSync, truncate: truncateSync, unlink: unlinkSync, utimes: utimesSync, write: writeSync,
  writeFile: writeFileSync,
  readv(fd, buffers, position) {
    let total = 0;
    for (const b of buffers) {
      const n = readSync(fd, b, 0, b.byteLength, position === undefined || position === null ? null : position + total);
      total += n;
      if (n < b.byteLength) break;
    }
    return total;
  },
  writev(fd, buffers, position) {
    let total = 0;
    for (const b of buffers) total += writeSync(fd, b, 0, b.byteLength, position === undefined || position === null ? null : position + total);
    return total;
  },
};

// The callback form of `fn`: the result (or error) comes to the callback
// in a later turn, as Node's do.
function callbackForm(name, fn) {
  return {
    [name](...args) {
      const cb = args.pop();
      if (typeof cb !== 'function') throw invalidArgType('cb', 'of type function', cb);
      let result;
      let error = null;
      try {
        result = fn(...args);
      } catch (e) {
        if (e instanceof TypeError || e instanceof RangeError) throw e;
        error = e;
      }
      queueMicrotask(() => {
        if (error) cb(error);
        else if (name === 'read' || name === 'write') cb(null, result, args[1]);
        else cb(null, result);
      });
    },
  }[name];
}

class FileHandle {
  #fd;
  constructor(fd) { this.#fd = fd; }
  get fd() { return this.#fd; }
  async close() { closeSync(this.#fd); }
  async read(buffer, offset, length, position) {
    if (buffer === undefined || (buffer !== null && !ArrayBuffer.isView(buffer) && typeof buffer === 'object')) {
      const o = buffer || {};
      buffer = o.buffer ?? Buffer.alloc(16384);
      ({ offset = 0, length = buffer.byteLength - offset, position = null } = o);
    }
    const bytesRead = readSync(this.#fd, buffer, offset, length, position);
    return { bytesRead, buffer };
  }
  async write(data, ...rest) {
    const bytesWritten = writeSync(this.#fd, data, ...rest);
    return typeof data === 'string' ? { bytesWritten, buffer: data } : { bytesWritten, buffer: data };
  }
  async readFile(options) { return readFileSync(this.#fd, options); }
  async writeFile(data, options) { writeFileSync(this.#fd, data, options); }
  async appendFile(data, options) { writeFileSync(this.#fd, data, options); }
  async stat(options) { return fstatSync(this.#fd, options); }
  async truncate(len) { truncateSync(this.#fd, len); }
  async sync() {}
  async datasync() {}
  async chmod(mode) { fchmodSync(this.#fd, mode); }
  async chown() {}
  async utimes(a, m) { futimesSync(this.#fd, a, m); }
  createReadStream(options) { return new ReadStream(this.#fd, options); }
  createWriteStream(options) { return new WriteStream(this.#fd, options); }
}

const fsPromises = { constants: FS_CONSTANTS };
for (const name of ['access', 'appendFile', 'chmod', 'chown', 'copyFile', 'lchmod', 'lchown', 'link', 'lstat',
  'lutimes', 'mkdir', 'mkdtemp', 'readdir', 'readFile', 'readlink', 'realpath', 'rename', 'rm', 'rmdir', 'stat',
  'symlink', 'truncate', 'unlink', 'utimes', 'writeFile']) {
  const fn = SYNC[name];
  fsPromises[name] = { async [name](...args) { return fn(...args); } }[name];
}
fsPromises.open = async function open(p, flags, mode) { return new FileHandle(openSync(p, flags, mode)); };
for (const name of ['cp', 'opendir', 'statfs', 'watch', 'glob']) {
  fsPromises[name] = { async [name]() { throw notImplemented(`fs.promises.${name}`); } }[name];
}

function failing(name) {
  return { [name]() { throw notImplemented(`fs.${name}`); } }[name];
}

const module = {
  constants: FS_CONSTANTS, promises: fsPromises, F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1,
  Stats, Dirent, ReadStream, WriteStream, createReadStream, createWriteStream,
  existsSync,
  exists(p, cb) { const r = existsSync(p); queueMicrotask(() => cb(r)); },
};
for (const [name, fn] of Object.entries(SYNC)) {
  module[`${name}Sync`] = fn;
  module[name] = callbackForm(name, fn);
}
module.realpath.native = module.realpath;
for (const name of ['cp', 'cpSync', 'opendir', 'opendirSync', 'statfs', 'statfsSync', 'watch', 'watchFile',
  'unwatchFile', 'openAsBlob', 'glob', 'globSync']) {
  module[name] = failing(name);
}
module.Dir = failing('Dir');
