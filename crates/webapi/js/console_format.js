// Console formatting: how console shows values. `inspect(value, quoteTop)`
// shows one value readably; `formatArgs(args)` is the Console Standard's
// Formatter (the specifiers %s %d %i %f %o %O %c of a leading string, then
// the other arguments inspected, joined by spaces); `printArgs(args)` is its
// Printer (each argument inspected, joined by spaces). `%s` shows an object
// inspected (as Node and browsers do) where the standard's String() would
// give `[object Object]`.
//
// Formatting is bounded, so that logging a huge or deeply nested value costs
// little: at most INSPECT_ITEMS entries of one array, typed array, object,
// Map or Set, at most INSPECT_BUDGET entries of one value in all, nesting
// to INSPECT_DEPTH, nested strings cut at INSPECT_STRING characters. A
// getter is shown, never called. Uses no ops.
const INSPECT_DEPTH = 3;
const INSPECT_ITEMS = 100;
const INSPECT_BUDGET = 1000;
const INSPECT_STRING = 10000;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function inspectQuote(s) {
  const cut = s.length > INSPECT_STRING;
  const shown = cut ? s.slice(0, INSPECT_STRING) : s;
  const body = shown.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n');
  return `'${body}'${cut ? `... ${s.length - INSPECT_STRING} more characters` : ''}`;
}

function inspectKey(k) {
  return typeof k === 'symbol' ? `[${k.toString()}]` : IDENTIFIER.test(k) ? k : inspectQuote(k);
}

// The entries `item(i)` for i < count, shown within the item cap and the
// value's budget, `more` naming what was left out.
function inspectList(count, item, state, more = 'items') {
  const parts = [];
  let i = 0;
  for (; i < count && i < INSPECT_ITEMS && state.left > 0; i++, state.left--) parts.push(item(i));
  if (i < count) parts.push(`... ${count - i} more ${more}`);
  return parts;
}

function inspectBraces(prefix, parts, open = '{', close = '}') {
  return parts.length === 0 ? `${prefix}${open}${close}` : `${prefix}${open} ${parts.join(', ')} ${close}`;
}

function inspectArray(v, nested, state) {
  const length = v.length;
  const parts = [];
  // Runs of holes are looked at up to a bound too (a sparse array may be
  // billions of holes long).
  const scanEnd = Math.min(length, INSPECT_ITEMS * 100);
  let i = 0;
  while (i < scanEnd && parts.length < INSPECT_ITEMS && state.left > 0) {
    state.left--;
    if (i in v) {
      parts.push(nested(v[i]));
      i++;
    } else {
      let holes = 0;
      while (i < scanEnd && !(i in v)) { i++; holes++; }
      parts.push(`<${holes} empty item${holes === 1 ? '' : 's'}>`);
    }
  }
  if (i < length) parts.push(`... ${length - i} more items`);
  return inspectBraces('', parts, '[', ']');
}

function inspectProperty(v, key, nested) {
  const desc = Object.getOwnPropertyDescriptor(v, key);
  if (!desc) return `${inspectKey(key)}: undefined`;
  if ('value' in desc) return `${inspectKey(key)}: ${nested(desc.value)}`;
  const kind = desc.get && desc.set ? 'Getter/Setter' : desc.get ? 'Getter' : 'Setter';
  return `${inspectKey(key)}: [${kind}]`;
}

function inspectObject(v, depth, state) {
  if (state.seen.includes(v)) return '[Circular]';
  if (v instanceof Error) {
    const stack = typeof v.stack === 'string' ? v.stack : '';
    const head = `${v.name}: ${v.message}`;
    return stack.startsWith(head) || stack.includes(`${head}\n`) ? stack : stack ? `${head}\n${stack}` : head;
  }
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (v instanceof RegExp) return String(v);
  if (v instanceof Promise) return 'Promise {}';
  if (v instanceof WeakMap || v instanceof WeakSet) return `${v instanceof WeakMap ? 'WeakMap' : 'WeakSet'} { <items unknown> }`;
  if (v instanceof ArrayBuffer) return `ArrayBuffer { byteLength: ${v.byteLength} }`;
  if (v instanceof DataView) return `DataView { byteLength: ${v.byteLength}, byteOffset: ${v.byteOffset} }`;
  const proto = Object.getPrototypeOf(v);
  const ctor = proto === null ? null : Object.getOwnPropertyDescriptor(proto, 'constructor');
  const name = proto === null
    ? '[Object: null prototype] '
    : ctor && typeof ctor.value === 'function' && ctor.value !== Object && ctor.value.name ? `${ctor.value.name} ` : '';
  if (depth > INSPECT_DEPTH) return Array.isArray(v) ? '[Array]' : `[${name.trim() || 'Object'}]`;
  state.seen.push(v);
  try {
    const nested = x => inspectValue(x, depth + 1, state);
    if (Array.isArray(v)) return inspectArray(v, nested, state);
    if (ArrayBuffer.isView(v)) {
      return `${name.trim()}(${v.length}) ${inspectBraces('', inspectList(v.length, i => nested(v[i]), state), '[', ']')}`;
    }
    if (v instanceof Map) {
      const it = v.entries();
      const parts = inspectList(v.size, () => { const [k, x] = it.next().value; return `${nested(k)} => ${nested(x)}`; }, state);
      return inspectBraces(`Map(${v.size}) `, parts);
    }
    if (v instanceof Set) {
      const it = v.values();
      return inspectBraces(`Set(${v.size}) `, inspectList(v.size, () => nested(it.next().value), state));
    }
    const custom = v[Symbol.for('motu.inspect')];
    if (typeof custom === 'function') return `${name}${custom.call(v, nested)}`;
    const keys = Object.keys(v);
    for (const s of Object.getOwnPropertySymbols(v)) {
      if (Object.prototype.propertyIsEnumerable.call(v, s)) keys.push(s);
    }
    return inspectBraces(name, inspectList(keys.length, i => inspectProperty(v, keys[i], nested), state, 'properties'));
  } finally {
    state.seen.pop();
  }
}

function inspectValue(v, depth, state) {
  switch (typeof v) {
    case 'string': return depth === 0 && !state.quoteTop ? v : inspectQuote(v);
    case 'number': return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint': return `${v}n`;
    case 'symbol': return v.toString();
    case 'undefined': return 'undefined';
    case 'boolean': return String(v);
    case 'function': return `[Function: ${v.name || '(anonymous)'}]`;
  }
  if (v === null) return 'null';
  return inspectObject(v, depth, state);
}

// Shows `v`; a value whose inspection throws (a revoked proxy, a throwing
// trap) is shown as such rather than failing the console call.
function inspect(v, quoteTop = false) {
  try {
    return inspectValue(v, 0, { seen: [], left: INSPECT_BUDGET, quoteTop });
  } catch {
    return '[uninspectable value]';
  }
}

function printArgs(args) {
  return args.map(a => inspect(a)).join(' ');
}

// One format specifier applied to its argument (Console Standard, Formatter).
function formatSpecifier(c, a) {
  switch (c) {
    case 's': return typeof a === 'string' ? a : typeof a === 'symbol' ? a.toString() : typeof a === 'object' && a !== null ? inspect(a) : String(a);
    case 'd':
    case 'i': return typeof a === 'symbol' ? 'NaN' : String(parseInt(a, 10));
    case 'f': return typeof a === 'symbol' ? 'NaN' : String(parseFloat(a));
    case 'o':
    case 'O': return inspect(a, true);
    default: return ''; // %c: CSS does not apply to a log line.
  }
}

function formatArgs(args) {
  const first = args[0];
  if (typeof first !== 'string' || args.length < 2) return printArgs(args);
  let out = '', from = 0, i = 0, next = 1;
  while ((i = first.indexOf('%', i)) !== -1 && i + 1 < first.length) {
    const c = first[i + 1];
    let piece;
    if (c === '%') piece = '%';
    else if (next < args.length && 'sdifoOc'.includes(c)) piece = formatSpecifier(c, args[next++]);
    else { i += 1; continue; }
    out += first.slice(from, i) + piece;
    i += 2;
    from = i;
  }
  out += first.slice(from);
  const rest = args.slice(next);
  return rest.length === 0 ? out : `${out} ${printArgs(rest)}`;
}

// Kept for the event and timer code that reports uncaught exceptions.
function formatLog(args) {
  return printArgs(args);
}
