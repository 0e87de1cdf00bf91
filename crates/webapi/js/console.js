// console: formats its arguments readably and hands one line to the host's
// `console(level, text)` op, which logs it with the Worker's name.
const inspect = (() => {
  function quote(s) { return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`; }
  function inner(v, depth, seen) {
    switch (typeof v) {
      case 'string': return depth === 0 ? v : quote(v);
      case 'number': return Object.is(v, -0) ? '-0' : String(v);
      case 'bigint': return `${v}n`;
      case 'symbol': return v.toString();
      case 'undefined': return 'undefined';
      case 'boolean': return String(v);
      case 'function': return `[Function: ${v.name || '(anonymous)'}]`;
    }
    if (v === null) return 'null';
    if (seen.includes(v)) return '[Circular]';
    if (v instanceof Error) return v.stack && String(v.stack).includes(v.message) ? String(v.stack) : `${v.name}: ${v.message}${v.stack ? '\n' + v.stack : ''}`;
    if (depth > 3) return Array.isArray(v) ? '[Array]' : '[Object]';
    const next = seen.concat([v]);
    const nested = x => inner(x, depth + 1, next);
    if (Array.isArray(v)) return `[ ${v.map(nested).join(', ')} ]`.replace('[  ]', '[]');
    if (v instanceof Map) return `Map(${v.size}) { ${[...v].map(([k, x]) => `${nested(k)} => ${nested(x)}`).join(', ')} }`;
    if (v instanceof Set) return `Set(${v.size}) { ${[...v].map(nested).join(', ')} }`;
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return `${v.constructor.name}(${v.length}) [ ${Array.from(v).join(', ')} ]`;
    if (v instanceof Date) return isNaN(v) ? 'Invalid Date' : v.toISOString();
    if (v instanceof RegExp) return String(v);
    if (typeof v.then === 'function') return 'Promise { <pending> }';
    const name = v.constructor && v.constructor !== Object && v.constructor.name ? `${v.constructor.name} ` : '';
    const custom = v[Symbol.for('motu.inspect')];
    if (typeof custom === 'function') return `${name}${custom.call(v, nested)}`;
    const keys = Object.keys(v);
    if (keys.length === 0) return `${name}{}`;
    return `${name}{ ${keys.map(k => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k)}: ${nested(v[k])}`).join(', ')} }`;
  }
  return v => inner(v, 0, []);
})();

function formatLog(args) {
  return args.map(a => inspect(a)).join(' ');
}

const console = {};
for (const [method, level] of [
  ['log', 'info'], ['info', 'info'], ['warn', 'warn'], ['error', 'error'],
  ['debug', 'debug'], ['trace', 'trace'],
]) {
  console[method] = function (...args) { op('console', level, formatLog(args)); };
}
defineGlobal('console', console);
