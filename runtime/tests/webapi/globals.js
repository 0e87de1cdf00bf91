import { suite, eq, throws } from './harness.js';

function domError(fn, name) {
  try { fn(); } catch (e) {
    eq([e instanceof DOMException, e.name], [true, name]);
    return;
  }
  throw new Error(`did not throw ${name}`);
}

export default suite(test => {
  test('atob and btoa', () => {
    eq(btoa('hello'), 'aGVsbG8=');
    eq(btoa('\xff\xfe'), '//4=');
    eq(btoa(''), '');
    eq(atob('aGVsbG8='), 'hello');
    eq(atob(' aGVs\nbG8 '), 'hello');
    eq(atob('aGVsbG8'), 'hello');
    eq(atob('//4='), '\xff\xfe');
    // Whitespace all through an input of several 64 KiB slices, and
    // padding split from its group by whitespace.
    eq(atob('aGVs bG8g\n'.repeat(30000)), 'hello '.repeat(30000));
    eq(atob('aGVsbG8' + ' '.repeat(70000) + '='), 'hello');
    domError(() => atob('aGVsbG8g'.repeat(10000) + ' '.repeat(70000) + 'a'), 'InvalidCharacterError');
    eq(atob(null), '\x9e\xe9e');
    domError(() => btoa('☃'), 'InvalidCharacterError');
    domError(() => atob('a'), 'InvalidCharacterError');
    domError(() => atob('aGVsbG8=='), 'InvalidCharacterError');
    domError(() => atob('a*bc'), 'InvalidCharacterError');
    throws(() => atob(), TypeError);
  });
  test('structuredClone of plain data, with cycles', () => {
    const o = { n: 1, s: 'x', b: true, u: undefined, nul: null, big: 10n, arr: [1, , 3], nested: { d: new Date(5) } };
    o.self = o;
    o.arr.extra = 'prop';
    const c = structuredClone(o);
    eq(c === o, false);
    eq(c.self === c, true);
    eq([c.n, c.s, c.b, c.u, c.nul, c.big === 10n, c.arr.length, 1 in c.arr, c.arr.extra], [1, 'x', true, undefined, null, true, 3, false, 'prop']);
    eq(c.nested.d instanceof Date && c.nested.d.getTime(), 5);
    const shared = {};
    const pair = structuredClone([shared, shared]);
    eq(pair[0] === pair[1], true);
    eq(structuredClone(-0) === 0 && 1 / structuredClone(-0), -Infinity);
  });
  test('structuredClone of built-ins', () => {
    const m = new Map([[{ k: 1 }, new Set([1, 2])]]);
    const mc = structuredClone(m);
    eq([...mc.values()].map(s => [...s]), [[1, 2]]);
    const r = structuredClone(/a+b/gi);
    eq([r instanceof RegExp, r.source, r.flags], [true, 'a+b', 'gi']);
    eq(typeof structuredClone(new String('s')), 'object');
    eq(structuredClone(new Number(4)).valueOf(), 4);
    eq(structuredClone(Object(false)).valueOf(), false);
    const buf = new Uint8Array([1, 2, 3, 4]).buffer;
    const views = structuredClone({ a: new Uint16Array(buf, 2, 1), b: new DataView(buf), buf });
    eq(views.a.buffer === views.buf && views.b.buffer === views.buf, true);
    eq([views.a.constructor.name, views.a.byteOffset, views.a.length, views.b.byteLength], ['Uint16Array', 2, 1, 4]);
    eq(new Uint8Array(buf)[0], 1, 'the original is untouched');
    const e = structuredClone(new RangeError('bad'));
    eq([e instanceof RangeError, e.message], [true, 'bad']);
    const custom = new Error('c');
    custom.name = 'Custom';
    eq(structuredClone(custom).name, 'Error');
    const d = structuredClone(new DOMException('m', 'DataCloneError'));
    eq([d instanceof DOMException, d.name, d.message], [true, 'DataCloneError', 'm']);
  });
  test('structuredClone of resizable buffers (engines that have them)', () => {
    if (typeof ArrayBuffer.prototype.resize !== 'function') return;
    const ab = new ArrayBuffer(4, { maxByteLength: 64 });
    new Uint8Array(ab).set([1, 2, 3, 4]);
    const copy = structuredClone(ab);
    eq([copy.resizable, copy.maxByteLength, [...new Uint8Array(copy)]], [true, 64, [1, 2, 3, 4]]);
    const moved = structuredClone(ab, { transfer: [ab] });
    eq([ab.byteLength, moved.resizable, moved.maxByteLength, moved.byteLength], [0, true, 64, 4]);
    const shrinking = new ArrayBuffer(16, { maxByteLength: 64 });
    const view = new DataView(shrinking, 8);
    shrinking.resize(0);
    const e = throws(() => structuredClone(view), DOMException, 'out-of-bounds DataView');
    eq(e.name, 'DataCloneError');
  });
  test('structuredClone refuses what cannot be cloned', () => {
    domError(() => structuredClone(() => 1), 'DataCloneError');
    domError(() => structuredClone({ s: Symbol('x') }), 'DataCloneError');
    domError(() => structuredClone(Promise.resolve()), 'DataCloneError');
    domError(() => structuredClone(new WeakMap()), 'DataCloneError');
    domError(() => structuredClone(new Headers()), 'DataCloneError');
    domError(() => structuredClone(new EventTarget()), 'DataCloneError');
    throws(() => structuredClone(), TypeError);
  });
  test('structuredClone transfers ArrayBuffers', () => {
    const buf = new Uint8Array([7, 8, 9]).buffer;
    const view = new Uint8Array(buf, 1);
    const c = structuredClone({ buf, view }, { transfer: [buf] });
    eq(buf.byteLength, 0, 'detached');
    eq([...new Uint8Array(c.buf)], [7, 8, 9]);
    eq([...c.view], [8, 9]);
    eq(c.view.buffer === c.buf, true);
    domError(() => structuredClone(buf, { transfer: [buf] }), 'DataCloneError');
    const b2 = new ArrayBuffer(1);
    domError(() => structuredClone(1, { transfer: [b2, b2] }), 'DataCloneError');
    domError(() => structuredClone(1, { transfer: [{}] }), 'DataCloneError');
    throws(() => structuredClone(1, { transfer: 5 }), TypeError);
  });
  test('ArrayBuffer transfer on every engine', () => {
    const a = new Uint8Array([1, 2, 3]).buffer;
    const b = a.transfer();
    eq([a.detached, a.byteLength, b.detached, [...new Uint8Array(b)]], [true, 0, false, [1, 2, 3]]);
    throws(() => a.transfer(), TypeError);
    const c = b.transfer(5);
    eq([...new Uint8Array(c)], [1, 2, 3, 0, 0]);
    eq([...new Uint8Array(c.transfer(1))], [1]);
    throws(() => new ArrayBuffer(1).transfer(-1), RangeError);
    throws(() => ArrayBuffer.prototype.transfer.call({}), TypeError);
  });
  test('performance and navigator', async () => {
    const t1 = performance.now();
    await new Promise(r => setTimeout(r, 5));
    const t2 = performance.now();
    eq(t1 >= 0 && t2 > t1, true, `monotonic ${t1} ${t2}`);
    eq(Math.abs(performance.timeOrigin + t2 - Date.now()) < 1000, true);
    eq(performance.toJSON().timeOrigin, performance.timeOrigin);
    eq(performance instanceof Performance, true);
    eq(navigator.userAgent, 'Cloudflare-Workers');
    eq(navigator.hardwareConcurrency, 1);
    throws(() => new Performance(), TypeError);
  });
  test('queueMicrotask and timers exist', () => {
    for (const name of ['queueMicrotask', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval']) {
      eq(typeof globalThis[name], 'function', name);
    }
    throws(() => queueMicrotask(5), TypeError);
  });
});
