// node:util's inspect, as Node.js lays values out: depth 2, compact 3,
// breakLength 80, at most 100 array items and 10000 string characters;
// `[Circular *1]` with `<ref *1>`; class names, null prototypes, boxed
// primitives, getters shown as [Getter]/[Setter]; arrays of more than six
// short items grouped in columns; an object printed on one line when it
// fits in breakLength and holds fewer than `compact` levels of nesting.
// Engines give JavaScript no view of a promise's state or of an iterator's
// items: a Promise shows as `Promise { <unknown> }`, a Map or Set iterator
// as `[Map Iterator] {}`. Uses no ops.

const inspectCustom = Symbol.for('nodejs.util.inspect.custom');
const INSPECT_DEFAULTS = {
  showHidden: false, depth: 2, colors: false, customInspect: true, showProxy: false,
  maxArrayLength: 100, maxStringLength: 10000, breakLength: 80, compact: 3, sorted: false,
  getters: false, numericSeparator: false,
};
const KEY_IDENTIFIER = /^[a-zA-Z_][a-zA-Z_0-9]*$/;
const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
const typedArrayTag = Object.getOwnPropertyDescriptor(TypedArrayProto, Symbol.toStringTag).get;
const protoToString = Object.prototype.toString;

function strEscape(s) {
  let quote = "'";
  if (s.includes("'")) {
    if (!s.includes('"')) quote = '"';
    else if (!s.includes('`') && !s.includes('${')) quote = '`';
  }
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += ch;
  }
  return `${quote}${out}${quote}`;
}

function formatPrimitive(ctx, value) {
  switch (typeof value) {
    case 'string': {
      let trailer = '';
      if (value.length > ctx.maxStringLength) {
        const remaining = value.length - ctx.maxStringLength;
        value = value.slice(0, ctx.maxStringLength);
        trailer = `... ${remaining} more character${remaining > 1 ? 's' : ''}`;
      }
      return strEscape(value) + trailer;
    }
    case 'number': return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint': return `${value}n`;
    case 'boolean': return String(value);
    case 'undefined': return 'undefined';
    case 'symbol': return value.toString();
  }
  return String(value);
}

// The name of the nearest constructor up `obj`'s prototype chain, with
// ` <Complex prototype>`-free simplicity; null for no prototype at all.
function constructorName(obj) {
  let o = obj;
  while (o !== null && o !== undefined) {
    const d = Object.getOwnPropertyDescriptor(o, 'constructor');
    if (d !== undefined && typeof d.value === 'function' && d.value.name !== '' && isInstanceof(obj, d.value)) {
      return d.value.name;
    }
    o = Object.getPrototypeOf(o);
  }
  return null;
}
function isInstanceof(o, C) { try { return o instanceof C; } catch { return false; } }

function prefixOf(constructor, tag, fallback, size = '') {
  if (constructor === null) {
    if (tag !== '' && fallback !== tag) return `[${fallback}${size}: null prototype] [${tag}] `;
    return `[${fallback}${size}: null prototype] `;
  }
  if (tag !== '' && constructor !== tag) return `${constructor}${size} [${tag}] `;
  return `${constructor}${size} `;
}

function formatKey(key) {
  if (typeof key === 'symbol') return `[${key.toString()}]`;
  if (KEY_IDENTIFIER.test(key)) return key;
  return strEscape(key);
}

function formatProperty(ctx, obj, key, depth, isArrayLike) {
  const desc = Object.getOwnPropertyDescriptor(obj, key) || { value: obj[key], enumerable: true };
  let str;
  if (desc.value !== undefined || !('get' in desc)) {
    ctx.indentationLvl += 2;
    str = formatValue(ctx, desc.value, depth);
    ctx.indentationLvl -= 2;
  } else if (desc.get !== undefined) {
    str = desc.set !== undefined ? '[Getter/Setter]' : '[Getter]';
  } else {
    str = desc.set !== undefined ? '[Setter]' : 'undefined';
  }
  if (isArrayLike && desc.enumerable) return str;
  const name = formatKey(key);
  return desc.enumerable === false ? `[${name}]: ${str}` : `${name}: ${str}`;
}

function isBelowBreakLength(ctx, output, start, base) {
  let total = output.length + start;
  if (total + output.length > ctx.breakLength) return false;
  for (let i = 0; i < output.length; i++) {
    total += output[i].length;
    if (total > ctx.breakLength) return false;
  }
  return base === '' || !base.includes('\n');
}

// Arrays of more than six items, laid out in columns when several fit side
// by side (numbers right-aligned, anything else left-aligned).
function groupArrayElements(ctx, output, value) {
  let count = output.length;
  if (ctx.maxArrayLength < output.length) count--;
  const lengths = [];
  let total = 0;
  let longest = 0;
  for (let i = 0; i < count; i++) {
    const len = output[i].length;
    lengths.push(len);
    total += len + 2;
    if (len > longest) longest = len;
  }
  const widest = longest + 2;
  if (!(widest * 3 + ctx.indentationLvl < ctx.breakLength && (total / widest > 5 || longest <= 6))) return output;
  const bias = Math.sqrt(widest - total / output.length);
  const biasedMax = Math.max(widest - 3 - bias, 1);
  const columns = Math.min(
    Math.round(Math.sqrt(2.5 * biasedMax * count) / biasedMax),
    Math.floor((ctx.breakLength - ctx.indentationLvl) / widest),
    ctx.compact * 4,
    15,
  );
  if (columns <= 1) return output;
  const columnWidths = [];
  for (let c = 0; c < columns; c++) {
    let w = 0;
    for (let j = c; j < output.length; j += columns) if (lengths[j] > w) w = lengths[j];
    columnWidths.push(w + 2);
  }
  let numeric = value !== undefined;
  if (numeric) {
    for (let i = 0; i < output.length; i++) {
      if (typeof value[i] !== 'number' && typeof value[i] !== 'bigint') { numeric = false; break; }
    }
  }
  const rows = [];
  for (let i = 0; i < count; i += columns) {
    const end = Math.min(i + columns, count);
    let line = '';
    let j = i;
    for (; j < end - 1; j++) {
      const cell = `${output[j]}, `;
      line += numeric ? cell.padStart(columnWidths[j - i]) : cell.padEnd(columnWidths[j - i]);
    }
    line += numeric ? output[j].padStart(columnWidths[j - i] - 2) : output[j];
    rows.push(line);
  }
  if (ctx.maxArrayLength < output.length) rows.push(output[count]);
  return rows;
}

function reduceToSingleString(ctx, output, base, braces, isArrayType, depth, value) {
  const entries = output.length;
  if (isArrayType && entries > 6 && typeof ctx.compact === 'number' && ctx.compact >= 1) output = groupArrayElements(ctx, output, value);
  if (ctx.currentDepth - depth < ctx.compact && entries === output.length) {
    const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
    if (isBelowBreakLength(ctx, output, start, base)) {
      const joined = output.join(', ');
      if (!joined.includes('\n')) return `${base ? `${base} ` : ''}${braces[0]} ${joined} ${braces[1]}`;
    }
  }
  const indentation = `\n${' '.repeat(ctx.indentationLvl)}`;
  return `${base ? `${base} ` : ''}${braces[0]}${indentation}  ${output.join(`,${indentation}  `)}${indentation}${braces[1]}`;
}

function ownKeys(ctx, value, skipIndices) {
  let keys = ctx.showHidden ? Reflect.ownKeys(value) : Object.keys(value);
  if (!ctx.showHidden) {
    for (const s of Object.getOwnPropertySymbols(value)) {
      if (Object.prototype.propertyIsEnumerable.call(value, s)) keys.push(s);
    }
  }
  if (skipIndices) keys = keys.filter(k => typeof k === 'symbol' || !/^(0|[1-9][0-9]*)$/.test(k) || Number(k) >= 2 ** 32 - 1);
  if (ctx.sorted) keys.sort(typeof ctx.sorted === 'function' ? ctx.sorted : undefined);
  return keys;
}

function functionBase(value, constructor, tag) {
  const source = Function.prototype.toString.call(value);
  if (source.startsWith('class') && /^class\s*[\s{A-Za-z_$]/.test(source)) {
    let base = `[class ${value.name || '(anonymous)'}`;
    const superClass = Object.getPrototypeOf(value);
    if (superClass && superClass !== Function.prototype && superClass.name) base += ` extends ${superClass.name}`;
    else if (superClass === null) base += ' extends [null prototype]';
    return `${base}]`;
  }
  let type = 'Function';
  if (constructor === 'AsyncFunction' || constructor === 'GeneratorFunction' || constructor === 'AsyncGeneratorFunction') type = constructor;
  let base = `[${type}`;
  if (constructor === null) base += ' (null prototype)';
  base += value.name ? `: ${value.name}` : ' (anonymous)';
  base += ']';
  if (constructor !== type && constructor !== null && constructor !== 'Function') base += ` ${constructor}`;
  if (tag !== '' && constructor !== tag) base += ` [${tag}]`;
  return base;
}

function errorBase(err, constructor) {
  const name = err.name != null ? String(err.name) : 'Error';
  const message = err.message != null ? String(err.message) : '';
  let stack = typeof err.stack === 'string' ? err.stack : '';
  const head = message ? `${name}: ${message}` : name;
  if (stack === '') return `[${head}]`;
  // Some engines' stacks hold only the frames: the head goes first.
  if (!stack.startsWith(name) && !stack.includes(head)) stack = `${head}\n${stack.replace(/\n$/, '')}`;
  if (constructor !== null && constructor !== name && !stack.startsWith(constructor)) stack = `${constructor} ${stack}`;
  return stack.replace(/\n$/, '');
}

function formatValue(ctx, value, depth, typedArray) {
  if (typeof value !== 'object' && typeof value !== 'function') return formatPrimitive(ctx, value);
  if (value === null) return 'null';
  if (ctx.customInspect) {
    let custom;
    try { custom = value[inspectCustom]; } catch { custom = undefined; }
    if (typeof custom === 'function' && custom !== inspect && !(Object.getOwnPropertyDescriptor(value, 'constructor')?.value?.prototype === value)) {
      const options = { ...ctx, depth: ctx.depth === null ? null : ctx.depth - depth, stylize: s => s };
      const result = custom.call(value, options.depth, options, inspect);
      if (result !== value) {
        if (typeof result !== 'string') return formatValue(ctx, result, depth);
        return result.replaceAll('\n', `\n${' '.repeat(ctx.indentationLvl)}`);
      }
    }
  }
  if (ctx.seen.includes(value)) {
    let index = ctx.circular.get(value);
    if (index === undefined) {
      index = ctx.circular.size + 1;
      ctx.circular.set(value, index);
    }
    return `[Circular *${index}]`;
  }
  return formatRaw(ctx, value, depth, typedArray);
}

function formatRaw(ctx, value, depth, typedArray) {
  const constructor = constructorName(value);
  let tag = value[Symbol.toStringTag];
  if (typeof tag !== 'string' || (tag !== '' && (ctx.showHidden ? Object.hasOwn : Object.prototype.propertyIsEnumerable).call(value, Symbol.toStringTag) === false && tag === constructor)) tag = '';
  if (typeof tag !== 'string') tag = '';
  let base = '';
  let braces;
  let formatter = () => [];
  let isArrayType = false;
  let keys;
  let noIterator = true;
  const internal = protoToString.call(value);

  if (Array.isArray(value)) {
    isArrayType = true;
    keys = ownKeys(ctx, value, true);
    const prefix = constructor !== 'Array' || tag !== '' ? prefixOf(constructor, tag, 'Array', `(${value.length})`) : '';
    braces = [`${prefix}[`, ']'];
    if (value.length === 0 && keys.length === 0) return `${braces[0]}]`;
    formatter = d => formatArray(ctx, value, d);
  } else if (value instanceof Set || internal === '[object Set]') {
    keys = ownKeys(ctx, value, false);
    const prefix = prefixOf(constructor, tag, 'Set', `(${value.size})`);
    if (value.size === 0 && keys.length === 0) return `${prefix}{}`;
    braces = [`${prefix}{`, '}'];
    formatter = d => formatSet(ctx, value, d);
  } else if (value instanceof Map || internal === '[object Map]') {
    keys = ownKeys(ctx, value, false);
    const prefix = prefixOf(constructor, tag, 'Map', `(${value.size})`);
    if (value.size === 0 && keys.length === 0) return `${prefix}{}`;
    braces = [`${prefix}{`, '}'];
    formatter = d => formatMap(ctx, value, d);
  } else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    isArrayType = true;
    keys = ownKeys(ctx, value, true);
    const fallback = typedArrayTag.call(value);
    const prefix = prefixOf(constructor, tag === fallback ? '' : tag, fallback, `(${value.length})`);
    braces = [`${prefix}[`, ']'];
    if (value.length === 0 && keys.length === 0) return `${braces[0]}]`;
    formatter = d => formatTypedArray(ctx, value, d);
  } else {
    noIterator = false;
  }
  if (!noIterator) {
    keys = ownKeys(ctx, value, false);
    braces = ['{', '}'];
    if (constructor === 'Object' && (tag === '' || internal === '[object Object]' && tag === '')) {
      if (internal === '[object Arguments]') braces[0] = '[Arguments] [';
      if (internal === '[object Arguments]') { braces[1] = ']'; isArrayType = true; keys = ownKeys(ctx, value, true); formatter = d => formatArray(ctx, value, d); if (value.length === 0 && keys.length === 0) return '[Arguments] []'; }
      else if (keys.length === 0) return '{}';
    } else if (typeof value === 'function') {
      base = functionBase(value, constructor, tag);
      if (keys.length === 0) return base;
    } else if (internal === '[object RegExp]') {
      base = RegExp.prototype.toString.call(value);
      const prefix = prefixOf(constructor, tag, 'RegExp');
      if (prefix !== 'RegExp ') base = `${prefix}${base}`;
      if (keys.length === 0 || depth > ctx.depth && ctx.depth !== null) return base;
    } else if (internal === '[object Date]') {
      base = Number.isNaN(Date.prototype.getTime.call(value)) ? Date.prototype.toString.call(value) : Date.prototype.toISOString.call(value);
      const prefix = prefixOf(constructor, tag, 'Date');
      if (prefix !== 'Date ') base = `${prefix}${base}`;
      if (keys.length === 0) return base;
    } else if (value instanceof Error || internal === '[object Error]') {
      base = errorBase(value, constructor);
      keys = keys.filter(k => k !== 'stack' && k !== 'message');
      if (keys.length === 0) return base;
    } else if (value instanceof ArrayBuffer) {
      const prefix = prefixOf(constructor, tag, 'ArrayBuffer');
      if (typedArray === undefined) formatter = () => formatArrayBufferContents(ctx, value);
      keys.unshift('byteLength');
      braces[0] = `${prefix}{`;
      return finish(ctx, value, depth, keys, formatter, braces, base, false, ['byteLength']);
    } else if (value instanceof DataView) {
      braces[0] = `${prefixOf(constructor, tag, 'DataView')}{`;
      keys.unshift('byteLength', 'byteOffset', 'buffer');
      return finish(ctx, value, depth, keys, formatter, braces, base, false, ['byteLength', 'byteOffset', 'buffer']);
    } else if (value instanceof Promise) {
      braces[0] = `${prefixOf(constructor, tag, 'Promise')}{`;
      formatter = () => ['<unknown>'];
    } else if (value instanceof WeakSet || value instanceof WeakMap) {
      braces[0] = `${prefixOf(constructor, tag, value instanceof WeakSet ? 'WeakSet' : 'WeakMap')}{`;
      formatter = () => ['<items unknown>'];
    } else if (internal === '[object Module]' || tag === 'Module') {
      braces[0] = '[Module: null prototype] {';
      if (keys.length === 0) return '[Module: null prototype] {}';
    } else if (isBoxed(value)) {
      base = boxedBase(ctx, value, constructor, tag);
      if (boxKind(value) === 'String') keys = ownKeys(ctx, value, true).filter(k => k !== 'length');
      if (keys.length === 0) return base;
    } else {
      braces[0] = `${prefixOf(constructor, tag, 'Object')}{`;
      if (keys.length === 0) return `${braces[0]}}`;
    }
  }
  return finish(ctx, value, depth, keys, formatter, braces, base, isArrayType);
}

function finish(ctx, value, depth, keys, formatter, braces, base, isArrayType, internalKeys = []) {
  if (ctx.depth !== null && depth > ctx.depth) {
    const name = constructorName(value) || protoToString.call(value).slice(8, -1);
    return `[${Array.isArray(value) ? 'Array' : name}]`;
  }
  depth += 1;
  ctx.seen.push(value);
  ctx.currentDepth = depth;
  let output;
  try {
    output = formatter(depth);
    for (const key of keys) {
      if (internalKeys.includes(key)) {
        ctx.indentationLvl += 2;
        output.push(`${key}: ${formatValue(ctx, value[key], depth)}`);
        ctx.indentationLvl -= 2;
      } else {
        output.push(formatProperty(ctx, value, key, depth, false));
      }
    }
  } finally {
    ctx.seen.pop();
  }
  if (ctx.circular.has(value)) {
    const ref = `<ref *${ctx.circular.get(value)}>`;
    if (base === '') braces[0] = `${ref} ${braces[0]}`;
    else base = `${ref} ${base}`;
  }
  return reduceToSingleString(ctx, output, base, braces, isArrayType, depth, value);
}

function formatArray(ctx, value, depth) {
  const output = [];
  const len = value.length;
  const shown = Math.min(ctx.maxArrayLength, len);
  let i = 0;
  for (; i < len && output.length < shown; i++) {
    if (!Object.hasOwn(value, i)) {
      let holes = 0;
      while (i < len && !Object.hasOwn(value, i)) { holes++; i++; }
      i--;
      output.push(`<${holes} empty item${holes > 1 ? 's' : ''}>`);
      continue;
    }
    output.push(formatProperty(ctx, value, i, depth, true));
  }
  const remaining = len - i;
  if (remaining > 0) output.push(`... ${remaining} more item${remaining > 1 ? 's' : ''}`);
  return output;
}

function formatTypedArray(ctx, value, depth) {
  const len = value.length;
  const shown = Math.min(ctx.maxArrayLength, len);
  const output = [];
  for (let i = 0; i < shown; i++) output.push(formatPrimitive(ctx, value[i]));
  if (len > shown) output.push(`... ${len - shown} more item${len - shown > 1 ? 's' : ''}`);
  if (ctx.showHidden) {
    ctx.indentationLvl += 2;
    for (const key of ['BYTES_PER_ELEMENT', 'length', 'byteLength', 'byteOffset', 'buffer']) {
      output.push(`[${key}]: ${formatValue(ctx, value[key], depth, true)}`);
    }
    ctx.indentationLvl -= 2;
  }
  return output;
}

function formatArrayBufferContents(ctx, buffer) {
  const bytes = new Uint8Array(buffer, 0, Math.min(ctx.maxArrayLength, buffer.byteLength));
  let hex = Array.from(bytes, b => b.toString(16).padStart(2, '0')).join(' ');
  const remaining = buffer.byteLength - bytes.length;
  if (remaining > 0) hex += ` ... ${remaining} more byte${remaining > 1 ? 's' : ''}`;
  return [`[Uint8Contents]: <${hex}>`];
}

function formatSet(ctx, value, depth) {
  const output = [];
  ctx.indentationLvl += 2;
  let n = 0;
  for (const v of value) {
    if (n++ >= ctx.maxArrayLength) break;
    output.push(formatValue(ctx, v, depth));
  }
  ctx.indentationLvl -= 2;
  if (value.size > ctx.maxArrayLength) output.push(`... ${value.size - ctx.maxArrayLength} more item${value.size - ctx.maxArrayLength > 1 ? 's' : ''}`);
  return output;
}

function formatMap(ctx, value, depth) {
  const output = [];
  ctx.indentationLvl += 2;
  let n = 0;
  for (const [k, v] of value) {
    if (n++ >= ctx.maxArrayLength) break;
    output.push(`${formatValue(ctx, k, depth)} => ${formatValue(ctx, v, depth)}`);
  }
  ctx.indentationLvl -= 2;
  if (value.size > ctx.maxArrayLength) output.push(`... ${value.size - ctx.maxArrayLength} more item${value.size - ctx.maxArrayLength > 1 ? 's' : ''}`);
  return output;
}

const BOXES = [[Number, 'Number'], [String, 'String'], [Boolean, 'Boolean'], [Symbol, 'Symbol'], [BigInt, 'BigInt']];
function boxKind(value) {
  for (const [C, name] of BOXES) {
    try { C.prototype.valueOf.call(value); return name; } catch { /* not this kind */ }
  }
  return undefined;
}
function isBoxed(value) { return boxKind(value) !== undefined; }
function boxedBase(ctx, value, constructor, tag) {
  const kind = boxKind(value);
  const inner = Object(value).valueOf();
  let base = `[${kind}`;
  if (kind !== constructor) base += constructor === null ? ' (null prototype)' : ` (${constructor})`;
  base += `: ${formatPrimitive({ ...ctx, maxStringLength: Infinity }, inner)}]`;
  if (tag !== '' && tag !== constructor) base += ` [${tag}]`;
  return base;
}

function inspect(value, opts) {
  const ctx = { ...INSPECT_DEFAULTS, seen: [], circular: new Map(), indentationLvl: 0, currentDepth: 0 };
  if (arguments.length > 2) {
    if (arguments[2] !== undefined) ctx.depth = arguments[2];
    if (arguments.length > 3 && arguments[3] !== undefined) ctx.colors = arguments[3];
  }
  if (typeof opts === 'boolean') ctx.showHidden = opts;
  else if (opts !== null && typeof opts === 'object') {
    for (const key of Object.keys(opts)) {
      if (Object.hasOwn(INSPECT_DEFAULTS, key) || key === 'stylize') ctx[key] = opts[key];
    }
  }
  if (ctx.maxArrayLength === null) ctx.maxArrayLength = Infinity;
  if (ctx.maxStringLength === null) ctx.maxStringLength = Infinity;
  if (ctx.depth === Infinity) ctx.depth = null;
  return formatValue(ctx, value, 0);
}
inspect.custom = inspectCustom;
Object.defineProperty(inspect, 'defaultOptions', {
  __proto__: null,
  get() { return INSPECT_DEFAULTS; },
  set(options) { Object.assign(INSPECT_DEFAULTS, options); },
});
inspect.colors = { __proto__: null, bold: [1, 22], italic: [3, 23], underline: [4, 24], inverse: [7, 27], white: [37, 39], grey: [90, 39], black: [30, 39], blue: [34, 39], cyan: [36, 39], green: [32, 39], magenta: [35, 39], red: [31, 39], yellow: [33, 39], gray: [90, 39], dim: [2, 22], reset: [0, 0], strikethrough: [9, 29], hidden: [8, 28], bgRed: [41, 49], bgGreen: [42, 49], bgYellow: [43, 49], bgBlue: [44, 49] };
inspect.styles = { __proto__: null, special: 'cyan', number: 'yellow', bigint: 'yellow', boolean: 'yellow', undefined: 'grey', null: 'bold', string: 'green', symbol: 'green', date: 'magenta', regexp: 'red', module: 'underline' };
