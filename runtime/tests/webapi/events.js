import { suite, eq, throws } from './harness.js';

export default suite(test => {
  test('Event construction and flags', () => {
    const e = new Event('ping', { bubbles: true, cancelable: true });
    eq([e.type, e.bubbles, e.cancelable, e.composed, e.eventPhase, e.defaultPrevented], ['ping', true, true, false, 0, false]);
    eq(e.isTrusted, false);
    eq(Object.getOwnPropertyDescriptor(e, 'isTrusted').configurable, false);
    eq(typeof e.timeStamp, 'number');
    eq([Event.NONE, Event.CAPTURING_PHASE, Event.AT_TARGET, Event.BUBBLING_PHASE], [0, 1, 2, 3]);
    e.preventDefault();
    eq([e.defaultPrevented, e.returnValue], [true, false]);
    const u = new Event('x');
    u.preventDefault();
    eq(u.defaultPrevented, false, 'not cancelable');
    throws(() => new Event(), TypeError);
    throws(() => new Event('x', 5), TypeError);
    eq(Object.prototype.toString.call(e), '[object Event]');
  });
  test('isTrusted: an own unforgeable accessor, true only for events the platform fires', () => {
    const a = new Event('x');
    const d = Object.getOwnPropertyDescriptor(a, 'isTrusted');
    eq([typeof d.get, d.set, d.enumerable, d.configurable], ['function', undefined, true, false]);
    eq(Object.getOwnPropertyDescriptor(new CustomEvent('y'), 'isTrusted').get === d.get, true, 'one getter for every event');
    eq(Object.getOwnPropertyDescriptor(new MessageEvent('m'), 'isTrusted').get === d.get, true, 'and for subclasses');
    eq(Object.hasOwn(Event.prototype, 'isTrusted'), false);
    throws(() => { delete a.isTrusted; }, TypeError);
    throws(() => { a.isTrusted = true; }, TypeError);
    throws(() => Object.defineProperty(a, 'isTrusted', { value: true }), TypeError);
    eq(a.isTrusted, false);
    eq(typeof globalThis.__motu_define_getter, 'undefined', 'the engine helper is not left on the global');
    // Dispatched by script: still untrusted; fired by the platform: trusted.
    const t = new EventTarget();
    let seen;
    t.addEventListener('x', e => { seen = e.isTrusted; });
    t.dispatchEvent(a);
    eq(seen, false);
    const controller = new AbortController();
    controller.signal.addEventListener('abort', e => { seen = e.isTrusted; });
    controller.abort();
    eq(seen, true);
    eq(a.isTrusted, false);
  });
  test('CustomEvent carries detail', () => {
    const e = new CustomEvent('c', { detail: { n: 1 } });
    eq(e.detail, { n: 1 });
    eq(e instanceof Event, true);
    eq(new CustomEvent('d').detail, null);
  });
  test('dispatch order: capture listeners first, at the target', () => {
    const t = new EventTarget();
    const seen = [];
    t.addEventListener('go', e => seen.push(['bubble', e.eventPhase, e.target === t, e.currentTarget === t]));
    t.addEventListener('go', () => seen.push(['capture']), { capture: true });
    t.addEventListener('go', { handleEvent(e) { seen.push(['object', this !== t]); } });
    const e = new Event('go');
    eq(t.dispatchEvent(e), true);
    eq(seen, [['capture'], ['bubble', 2, true, true], ['object', true]]);
    eq([e.eventPhase, e.currentTarget, e.target === t], [0, null, true]);
  });
  test('duplicates, removal, once, passive and cancellation', () => {
    const t = new EventTarget();
    let n = 0;
    const f = () => n++;
    t.addEventListener('a', f);
    t.addEventListener('a', f);
    t.addEventListener('a', f, true);
    t.dispatchEvent(new Event('a'));
    eq(n, 2, 'same callback with and without capture');
    t.removeEventListener('a', f, { capture: true });
    t.dispatchEvent(new Event('a'));
    eq(n, 3);
    t.removeEventListener('a', f);
    let once = 0;
    t.addEventListener('o', () => once++, { once: true });
    t.dispatchEvent(new Event('o'));
    t.dispatchEvent(new Event('o'));
    eq(once, 1);
    t.addEventListener('p', e => e.preventDefault(), { passive: true });
    eq(t.dispatchEvent(new Event('p', { cancelable: true })), true, 'passive cannot cancel');
    t.addEventListener('q', e => e.preventDefault());
    eq(t.dispatchEvent(new Event('q', { cancelable: true })), false);
  });
  test('stopImmediatePropagation and removal during dispatch', () => {
    const t = new EventTarget();
    const seen = [];
    const second = () => seen.push(2);
    t.addEventListener('s', () => { seen.push(1); t.removeEventListener('s', second); });
    t.addEventListener('s', second);
    t.addEventListener('s', e => { seen.push(3); e.stopImmediatePropagation(); });
    t.addEventListener('s', () => seen.push(4));
    t.dispatchEvent(new Event('s'));
    eq(seen, [1, 3]);
    const c = [];
    t.addEventListener('c', e => { c.push('capture'); e.stopPropagation(); }, true);
    t.addEventListener('c', () => c.push('bubble'));
    t.dispatchEvent(new Event('c'));
    eq(c, ['capture']);
  });
  test('a throwing listener is reported, the next still runs', () => {
    const t = new EventTarget();
    let after = false;
    t.addEventListener('x', () => { throw new Error('boom'); });
    t.addEventListener('x', { handleEvent: 5 });
    t.addEventListener('x', () => { after = true; });
    eq(t.dispatchEvent(new Event('x')), true);
    eq(after, true);
  });
  test('dispatching twice at once, or bad arguments', () => {
    const t = new EventTarget();
    const e = new Event('r');
    let inner;
    t.addEventListener('r', () => { try { t.dispatchEvent(e); } catch (err) { inner = err; } });
    t.dispatchEvent(e);
    eq([inner instanceof DOMException, inner && inner.name], [true, 'InvalidStateError']);
    throws(() => t.dispatchEvent({ type: 'r' }), TypeError);
    throws(() => t.addEventListener('r'), TypeError);
    throws(() => t.addEventListener('r', 5), TypeError);
    throws(() => EventTarget.prototype.addEventListener.call({}, 'r', () => {}), TypeError);
    t.addEventListener('r', null);
  });
  test('a signal removes its listener', () => {
    const t = new EventTarget();
    const c = new AbortController();
    let n = 0;
    t.addEventListener('x', () => n++, { signal: c.signal });
    t.dispatchEvent(new Event('x'));
    c.abort();
    t.dispatchEvent(new Event('x'));
    eq(n, 1);
    t.addEventListener('x', () => n++, { signal: AbortSignal.abort() });
    t.dispatchEvent(new Event('x'));
    eq(n, 1);
    throws(() => t.addEventListener('x', () => {}, { signal: {} }), TypeError);
  });
  test('subclassing EventTarget', () => {
    class Emitter extends EventTarget { ping() { return this.dispatchEvent(new CustomEvent('ping', { detail: 7 })); } }
    const em = new Emitter();
    let got;
    em.addEventListener('ping', e => { got = e.detail; });
    em.ping();
    eq(got, 7);
  });
  test('FetchEvent is an Event', () => {
    const e = new FetchEvent('fetch', { request: new Request('http://a.example/') });
    eq([e instanceof Event, e.type, e.request.url], [true, 'fetch', 'http://a.example/']);
  });
});
