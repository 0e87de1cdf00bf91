// console: the Console Standard's namespace (logging, assert, table, dir,
// counting, grouping, timing). Values are formatted by console_format.js;
// each call logs one line, indented by the open groups.
//
// Ops used: `console(level, text)` (the host logs `text` at `level`:
// 'log' (console.log, logged as info), 'info', 'warn', 'error' or 'debug',
// with the Worker's name; Tail Workers see the level as given) and
// `perf_now()` (milliseconds since the isolate started) for the timers.
const consoleCounts = new Map();
const consoleTimers = new Map();
let consoleGroups = 0;
// One line is cut at this many characters (16 KiB, the size at which
// common log collectors split lines), the indentation at this many group
// levels. The host drops lines past the Worker's log rate.
const CONSOLE_LINE_MAX = 16384;
const CONSOLE_INDENT_MAX = 32;

function consolePrint(level, text) {
  // Only what can be shown is indented; `cut` counts what is not shown.
  let line = text.length > CONSOLE_LINE_MAX ? text.slice(0, CONSOLE_LINE_MAX) : text;
  let cut = text.length - line.length;
  if (consoleGroups > 0) {
    const indent = '  '.repeat(Math.min(consoleGroups, CONSOLE_INDENT_MAX));
    line = indent + line.replace(/\n/g, `\n${indent}`);
  }
  if (line.length > CONSOLE_LINE_MAX) {
    cut += line.length - CONSOLE_LINE_MAX;
    line = line.slice(0, CONSOLE_LINE_MAX);
  }
  if (cut > 0) line += `... ${cut} more characters`;
  op('console', level, line);
}

// The Console Standard's Logger: nothing for no arguments, else the
// arguments formatted.
function consoleLog(level, data) {
  if (data.length > 0) consolePrint(level, formatArgs(data));
}

// A label argument: a DOMString, 'default' when left out.
function consoleLabel(label) {
  return label === undefined ? 'default' : `${label}`;
}

function consoleTimer(label, data, end) {
  const start = consoleTimers.get(label);
  if (start === undefined) {
    consolePrint('warn', `Timer '${label}' does not exist`);
    return;
  }
  if (end) consoleTimers.delete(label);
  const ms = Math.round((op('perf_now') - start) * 1000) / 1000;
  consolePrint('info', printArgs([`${label}: ${ms} ms`, ...data]));
}

function consoleStack() {
  const stack = String(new Error().stack || '');
  return stack.split('\n').filter(l => /^\s+at /.test(l) && !l.includes('motu:prelude')).join('\n');
}

// console.table: the rows are the own enumerable properties of the data
// (the first INSPECT_ITEMS), the columns the keys of object rows (or
// `properties`), with a Values column for the rows that are primitives.
function consoleTable(data, properties) {
  const rowKeys = Array.isArray(data) ? [] : Object.keys(data);
  const rowCount = Array.isArray(data) ? data.length : rowKeys.length;
  const shown = Math.min(rowCount, INSPECT_ITEMS);
  const columns = properties ? [...properties] : [];
  const known = new Set(columns);
  let values = false;
  const rows = [];
  for (let i = 0; i < shown; i++) {
    const key = Array.isArray(data) ? i : rowKeys[i];
    const row = data[key];
    const cells = new Map();
    if (row !== null && (typeof row === 'object' || typeof row === 'function')) {
      for (const k of Object.keys(row).slice(0, INSPECT_ITEMS)) {
        if (!properties && !known.has(k) && known.size < INSPECT_ITEMS) { known.add(k); columns.push(k); }
        if (known.has(k)) cells.set(k, inspectValue(row[k], INSPECT_DEPTH, { seen: [], left: 10, quoteTop: true }));
      }
    } else {
      values = true;
      cells.set(null, inspect(row, true));
    }
    rows.push([String(key), cells]);
  }
  const head = ['(index)', ...columns, ...(values ? ['Values'] : [])];
  const body = rows.map(([key, cells]) => [
    key, ...columns.map(c => cells.get(c) ?? ''), ...(values ? [cells.get(null) ?? ''] : []),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map(r => r[c].length)) + 2);
  const rule = (l, m, r) => l + widths.map(w => '─'.repeat(w)).join(m) + r;
  const line = cells => `│${cells.map((s, c) => ` ${s}${' '.repeat(widths[c] - s.length - 1)}`).join('│')}│`;
  const out = [rule('┌', '┬', '┐'), line(head), rule('├', '┼', '┤'), ...body.map(line), rule('└', '┴', '┘')];
  if (rowCount > shown) out.push(`... ${rowCount - shown} more rows`);
  return out.join('\n');
}

const console = {
  __proto__: {},
  assert(condition = false, ...data) {
    if (condition) return;
    const message = 'Assertion failed';
    if (data.length === 0) data.push(message);
    else if (typeof data[0] === 'string') data[0] = `${message}: ${data[0]}`;
    else data.unshift(message);
    consoleLog('error', data);
  },
  clear() { consoleGroups = 0; },
  debug(...data) { consoleLog('debug', data); },
  error(...data) { consoleLog('error', data); },
  info(...data) { consoleLog('info', data); },
  log(...data) { consoleLog('log', data); },
  table(tabularData = undefined, properties = undefined) {
    let columns;
    if (properties !== undefined) {
      if (properties === null || typeof properties !== 'object') throw new TypeError('console.table: properties must be a sequence');
      columns = Array.from(properties, p => `${p}`);
    }
    if (tabularData === null || typeof tabularData !== 'object') consoleLog('info', [tabularData]);
    else consolePrint('info', consoleTable(tabularData, columns));
  },
  trace(...data) {
    const label = data.length > 0 ? `Trace: ${formatArgs(data)}` : 'Trace';
    const stack = consoleStack();
    consolePrint('info', stack ? `${label}\n${stack}` : label);
  },
  warn(...data) { consoleLog('warn', data); },
  dir(item = undefined, options = undefined) {
    if (options !== undefined && options !== null && typeof options !== 'object' && typeof options !== 'function') {
      throw new TypeError('console.dir: options must be an object');
    }
    consolePrint('info', inspect(item, true));
  },
  dirxml(...data) {
    if (data.length > 0) consolePrint('info', data.map(d => inspect(d, true)).join(' '));
  },
  count(label = 'default') {
    label = consoleLabel(label);
    const n = (consoleCounts.get(label) || 0) + 1;
    consoleCounts.set(label, n);
    consolePrint('info', `${label}: ${n}`);
  },
  countReset(label = 'default') {
    label = consoleLabel(label);
    if (consoleCounts.has(label)) consoleCounts.set(label, 0);
    else consolePrint('warn', `Count for '${label}' does not exist`);
  },
  group(...data) {
    if (data.length > 0) consolePrint('info', formatArgs(data));
    consoleGroups++;
  },
  groupCollapsed(...data) {
    if (data.length > 0) consolePrint('info', formatArgs(data));
    consoleGroups++;
  },
  groupEnd() { if (consoleGroups > 0) consoleGroups--; },
  time(label = 'default') {
    label = consoleLabel(label);
    if (consoleTimers.has(label)) consolePrint('warn', `Timer '${label}' already exists`);
    else consoleTimers.set(label, op('perf_now'));
  },
  timeLog(label = 'default', ...data) { consoleTimer(consoleLabel(label), data, false); },
  timeEnd(label = 'default') { consoleTimer(consoleLabel(label), [], true); },
};
Object.defineProperty(console, Symbol.toStringTag, { value: 'console', configurable: true });
defineGlobal('console', console);
