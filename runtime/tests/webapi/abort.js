import { suite, eq, throws } from './harness.js';

export default suite(test => {
  test('AbortController aborts once, with a reason', () => {
    const c = new AbortController();
    const s = c.signal;
    eq([s.aborted, s.reason], [false, undefined]);
    s.throwIfAborted();
    const seen = [];
    s.onabort = e => seen.push(['handler', e.type, e.isTrusted]);
    s.addEventListener('abort', () => seen.push(['listener']));
    c.abort('why');
    c.abort('again');
    eq([s.aborted, s.reason], [true, 'why']);
    eq(seen, [['handler', 'abort', true], ['listener']]);
    try { s.throwIfAborted(); throw new Error('did not throw'); } catch (e) { eq(e, 'why'); }
    eq(typeof s.onabort, 'function');
    s.onabort = 5;
    eq(s.onabort, null);
  });
  test('the default reason is an AbortError', () => {
    const c = new AbortController();
    c.abort();
    eq([c.signal.reason instanceof DOMException, c.signal.reason.name], [true, 'AbortError']);
    const s = AbortSignal.abort();
    eq([s.aborted, s.reason.name], [true, 'AbortError']);
    eq(AbortSignal.abort(0).reason, 0);
  });
  test('AbortSignal cannot be constructed', () => {
    throws(() => new AbortSignal(), TypeError);
    eq(new AbortController().signal instanceof EventTarget, true);
    eq(Object.prototype.toString.call(new AbortController().signal), '[object AbortSignal]');
  });
  test('AbortSignal.timeout aborts with a TimeoutError', async () => {
    const s = AbortSignal.timeout(5);
    eq(s.aborted, false);
    await new Promise(resolve => s.addEventListener('abort', resolve));
    eq([s.reason instanceof DOMException, s.reason.name], [true, 'TimeoutError']);
    throws(() => AbortSignal.timeout(-1), TypeError);
    throws(() => AbortSignal.timeout(NaN), TypeError);
    throws(() => AbortSignal.timeout(), TypeError);
  });
  test('AbortSignal.any follows its sources', () => {
    const a = new AbortController(), b = new AbortController();
    const any = AbortSignal.any([a.signal, b.signal]);
    const nested = AbortSignal.any([any]);
    const order = [];
    any.onabort = () => order.push('any');
    nested.onabort = () => order.push('nested');
    a.signal.onabort = () => order.push('a');
    eq(any.aborted, false);
    b.abort('b went');
    eq([any.aborted, any.reason, nested.aborted, nested.reason], [true, 'b went', true, 'b went']);
    a.abort('late');
    eq(any.reason, 'b went');
    eq(order, ['any', 'nested', 'a']);
    const pre = AbortSignal.any([new AbortController().signal, AbortSignal.abort('x')]);
    eq([pre.aborted, pre.reason], [true, 'x']);
    eq(AbortSignal.any([]).aborted, false);
    throws(() => AbortSignal.any([{}]), TypeError);
    throws(() => AbortSignal.any(5), TypeError);
  });
});
