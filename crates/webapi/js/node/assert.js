// node:assert and node:assert/strict — every assertion Node.js documents,
// throwing AssertionError (code ERR_ASSERTION, with actual, expected,
// operator, generatedMessage) with Node's messages: `1 !== 2`, the
// `+ actual - expected` line diff of both values inspected one entry per
// line, "Values have same structure but are not reference-equal", and the
// rest. A message given by the caller is the error's message (an Error
// given as message is thrown itself). `assert.ok` without an argument
// says so; given a falsy value and no message it cannot quote the
// caller's source as Node.js does and says "The expression evaluated to a
// falsy value". Long diffs are not shortened with `...`. Uses node:util.

const { module: util, deepEqual: deepEqualWith } = nodeGroup('util');
const { inspect, isDeepStrictEqual } = util;
const looselyDeepEqual = (a, b) => deepEqualWith(a, b, false, new Map());

class AssertionError extends Error {
  constructor(options) {
    if (options === null || typeof options !== 'object') {
      const e = new TypeError('The "options" argument must be of type object.');
      e.code = 'ERR_INVALID_ARG_TYPE';
      throw e;
    }
    const { message, actual, expected, operator } = options;
    super(message !== undefined ? String(message) : generatedMessage(actual, expected, operator));
    this.generatedMessage = message === undefined;
    Object.defineProperty(this, 'name', { __proto__: null, value: 'AssertionError', writable: true, configurable: true, enumerable: false });
    this.code = 'ERR_ASSERTION';
    this.actual = actual;
    this.expected = expected;
    this.operator = operator;
  }
  toString() { return `${this.name} [${this.code}]: ${this.message}`; }
}

const show = v => inspect(v, { compact: false, customInspect: false, depth: 1000, maxArrayLength: Infinity, sorted: true, getters: true });
const showShort = v => inspect(v);

// The lines of `a` and `b` as Node's diff shows them: common lines
// indented, lines only in actual with `+`, only in expected with `-`.
function lineDiff(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  const n = x.length;
  const m = y.length;
  const lcs = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const out = [];
  let plus = [];
  let minus = [];
  const flush = () => { out.push(...plus, ...minus); plus = []; minus = []; };
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) { flush(); out.push(`  ${x[i]}`); i++; j++; }
    else if (j >= m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1])) { plus.push(`+ ${x[i]}`); i++; }
    else { minus.push(`- ${y[j]}`); j++; }
  }
  flush();
  return out.join('\n');
}

const HEADERS = {
  deepStrictEqual: 'Expected values to be strictly deep-equal:',
  strictEqual: 'Expected values to be strictly equal:',
  partialDeepStrictEqual: 'Expected values to be partially and strictly deep-equal:',
};

function generatedMessage(actual, expected, operator) {
  if (operator === 'deepStrictEqual' || operator === 'strictEqual') {
    const a = show(actual);
    const b = show(expected);
    if (operator === 'strictEqual' && a === b && (typeof actual === 'object' && actual !== null || typeof actual === 'function')) {
      return `Values have same structure but are not reference-equal:\n\n${a}\n`;
    }
    const primitive = v => typeof v !== 'object' || v === null;
    if (primitive(actual) && primitive(expected) && !a.includes('\n') && !b.includes('\n') && a.length + b.length <= 12) {
      return `${HEADERS[operator]}\n\n${a} !== ${b}\n`;
    }
    return `${HEADERS[operator]}\n+ actual - expected\n\n${lineDiff(a, b)}`;
  }
  if (operator === 'deepEqual') return `Expected values to be loosely deep-equal:\n\n${show(actual)}\n\nshould loosely deep-equal\n\n${show(expected)}`;
  if (operator === 'notDeepStrictEqual') return `Expected "actual" not to be strictly deep-equal to:\n\n${show(actual)}\n`;
  if (operator === 'notDeepEqual') return `Expected "actual" not to be loosely deep-equal to:\n\n${show(actual)}\n`;
  if (operator === 'notStrictEqual') {
    const a = show(actual);
    return a.includes('\n') ? `Expected "actual" not to be strictly equal to:\n\n${a}\n` : `Expected "actual" to be strictly unequal to: ${a}`;
  }
  if (operator === 'fail') return 'Failed';
  return `${showShort(actual)} ${operator} ${showShort(expected)}`;
}

// Throws the AssertionError of `fields`: with the caller's `message`
// (thrown itself when it is an Error), else `generated` (or the message
// the operator makes), marked as generated.
function raise(message, fields, generated = undefined) {
  if (message instanceof Error) throw message;
  const err = new AssertionError({ ...fields, message: message ?? generated });
  err.generatedMessage = message === undefined;
  throw err;
}

function ok(...args) {
  if (args.length === 0) raise(undefined, { actual: undefined, expected: true, operator: '==' }, 'No value argument passed to `assert.ok()`');
  if (!args[0]) raise(args[1], { actual: args[0], expected: true, operator: '==' }, 'The expression evaluated to a falsy value');
}

function assert(...args) { ok(...args); }

function fail(message = undefined) {
  raise(message, { operator: 'fail' }, 'Failed');
}

const loosely = (a, b) => a == b || (a !== a && b !== b); // eslint-disable-line eqeqeq

function equal(actual, expected, message) {
  if (!loosely(actual, expected)) raise(message, { actual, expected, operator: '==' });
}
function notEqual(actual, expected, message) {
  if (loosely(actual, expected)) raise(message, { actual, expected, operator: '!=' });
}
function strictEqual(actual, expected, message) {
  if (!Object.is(actual, expected)) raise(message, { actual, expected, operator: 'strictEqual' });
}
function notStrictEqual(actual, expected, message) {
  if (Object.is(actual, expected)) raise(message, { actual, expected, operator: 'notStrictEqual' });
}
function deepStrictEqual(actual, expected, message) {
  if (!isDeepStrictEqual(actual, expected)) raise(message, { actual, expected, operator: 'deepStrictEqual' });
}
function notDeepStrictEqual(actual, expected, message) {
  if (isDeepStrictEqual(actual, expected)) raise(message, { actual, expected, operator: 'notDeepStrictEqual' });
}
function deepEqual(actual, expected, message) {
  if (!looselyDeepEqual(actual, expected)) raise(message, { actual, expected, operator: 'deepEqual' });
}
function notDeepEqual(actual, expected, message) {
  if (looselyDeepEqual(actual, expected)) raise(message, { actual, expected, operator: 'notDeepEqual' });
}

function match(string, regexp, message) {
  checkRegExp(regexp);
  if (typeof string !== 'string' || !regexp.test(string)) {
    raise(message, { actual: string, expected: regexp, operator: 'match' }, (typeof string !== 'string'
      ? `The "string" argument must be of type string. Received type ${typeof string} (${showShort(string)})`
      : `The input did not match the regular expression ${regexp}. Input:\n\n${showShort(string)}\n`));
  }
}
function doesNotMatch(string, regexp, message) {
  checkRegExp(regexp);
  if (typeof string !== 'string' || regexp.test(string)) {
    raise(message, { actual: string, expected: regexp, operator: 'doesNotMatch' }, (typeof string !== 'string'
      ? `The "string" argument must be of type string. Received type ${typeof string} (${showShort(string)})`
      : `The input was expected to not match the regular expression ${regexp}. Input:\n\n${showShort(string)}\n`));
  }
}
function checkRegExp(regexp) {
  if (!(regexp instanceof RegExp)) {
    const e = new TypeError(`The "regexp" argument must be an instance of RegExp.`);
    e.code = 'ERR_INVALID_ARG_TYPE';
    throw e;
  }
}

// Whether the thrown `actual` satisfies `expected` (a class, a RegExp, a
// validation function or an object of properties); throws the assertion
// error when it does not.
function checkError(actual, expected, message, operator) {
  if (expected === undefined) return;
  if (expected instanceof RegExp) {
    if (expected.test(String(actual))) return;
    raise(message, { actual, expected, operator }, `The input did not match the regular expression ${expected}. Input:\n\n${showShort(String(actual))}\n`);
  }
  if (typeof expected === 'function') {
    if (expected.prototype !== undefined && actual instanceof expected) return;
    if (Error.isPrototypeOf(expected) || expected === Error) {
      const got = actual?.constructor?.name ?? typeof actual;
      raise(message, { actual, expected, operator }, `The error is expected to be an instance of "${expected.name}". Received "${got}"\n\nError message:\n\n${actual?.message}`);
    }
    if (expected.call({}, actual) === true) return;
    raise(message, { actual, expected, operator }, `The ${expected.name ? `"${expected.name}" validation function` : 'validation function'} is expected to return "true". Received ${showShort(expected.call({}, actual))}`);
  }
  if (typeof expected === 'object' && expected !== null) {
    const keys = Object.keys(expected);
    if (expected instanceof Error) keys.push('name', 'message');
    for (const key of keys) {
      const want = expected[key];
      const got = actual?.[key];
      const same = want instanceof RegExp && typeof got === 'string' ? want.test(got) : isDeepStrictEqual(got, want);
      if (!same) {
        const a = {};
        const b = {};
        for (const k of keys) { a[k] = actual?.[k]; b[k] = expected[k]; }
        const err = new AssertionError({ message, actual, expected, operator });
        if (message === undefined) {
          err.message = `${HEADERS.deepStrictEqual}\n+ actual - expected\n\n${lineDiff(show(a).replace(/^Object/, 'Comparison'), show(b).replace(/^Object/, 'Comparison'))}`.replace(/\n  \{/, '\n  Comparison {');
        }
        throw err;
      }
    }
  }
}

function getThrown(fn) {
  if (typeof fn !== 'function') {
    const e = new TypeError(`The "fn" argument must be of type function. Received ${showShort(fn)}`);
    e.code = 'ERR_INVALID_ARG_TYPE';
    throw e;
  }
  try { fn(); } catch (e) { return { threw: true, error: e }; }
  return { threw: false };
}

function throws(fn, expected, message) {
  if (typeof expected === 'string') { message = expected; expected = undefined; }
  const r = getThrown(fn);
  if (!r.threw) {
    let text = 'Missing expected exception';
    if (expected?.name && typeof expected === 'function') text += ` (${expected.name})`;
    raise(message === undefined ? `${text}.` : `${text}: ${message}`, { actual: undefined, expected, operator: 'throws' });
  }
  checkError(r.error, expected, message, 'throws');
}

function doesNotThrow(fn, expected, message) {
  if (typeof expected === 'string') { message = expected; expected = undefined; }
  const r = getThrown(fn);
  if (!r.threw) return;
  if (typeof expected === 'function' && expected.prototype !== undefined && !(r.error instanceof expected)) throw r.error;
  raise(`Got unwanted exception${message ? `: ${message}` : '.'}\nActual message: "${r.error?.message}"`, { actual: r.error, expected, operator: 'doesNotThrow' });
}

async function settle(promiseFn) {
  const p = typeof promiseFn === 'function' ? promiseFn() : promiseFn;
  if (!(p && typeof p.then === 'function')) {
    const e = new TypeError('The "promiseFn" argument must be of type function or an instance of Promise.');
    e.code = 'ERR_INVALID_RETURN_VALUE';
    throw e;
  }
  try { await p; } catch (e) { return { threw: true, error: e }; }
  return { threw: false };
}

async function rejects(promiseFn, expected, message) {
  if (typeof expected === 'string') { message = expected; expected = undefined; }
  const r = await settle(promiseFn);
  if (!r.threw) {
    let text = 'Missing expected rejection';
    if (expected?.name && typeof expected === 'function') text += ` (${expected.name})`;
    raise(message === undefined ? `${text}.` : `${text}: ${message}`, { actual: undefined, expected, operator: 'rejects' });
  }
  checkError(r.error, expected, message, 'rejects');
}

async function doesNotReject(promiseFn, expected, message) {
  if (typeof expected === 'string') { message = expected; expected = undefined; }
  const r = await settle(promiseFn);
  if (!r.threw) return;
  raise(`Got unwanted rejection${message ? `: ${message}` : '.'}\nActual message: "${r.error?.message}"`, { actual: r.error, expected, operator: 'doesNotReject' });
}

function ifError(value) {
  if (value === null || value === undefined) return;
  let text = 'ifError got unwanted exception: ';
  text += typeof value === 'object' && typeof value.message === 'string'
    ? (value.message.length === 0 && value.constructor ? value.constructor.name : value.message)
    : showShort(value);
  const err = new AssertionError({ actual: value, expected: null, operator: 'ifError', message: text });
  err.generatedMessage = false;
  throw err;
}

Object.assign(assert, {
  ok, fail, equal, notEqual, strictEqual, notStrictEqual, deepEqual, notDeepEqual,
  deepStrictEqual, notDeepStrictEqual, match, doesNotMatch, throws, doesNotThrow,
  rejects, doesNotReject, ifError, AssertionError,
});
assert.assert = assert;

function strict(...args) { ok(...args); }
Object.assign(strict, assert, {
  equal: strictEqual, notEqual: notStrictEqual, deepEqual: deepStrictEqual, notDeepEqual: notDeepStrictEqual,
});
strict.strict = strict;
assert.strict = strict;

const module = assert;
