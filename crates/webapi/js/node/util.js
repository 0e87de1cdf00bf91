// node:util — format/formatWithOptions (%s %d %i %f %j %o %O %c %%),
// inspect (util_inspect.js), promisify (and promisify.custom), callbackify,
// types, inherits, deprecate, isDeepStrictEqual, TextEncoder/TextDecoder,
// parseArgs, styleText, debuglog, stripVTControlCharacters, toUSVString,
// aborted, getSystemErrorName. `types.isProxy` is always false and
// `types.isExternal` too: JavaScript cannot tell a proxy from its target.
// Uses no ops.

function utilError(Ctor, code, message) {
  const e = new Ctor(message);
  e.code = code;
  return e;
}

function formatNumberValue(n) { return Object.is(n, -0) ? '-0' : `${n}`; }

// Whether `v` has a toString of its own making (not a built-in one, such
// as Object's, Array's or Date's): then `%s` calls it, else it inspects.
const BUILTIN_CONSTRUCTORS = new Set([Object, Array, Date, Error, RegExp, Function, Number, String, Boolean,
  Map, Set, Promise, Symbol, BigInt, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError]);
function hasOwnToString(v) {
  if (Object.hasOwn(v, 'toString')) return true;
  for (let p = Object.getPrototypeOf(v); p !== null; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, 'toString')) return !BUILTIN_CONSTRUCTORS.has(p.constructor);
  }
  return false;
}

function formatWithOptions(inspectOptions, ...args) {
  const first = args[0];
  let out = '';
  let a = 0;
  let lastPos = 0;
  if (typeof first === 'string') {
    if (args.length === 1) return first;
    a = 1;
    for (let i = 0; i < first.length - 1; i++) {
      if (first.charCodeAt(i) !== 37) continue; // '%'
      const c = first[i + 1];
      if (a === args.length && c !== '%') break;
      let piece;
      switch (c) {
        case 's': {
          const v = args[a];
          if (typeof v === 'number') piece = formatNumberValue(v);
          else if (typeof v === 'bigint') piece = `${v}n`;
          else if (typeof v === 'object' && v !== null && !hasOwnToString(v)) piece = inspect(v, { ...inspectOptions, depth: 0, colors: false, compact: 3 });
          else if (typeof v === 'symbol') piece = v.toString();
          else piece = String(v);
          break;
        }
        case 'j':
          try { piece = JSON.stringify(args[a]); } catch (e) {
            if (String(e?.message).toLowerCase().includes('circular')) piece = '[Circular]';
            else throw e;
          }
          break;
        case 'd': {
          const v = args[a];
          if (typeof v === 'bigint') piece = `${v}n`;
          else if (typeof v === 'symbol') piece = 'NaN';
          else piece = formatNumberValue(Number(v));
          break;
        }
        case 'O': piece = inspect(args[a], inspectOptions); break;
        case 'o': piece = inspect(args[a], { ...inspectOptions, showHidden: true, showProxy: true, depth: 4 }); break;
        case 'i': {
          const v = args[a];
          if (typeof v === 'bigint') piece = `${v}n`;
          else if (typeof v === 'symbol') piece = 'NaN';
          else piece = formatNumberValue(Number.parseInt(v));
          break;
        }
        case 'f': piece = typeof args[a] === 'symbol' ? 'NaN' : formatNumberValue(Number.parseFloat(args[a])); break;
        case 'c': piece = ''; break;
        case '%':
          out += first.slice(lastPos, i) + '%';
          lastPos = i + 2;
          i++;
          continue;
        default:
          continue;
      }
      out += first.slice(lastPos, i) + piece;
      lastPos = i + 2;
      i++;
      a++;
    }
    out += first.slice(lastPos);
  }
  for (; a < args.length; a++) {
    const v = args[a];
    const s = typeof v === 'string' ? v : inspect(v, inspectOptions);
    out += out.length > 0 || a > 0 ? ` ${s}` : s;
  }
  return out;
}

function format(...args) { return formatWithOptions(undefined, ...args); }

const kCustomPromisify = Symbol.for('nodejs.util.promisify.custom');

function promisify(original) {
  if (typeof original !== 'function') throw utilError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "original" argument must be of type function.`);
  if (original[kCustomPromisify]) {
    const fn = original[kCustomPromisify];
    if (typeof fn !== 'function') throw utilError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "util.promisify.custom" argument must be of type function.');
    return Object.defineProperty(fn, kCustomPromisify, { __proto__: null, value: fn, enumerable: false, writable: false, configurable: true });
  }
  function fn(...args) {
    return new Promise((resolve, reject) => {
      Reflect.apply(original, this, [...args, (err, ...values) => {
        if (err) return reject(err);
        resolve(values[0]);
      }]);
    });
  }
  Object.setPrototypeOf(fn, Object.getPrototypeOf(original));
  Object.defineProperty(fn, kCustomPromisify, { __proto__: null, value: fn, enumerable: false, writable: false, configurable: true });
  return Object.defineProperties(fn, Object.getOwnPropertyDescriptors(original));
}
promisify.custom = kCustomPromisify;

function callbackify(original) {
  if (typeof original !== 'function') throw utilError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "original" argument must be of type function.');
  function callbackified(...args) {
    const cb = args.pop();
    if (typeof cb !== 'function') throw utilError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The last argument must be of type function.');
    Reflect.apply(original, this, args).then(
      value => queueMicrotask(() => cb(null, value)),
      reason => {
        if (!reason) {
          const e = new Error('Promise was rejected with a falsy value');
          e.code = 'ERR_FALSY_VALUE_REJECTION';
          e.reason = reason;
          reason = e;
        }
        queueMicrotask(() => cb(reason));
      },
    );
  }
  Object.setPrototypeOf(callbackified, Object.getPrototypeOf(original));
  Object.defineProperties(callbackified, Object.getOwnPropertyDescriptors(original));
  return callbackified;
}

function inherits(ctor, superCtor) {
  if (ctor === undefined || ctor === null) throw utilError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "ctor" argument must be of type function.');
  if (superCtor === undefined || superCtor === null) throw utilError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "superCtor" argument must be of type function.');
  if (superCtor.prototype === undefined) throw utilError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "superCtor.prototype" property must be of type object.');
  Object.defineProperty(ctor, 'super_', { __proto__: null, value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

const deprecationsWarned = new Set();
function deprecate(fn, msg, code) {
  let warned = false;
  function deprecated(...args) {
    if (!warned && !(code !== undefined && deprecationsWarned.has(code))) {
      warned = true;
      if (code !== undefined) deprecationsWarned.add(code);
      const proc = nodeCompat !== null ? nodeModule('process') : undefined;
      if (proc) proc.emitWarning(msg, 'DeprecationWarning', code);
    }
    return new.target ? Reflect.construct(fn, args, new.target) : Reflect.apply(fn, this, args);
  }
  Object.setPrototypeOf(deprecated, fn);
  if (fn.prototype) deprecated.prototype = fn.prototype;
  return deprecated;
}

const tagOf = v => Object.prototype.toString.call(v);
const typedTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get;
const isTyped = (v, name) => ArrayBuffer.isView(v) && typedTag.call(v) === name;
function tryValueOf(C, v) {
  if (typeof v !== 'object' || v === null) return false;
  try { C.prototype.valueOf.call(v); return true; } catch { return false; }
}
function tryCall(fn, v) { try { fn.call(v); return true; } catch { return false; } }

const types = {
  isAnyArrayBuffer: v => v instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && v instanceof SharedArrayBuffer),
  isArrayBuffer: v => v instanceof ArrayBuffer,
  isSharedArrayBuffer: v => typeof SharedArrayBuffer === 'function' && v instanceof SharedArrayBuffer,
  isArrayBufferView: v => ArrayBuffer.isView(v),
  isTypedArray: v => ArrayBuffer.isView(v) && typedTag.call(v) !== undefined,
  isDataView: v => v instanceof DataView,
  isAsyncFunction: v => typeof v === 'function' && (tagOf(v) === '[object AsyncFunction]' || tagOf(v) === '[object AsyncGeneratorFunction]'),
  isGeneratorFunction: v => typeof v === 'function' && (tagOf(v) === '[object GeneratorFunction]' || tagOf(v) === '[object AsyncGeneratorFunction]'),
  isGeneratorObject: v => tagOf(v) === '[object Generator]' || tagOf(v) === '[object AsyncGenerator]',
  isDate: v => v instanceof Date || tryCall(Date.prototype.getTime, v),
  isRegExp: v => v instanceof RegExp || tagOf(v) === '[object RegExp]',
  isMap: v => v instanceof Map || tryCall(Object.getOwnPropertyDescriptor(Map.prototype, 'size').get, v),
  isSet: v => v instanceof Set || tryCall(Object.getOwnPropertyDescriptor(Set.prototype, 'size').get, v),
  isWeakMap: v => v instanceof WeakMap,
  isWeakSet: v => v instanceof WeakSet,
  isMapIterator: v => tagOf(v) === '[object Map Iterator]',
  isSetIterator: v => tagOf(v) === '[object Set Iterator]',
  isPromise: v => v instanceof Promise,
  isNativeError: v => v instanceof Error || tagOf(v) === '[object Error]',
  isNumberObject: v => tryValueOf(Number, v),
  isStringObject: v => tryValueOf(String, v),
  isBooleanObject: v => tryValueOf(Boolean, v),
  isSymbolObject: v => tryValueOf(Symbol, v),
  isBigIntObject: v => tryValueOf(BigInt, v),
  isBoxedPrimitive: v => [Number, String, Boolean, Symbol, BigInt].some(C => tryValueOf(C, v)),
  isArgumentsObject: v => tagOf(v) === '[object Arguments]',
  isModuleNamespaceObject: v => v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === null && v[Symbol.toStringTag] === 'Module',
  isProxy: () => false,
  isExternal: () => false,
  // Brand checks, as Node's: an object made from the prototype is neither.
  // Before its group is loaded no KeyObject (or CryptoKey) exists.
  isKeyObject: v => { const g = loadedNodeGroup('crypto'); return g !== undefined && g.isKeyObject(v); },
  isCryptoKey: v => { const g = loadedGroup(CRYPTO); return g !== undefined && g.cryptoKeySlots(v) !== undefined; },
};
for (const name of ['Int8', 'Uint8', 'Uint8Clamped', 'Int16', 'Uint16', 'Int32', 'Uint32', 'Float32', 'Float64', 'BigInt64', 'BigUint64']) {
  types[`is${name}Array`] = v => isTyped(v, `${name}Array`);
}

// Deep strict equality, as assert.deepStrictEqual compares.
function isDeepStrictEqual(a, b) { return deepEqual(a, b, true, new Map()); }

function deepEqual(a, b, strict, memo) {
  if (strict ? Object.is(a, b) : (a == b || (a !== a && b !== b))) return true; // eslint-disable-line eqeqeq
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return false;
  }
  if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const tagA = tagOf(a);
  if (tagA !== tagOf(b)) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const seen = memo.get(a);
  if (seen !== undefined && seen.has(b)) return true;
  if (seen === undefined) memo.set(a, new Set([b])); else seen.add(b);
  if (tagA === '[object Date]') {
    if (Date.prototype.getTime.call(a) !== Date.prototype.getTime.call(b)) return false;
  } else if (tagA === '[object RegExp]') {
    if (String(a) !== String(b) || a.lastIndex !== b.lastIndex) return false;
  } else if (a instanceof Error || b instanceof Error) {
    if (a.message !== b.message || a.name !== b.name) return false;
  } else if (ArrayBuffer.isView(a)) {
    if (a.byteLength !== b.byteLength) return false;
    if (!(a instanceof DataView) && typedTag.call(a) !== typedTag.call(b)) return false;
    if (a instanceof Float32Array || a instanceof Float64Array) {
      if (a.length !== b.length) return false;
      for (let i = 0; i < a.length; i++) if (!(strict ? Object.is(a[i], b[i]) || a[i] === b[i] : a[i] == b[i])) return false; // eslint-disable-line eqeqeq
    } else {
      const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    }
  } else if (a instanceof ArrayBuffer) {
    if (a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a);
    const y = new Uint8Array(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  } else if (types.isBoxedPrimitive(a)) {
    if (!Object.is(a.valueOf(), b.valueOf())) return false;
  }
  if (a instanceof Set) {
    if (a.size !== b.size) return false;
    outer: for (const x of a) {
      if (b.has(x)) continue;
      if (typeof x !== 'object' || x === null) return false;
      for (const y of b) if (typeof y === 'object' && y !== null && deepEqual(x, y, strict, memo)) continue outer;
      return false;
    }
  } else if (a instanceof Map) {
    if (a.size !== b.size) return false;
    outer: for (const [k, v] of a) {
      if (b.has(k)) {
        if (!deepEqual(v, b.get(k), strict, memo)) return false;
        continue;
      }
      if (typeof k !== 'object' || k === null) return false;
      for (const [k2, v2] of b) {
        if (typeof k2 === 'object' && k2 !== null && deepEqual(k, k2, strict, memo) && deepEqual(v, v2, strict, memo)) continue outer;
      }
      return false;
    }
  }
  const keysOf = o => {
    const keys = Object.keys(o);
    if (ArrayBuffer.isView(o)) return keys.filter(k => !/^\d+$/.test(k));
    if (strict) for (const s of Object.getOwnPropertySymbols(o)) if (Object.prototype.propertyIsEnumerable.call(o, s)) keys.push(s);
    return keys;
  };
  const ka = keysOf(a);
  const kb = keysOf(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.propertyIsEnumerable.call(b, k)) return false;
    if (!deepEqual(a[k], b[k], strict, memo)) return false;
  }
  return true;
}

function parseArgs(config = {}) {
  const args = config.args ?? [];
  const options = config.options ?? {};
  const strict = config.strict ?? true;
  const allowPositionals = config.allowPositionals ?? !strict;
  const allowNegative = config.allowNegative ?? false;
  const values = { __proto__: null };
  const positionals = [];
  const tokens = [];
  const shorts = { __proto__: null };
  for (const [name, o] of Object.entries(options)) {
    if (o.type !== 'string' && o.type !== 'boolean') throw utilError(TypeError, 'ERR_INVALID_ARG_VALUE', `The property 'options.${name}.type' must be one of: 'string', 'boolean'. Received ${String(o.type)}`);
    if (o.short !== undefined) shorts[o.short] = name;
  }
  const store = (name, value, index, rawName, inline) => {
    const o = options[name];
    if (o === undefined) {
      if (strict) throw utilError(TypeError, 'ERR_PARSE_ARGS_UNKNOWN_OPTION', `Unknown option '${rawName}'${allowPositionals ? '' : `. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- "${rawName}"`}`);
    } else if (strict) {
      if (o.type === 'string' && typeof value !== 'string') throw utilError(TypeError, 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE', `Option '${o.short ? `-${o.short}, ` : ''}--${name} <value>' argument missing`);
      if (o.type === 'boolean' && value !== undefined && typeof value === 'string') throw utilError(TypeError, 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE', `Option '${o.short ? `-${o.short}, ` : ''}--${name}' does not take an argument`);
    }
    tokens.push({ kind: 'option', name, rawName, index, value, inlineValue: value === undefined ? undefined : inline });
    const v = value === undefined ? true : value;
    if (o?.multiple) (values[name] ??= []).push(v);
    else values[name] = v;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      tokens.push({ kind: 'option-terminator', index: i });
      for (let j = i + 1; j < args.length; j++) {
        if (!allowPositionals && strict) throw utilError(TypeError, 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL', `Unexpected argument '${args[j]}'. This command does not take positional arguments`);
        positionals.push(args[j]);
        tokens.push({ kind: 'positional', index: j, value: args[j] });
      }
      break;
    }
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      if (eq !== -1) { store(name, arg.slice(eq + 1), i, `--${name}`, true); continue; }
      if (allowNegative && name.startsWith('no-') && options[name.slice(3)]?.type === 'boolean') {
        name = name.slice(3);
        tokens.push({ kind: 'option', name, rawName: arg, index: i, value: undefined, inlineValue: undefined });
        values[name] = false;
        continue;
      }
      if (options[name]?.type === 'string' && i + 1 < args.length) { store(name, args[i + 1], i, arg, false); i++; }
      else store(name, undefined, i, arg, undefined);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let k = 1; k < arg.length; k++) {
        const short = arg[k];
        const name = shorts[short] ?? short;
        if (options[name]?.type === 'string') {
          const rest = arg.slice(k + 1);
          if (rest.length > 0) store(name, rest, i, `-${short}`, true);
          else if (i + 1 < args.length) { store(name, args[i + 1], i, `-${short}`, false); i++; }
          else store(name, undefined, i, `-${short}`, undefined);
          break;
        }
        store(name, undefined, i, `-${short}`, undefined);
      }
      continue;
    }
    if (!allowPositionals) throw utilError(TypeError, 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL', `Unexpected argument '${arg}'. This command does not take positional arguments`);
    positionals.push(arg);
    tokens.push({ kind: 'positional', index: i, value: arg });
  }
  for (const [name, o] of Object.entries(options)) {
    if (o.default !== undefined && values[name] === undefined) values[name] = o.default;
  }
  const result = { values, positionals };
  if (config.tokens) result.tokens = tokens;
  return result;
}

// With `validateStream` (the default) styles apply only when the stream
// shows colours; a Worker's output never does, so the text comes back as
// it is.
function styleText(format, text, { validateStream = true } = {}) {
  const formats = Array.isArray(format) ? format : [format];
  let open = '';
  let close = '';
  for (const f of formats) {
    const codes = inspect.colors[f];
    if (codes === undefined) {
      throw utilError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'format' must be one of: ${Object.keys(inspect.colors).map(k => `'${k}'`).join(', ')}. Received ${inspect(f)}`);
    }
    open += `\u001b[${codes[0]}m`;
    close = `\u001b[${codes[1]}m${close}`;
  }
  if (validateStream) return `${text}`;
  return `${open}${text}${close}`;
}

function debuglog(section, callback) {
  const logger = (...args) => {};
  logger.enabled = false;
  if (typeof callback === 'function') callback(logger);
  return logger;
}

const ANSI = /[\u001B\u009B][[\]()#;?]*(?:(?:(?:(?:;[-a-zA-Z\d/#&.:=?%@~_]+)*|[a-zA-Z\d]+(?:;[-a-zA-Z\d/#&.:=?%@~_]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-ntqry=><~]))/g;

function aborted(signal, resource) {
  return new Promise(resolve => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

const ERRNO_NAMES = { __proto__: null, '-1': 'EPERM', '-2': 'ENOENT', '-13': 'EACCES', '-17': 'EEXIST', '-22': 'EINVAL', '-32': 'EPIPE', '-104': 'ECONNRESET', '-110': 'ETIMEDOUT', '-111': 'ECONNREFUSED' };

const module = {
  format,
  formatWithOptions,
  inspect,
  promisify,
  callbackify,
  types,
  inherits,
  deprecate,
  isDeepStrictEqual,
  isArray: Array.isArray,
  TextEncoder: globalThis.TextEncoder,
  TextDecoder: globalThis.TextDecoder,
  parseArgs,
  styleText,
  debuglog,
  debug: debuglog,
  stripVTControlCharacters: s => String(s).replace(ANSI, ''),
  toUSVString: s => toUSVString(s),
  aborted,
  getSystemErrorName: n => ERRNO_NAMES[n] ?? `Unknown system error ${n}`,
};
