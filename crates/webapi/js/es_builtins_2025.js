// ECMAScript 2025 and 2026 built-ins for an engine that lacks them (the V8
// of Debian's libnode, 10.2), as the V8 of Cloudflare Workers and QuickJS
// have them: `Promise.try`, `RegExp.escape`, `Math.f16round`,
// `Math.sumPrecise`, and DataView's `getFloat16` and `setFloat16`.
// Installed with es_builtins.js, each only where missing.
//
// `Math.sumPrecise` adds exactly: the values are kept as a list of
// non-overlapping partial sums (each addition split into its rounded sum
// and the error it dropped, which is itself a double), and only the final
// total is rounded, once. A partial sum past the largest double is carried
// as a count of 2^1024 beside the list, so the total is exact even where
// an intermediate sum is not representable; only the total may overflow.

function installEs2025Builtins() {
  install(Promise, {
    // Calls `callbackfn(...args)` at once; its result or what it threw
    // settles the promise.
    try(callbackfn, ...args) {
      const { promise, resolve, reject } = promiseCapability(this, 'Promise.try');
      let value;
      let threw = false;
      try {
        value = Reflect.apply(callbackfn, undefined, args);
      } catch (e) {
        threw = true;
        value = e;
      }
      (threw ? reject : resolve)(value);
      return promise;
    },
  });

  // RegExp.escape: characters that mean something in a pattern are escaped,
  // as are a leading digit or letter (which could extend an escape written
  // before it), punctuators, white space, line terminators and lone
  // surrogates.
  const SYNTAX = '^$\\.*+?()[]{}|/';
  const CONTROL = { '\t': 't', '\n': 'n', '\v': 'v', '\f': 'f', '\r': 'r' };
  const PUNCTUATORS = ',-=<>#&!%:;@~\'`"';
  const SPACE = /^[\s\uFEFF]$/;
  const hex = (n, width) => n.toString(16).padStart(width, '0');
  const escapeCodePoint = c => {
    if (SYNTAX.includes(c)) return `\\${c}`;
    if (CONTROL[c] !== undefined) return `\\${CONTROL[c]}`;
    const n = c.codePointAt(0);
    const surrogate = c.length === 1 && n >= 0xd800 && n <= 0xdfff;
    if (PUNCTUATORS.includes(c) || SPACE.test(c) || surrogate) {
      if (n <= 0xff) return `\\x${hex(n, 2)}`;
      let out = '';
      for (let i = 0; i < c.length; i++) out += `\\u${hex(c.charCodeAt(i), 4)}`;
      return out;
    }
    return c;
  };
  install(RegExp, {
    escape(string) {
      if (typeof string !== 'string') throw new TypeError('RegExp.escape requires a string');
      let out = '';
      for (const c of string) {
        if (out === '' && /^[0-9A-Za-z]$/.test(c)) out = `\\x${hex(c.charCodeAt(0), 2)}`;
        else out += escapeCodePoint(c);
      }
      return out;
    },
  });

  // The nearest half-precision value (ties to even), rounded once from the
  // double: 10 bits after the leading one, exponents from -14 (below that,
  // subnormal steps of 2^-24); 65520 and above round to Infinity.
  const f16round = x => {
    const v = +x;
    if (Number.isNaN(v) || v === 0 || !Number.isFinite(v)) return v;
    const a = Math.abs(v);
    if (a >= 65520) return v > 0 ? Infinity : -Infinity;
    let e = Math.floor(Math.log2(a));
    if (2 ** e > a) e -= 1;
    else if (2 ** (e + 1) <= a) e += 1;
    const step = 2 ** (Math.max(e, -14) - 10);
    const q = a / step;
    let n = Math.floor(q);
    const rest = q - n;
    if (rest > 0.5 || (rest === 0.5 && n % 2 === 1)) n += 1;
    const r = n * step;
    return v < 0 ? -r : r;
  };

  // ToIndex: a whole number from 0 to 2^53 - 1, else a RangeError.
  const toIndex = v => {
    const n = v === undefined ? 0 : Math.trunc(+v) || 0;
    if (n < 0 || n > 2 ** 53 - 1) throw new RangeError('Offset is outside the bounds of the DataView');
    return n;
  };

  // x + y as the rounded sum and the exact error the rounding dropped
  // (|x| >= |y|).
  const twoSum = (x, y) => {
    const hi = x + y;
    return [hi, y - (hi - x)];
  };
  const HALF_OVERFLOW = 2 ** 1023;
  const MAX = Number.MAX_VALUE;
  const MAX_HALF_ULP = 2 ** 970;

  // Adds the finite `x` into `partials` (non-overlapping, smallest first);
  // returns the change in the count of 2^1024 carried beside them.
  const addPartial = (partials, x) => {
    let carried = 0;
    let kept = 0;
    for (let i = 0; i < partials.length; i++) {
      let y = partials[i];
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      let [hi, lo] = twoSum(x, y);
      if (!Number.isFinite(hi)) {
        const sign = hi > 0 ? 1 : -1;
        carried += sign;
        x = x - sign * HALF_OVERFLOW - sign * HALF_OVERFLOW;
        if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
        [hi, lo] = twoSum(x, y);
      }
      if (lo !== 0) partials[kept++] = lo;
      x = hi;
    }
    partials.length = kept;
    if (x !== 0) partials.push(x);
    return carried;
  };

  // The exact sum of `partials` and `carried` times 2^1024, rounded once.
  const roundedTotal = (partials, carried) => {
    let n = partials.length - 1;
    let hi = 0;
    let lo = 0;
    if (carried !== 0) {
      const next = n >= 0 ? partials[n--] : 0;
      if (Math.abs(carried) > 1 || Math.sign(next) === Math.sign(carried)) return carried * Infinity;
      // One 2^1024 less something: halved, so that it can be added.
      [hi, lo] = twoSum(carried * HALF_OVERFLOW, next / 2);
      lo *= 2;
      if (!Number.isFinite(hi * 2)) {
        // Half a step short of 2^1024 rounds to the largest double only if
        // the rest pulls it back toward zero.
        const back = n >= 0 && Math.sign(partials[n]) === -Math.sign(hi);
        if (Math.abs(hi) === HALF_OVERFLOW && lo === -Math.sign(hi) * MAX_HALF_ULP && back) return Math.sign(hi) * MAX;
        return Math.sign(hi) * Infinity;
      }
      if (lo !== 0) {
        partials[++n] = lo;
        lo = 0;
      }
      hi *= 2;
    }
    while (n >= 0) {
      [hi, lo] = twoSum(hi, partials[n--]);
      if (lo !== 0) break;
    }
    // A dropped error of exactly half a step: the next partial decides
    // which way the total rounds.
    if (n >= 0 && Math.sign(lo) === Math.sign(partials[n]) && lo !== 0) {
      const y = lo * 2;
      const x = hi + y;
      if (x - hi === y) hi = x;
    }
    return hi;
  };

  // Half precision in a DataView: the 16 bits of a value rounded as
  // f16round rounds it, and back.
  const halfToDouble = bits => {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const fraction = bits & 0x3ff;
    if (exponent === 0) return sign * fraction * 2 ** -24;
    if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
    return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  };
  const doubleToHalf = value => {
    if (Number.isNaN(value)) return 0x7e00;
    const r = f16round(value);
    const sign = r < 0 || Object.is(r, -0) ? 0x8000 : 0;
    const a = Math.abs(r);
    if (a === Infinity) return sign | 0x7c00;
    if (a < 2 ** -14) return sign | (a / 2 ** -24);
    let e = Math.floor(Math.log2(a));
    if (2 ** e > a) e -= 1;
    else if (2 ** (e + 1) <= a) e += 1;
    return sign | ((e + 15) << 10) | (a / 2 ** e * 1024 - 1024);
  };
  const { getUint16, setUint16 } = DataView.prototype;
  const dataViewLength = Object.getOwnPropertyDescriptor(DataView.prototype, 'byteLength').get;
  install(DataView.prototype, {
    getFloat16(byteOffset, littleEndian = undefined) {
      return halfToDouble(Reflect.apply(getUint16, this, [byteOffset, littleEndian]));
    },
    setFloat16(byteOffset, value, littleEndian = undefined) {
      // The receiver, then the index, then the value, as the specification
      // converts them; the rest is setUint16's.
      if (typeof this !== 'object' || this === null) throw new TypeError('setFloat16 called on a non-DataView');
      Reflect.apply(dataViewLength, this, []);
      const index = toIndex(byteOffset);
      const bits = doubleToHalf(+value);
      return Reflect.apply(setUint16, this, [index, bits, littleEndian]);
    },
  });

  install(Math, {
    f16round(x) {
      return f16round(x);
    },
    sumPrecise(items) {
      if (items === undefined || items === null) throw new TypeError(`${String(items)} is not iterable`);
      const method = items[Symbol.iterator];
      if (typeof method !== 'function') throw new TypeError(`${String(items)} is not iterable`);
      const iterator = Reflect.apply(method, items, []);
      if (!isObject(iterator)) throw new TypeError('Result of the Symbol.iterator method is not an object');
      const next = iterator.next;
      const partials = [];
      let carried = 0;
      let count = 0;
      let zeroes = 0;
      let nan = false;
      let plus = false;
      let minus = false;
      for (;;) {
        const step = Reflect.apply(next, iterator, []);
        if (!isObject(step)) throw new TypeError(`Iterator result ${String(step)} is not an object`);
        if (step.done) break;
        const value = step.value;
        if (typeof value !== 'number') {
          const error = new TypeError('Math.sumPrecise takes numbers only');
          // IteratorClose: the TypeError wins over anything `return` throws.
          try {
            const close = iterator.return;
            if (close !== undefined && close !== null) Reflect.apply(close, iterator, []);
          } catch {}
          throw error;
        }
        count += 1;
        if (Number.isNaN(value)) nan = true;
        else if (value === Infinity) plus = true;
        else if (value === -Infinity) minus = true;
        else if (Object.is(value, -0)) zeroes += 1;
        else if (!nan && !plus && !minus) carried += addPartial(partials, value);
      }
      if (nan || (plus && minus)) return NaN;
      if (plus) return Infinity;
      if (minus) return -Infinity;
      if (zeroes === count) return -0;
      return roundedTotal(partials, carried);
    },
  });
}

installEs2025Builtins();
