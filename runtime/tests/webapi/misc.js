import { suite, eq, throws } from './harness.js';

export default suite(test => {
  test('self is the global scope', () => {
    eq(self === globalThis, true);
    eq(typeof self.fetch, 'function');
  });
  test('DOMException', () => {
    const e = new DOMException('stopped', 'AbortError');
    eq(e.name, 'AbortError');
    eq(e.message, 'stopped');
    eq(e.code, 20);
    eq(DOMException.ABORT_ERR, 20);
    eq(e instanceof Error, true);
    eq(Object.prototype.toString.call(e), '[object DOMException]');
    eq(new DOMException().name, 'Error');
    eq(new DOMException('x', 'NoSuchName').code, 0);
    eq(String(new DOMException('bad', 'SyntaxError')), 'SyntaxError: bad');
  });
  test('TextEncoder and TextDecoder', () => {
    const bytes = new TextEncoder().encode('héllo ✓');
    eq(bytes instanceof Uint8Array, true);
    eq(bytes.length, 10);
    eq(new TextDecoder().decode(bytes), 'héllo ✓');
    eq(new TextDecoder().decode(new Uint8Array([0x61, 0xff])), 'a\ufffd');
    throws(() => new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff])), TypeError);
    throws(() => new TextDecoder('klingon'), RangeError);
    const into = new Uint8Array(4);
    eq(new TextEncoder().encodeInto('aé✓', into), { read: 2, written: 3 });
  });
  test('timers run in order and can be cleared', async () => {
    const order = [];
    await new Promise(resolve => {
      setTimeout(() => order.push('b'), 20);
      setTimeout(() => order.push('a'), 1);
      const never = setTimeout(() => order.push('never'), 5);
      clearTimeout(never);
      let n = 0;
      const id = setInterval(() => { order.push('i' + ++n); if (n === 2) clearInterval(id); }, 2);
      setTimeout(resolve, 60);
    });
    eq(order.includes('never'), false);
    eq(order.filter(x => x.startsWith('i')), ['i1', 'i2']);
    eq(order.indexOf('a') < order.indexOf('b'), true);
  });
  test('queueMicrotask runs before timers', async () => {
    const order = [];
    await new Promise(resolve => {
      setTimeout(() => { order.push('timer'); resolve(); }, 0);
      queueMicrotask(() => order.push('micro'));
    });
    eq(order, ['micro', 'timer']);
  });
  test('code generation from strings is refused by default', () => {
    throws(() => eval('1 + 1'), Error, 'eval');
    throws(() => new Function('return 1'), Error, 'new Function');
  });
  test('globals have web-like shapes', () => {
    eq(Object.prototype.toString.call(new Headers()), '[object Headers]');
    eq(typeof globalThis.__motu_op, 'undefined');
    eq(Object.keys(globalThis).includes('Response'), false);
    eq(typeof console.log, 'function');
  });
});
