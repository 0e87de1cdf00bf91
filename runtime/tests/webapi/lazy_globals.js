// Globals whose Web APIs load on first use: before they are touched they
// show as before (`in`, enumeration order, `crypto` enumerable), loading one
// group loads the groups it needs, Worker code that replaces or deletes a
// global before its group loads keeps its change, and a Response read whole
// loads no streams. The accessors show only through __lookupGetter__:
// asking for a global's descriptor loads its group first. `env.PRELOADED`
// names the globals whose groups the engine evaluated with the prelude
// (V8's startup snapshot has the events and URL groups): those are plain
// data properties from the start.
import { suite, eq, throws } from './harness.js';

const LAZY = [
  'ReadableStream', 'WritableStream', 'TransformStream', 'ByteLengthQueuingStrategy',
  'CountQueuingStrategy', 'ReadableStreamBYOBReader', 'crypto', 'Crypto', 'CryptoKey',
  'SubtleCrypto', 'TextEncoderStream', 'TextDecoderStream', 'CompressionStream',
  'DecompressionStream', 'URLPattern', 'Blob', 'File', 'FormData', 'structuredClone', 'console',
  'ScheduledController', 'ScheduledEvent', 'ErrorEvent', 'fetch', 'URLSearchParams', 'Performance',
  'performance', 'Navigator', 'navigator', 'TextEncoder', 'TextDecoder', 'CustomEvent',
  'HTMLRewriter', 'IdentityTransformStream', 'FixedLengthStream', 'scheduler', 'DOMException',
  'Event', 'EventTarget', 'AbortSignal', 'AbortController', 'FetchEvent', 'URL',
];
// The events group's (DOMException, Event, EventTarget, AbortSignal,
// AbortController, FetchEvent) and URL's.
const EVENTS = ['DOMException', 'Event', 'EventTarget', 'AbortSignal', 'AbortController', 'FetchEvent'];
const isAccessor = name => typeof globalThis.__lookupGetter__(name) === 'function';
const preloaded = env => new Set(env.PRELOADED.split(' '));

// Taken before anything is touched.
const namesBefore = Object.getOwnPropertyNames(globalThis);
const keysBefore = Object.keys(globalThis);
const inBefore = LAZY.map(name => name in globalThis);
const accessorsBefore = LAZY.map(isAccessor);
const enumerableBefore = LAZY.filter(name => Object.prototype.propertyIsEnumerable.call(globalThis, name));

// Worker code changes some before their groups load: a group's own classes
// stay its own (AbortSignal extends the EventTarget of its group).
globalThis.URLPattern = 'replaced';
globalThis.EventTarget = 'replaced';
delete globalThis.CountQueuingStrategy;
TransformStreamDefaultController = 'assigned';

export default suite(test => {
  test('nothing loaded before first use', env => {
    eq(inBefore, LAZY.map(() => true));
    eq(accessorsBefore, LAZY.map(name => !preloaded(env).has(name)));
    eq(enumerableBefore, ['crypto']);
    eq(keysBefore.includes('crypto'), true);
  });
  test('a Response read whole loads no streams, events or URL', async env => {
    const lazy = name => name !== 'EventTarget' && !preloaded(env).has(name);
    eq(await new Response('whole').text(), 'whole');
    eq([...EVENTS, 'URL'].map(isAccessor), [...EVENTS, 'URL'].map(lazy));
    eq(await new Request('https://x/', { method: 'POST', body: 'abc' }).text(), 'abc');
    eq(isAccessor('ReadableStream'), true);
    eq(isAccessor('Blob'), true);
    eq(EVENTS.map(isAccessor), EVENTS.map(lazy));
  });
  test("a Request's signal loads the events group", env => {
    eq(isAccessor('AbortSignal'), !preloaded(env).has('AbortSignal'));
    const { signal } = new Request('https://x/');
    eq(EVENTS.map(isAccessor), EVENTS.map(() => false));
    eq([signal instanceof AbortSignal, signal.aborted, typeof AbortController], [true, false, 'function']);
    eq(EventTarget, 'replaced');
    eq(typeof signal.addEventListener, 'function');
    eq(Object.prototype.toString.call(Object.getPrototypeOf(AbortSignal.prototype)), '[object EventTarget]');
    const controller = new AbortController();
    let fired = 0;
    controller.signal.onabort = () => { fired++; };
    controller.abort();
    eq([fired, controller.signal.reason instanceof DOMException, controller.signal.reason.name, controller.signal.reason.code],
      [1, true, 'AbortError', 20]);
    eq([typeof FetchEvent, FetchEvent.prototype instanceof Event, typeof Event, typeof DOMException],
      ['function', true, 'function', 'function']);
    throws(() => atob('*'), DOMException);
  });
  test('URL loads on first use', () => {
    eq(isAccessor('URL'), false); // new Request(url) above parsed its URL
    eq([typeof URL, new URL('/a?b', 'https://x/').href, URL.canParse('nope')], ['function', 'https://x/a?b', false]);
  });
  test('a descriptor of a global loads its group first', () => {
    eq(isAccessor('structuredClone'), true);
    const d = Object.getOwnPropertyDescriptor(globalThis, 'structuredClone');
    eq(['value' in d, typeof d.value, d.writable, d.enumerable], [true, 'function', true, false]);
    eq(isAccessor('structuredClone'), false);
    eq(typeof Reflect.getOwnPropertyDescriptor(globalThis, 'DecompressionStream').value, 'function');
    eq(isAccessor('CompressionStream'), false);
    eq(Object.getOwnPropertyDescriptor({ a: 1 }, 'a').value, 1);
    eq(Reflect.getOwnPropertyDescriptor({ a: 2 }, 'a').value, 2);
    eq(Object.getOwnPropertyDescriptor.length, 2);
  });
  test('a group loads the groups it needs', async () => {
    // The text streams group (loaded above) loaded the streams group and
    // TextEncoder/TextDecoder's.
    eq(isAccessor('ReadableStream'), false);
    eq([isAccessor('TextEncoder'), isAccessor('TextDecoder')], [false, false]);
    eq(new TextDecoder().decode(new TextEncoder().encode('é')), 'é');
    eq(new CompressionStream('gzip').readable instanceof ReadableStream, true);
    eq(isAccessor('Blob'), true);
    // Blob's stream() and a Response's body from a FormData cross groups.
    const stream = new Blob(['ab', 'c']).stream();
    eq(stream instanceof ReadableStream, true);
    eq(isAccessor('FormData'), false);
    const form = new FormData();
    form.append('k', 'v');
    eq(await new Response(form).formData().then(f => f.get('k')), 'v');
    const blob = await new Response(new Blob(['xyz'])).blob();
    eq(blob instanceof Blob, true);
    eq(await blob.text(), 'xyz');
  });
  test('structuredClone sees the loaded groups', async () => {
    const file = structuredClone(new File(['f'], 'a.txt'));
    eq([file instanceof File, file.name, await file.text()], [true, 'a.txt', 'f']);
    throws(() => structuredClone(new ReadableStream()), DOMException);
    throws(() => structuredClone(new Headers()), DOMException);
  });
  test('crypto loads and stays enumerable', async () => {
    eq(typeof crypto.randomUUID(), 'string');
    eq(isAccessor('crypto'), false);
    const d = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
    eq([d.enumerable, d.writable, d.configurable, 'value' in d], [true, true, true, true]);
    eq(crypto.subtle instanceof SubtleCrypto, true);
    eq(new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(0)))[0], 0xe3);
  });
  test('an exception reported to a listener loads ErrorEvent', () => {
    eq(isAccessor('ErrorEvent'), true);
    let seen;
    const listener = e => { seen = e; e.preventDefault(); };
    addEventListener('error', listener);
    try {
      reportError(new Error('reported'));
    } finally {
      removeEventListener('error', listener);
    }
    eq(isAccessor('ErrorEvent'), false);
    eq([seen instanceof ErrorEvent, seen.message, seen.error.message], [true, 'Uncaught Error: reported', 'reported']);
  });
  test('fetch and the scheduled event globals load on first use', async () => {
    eq([isAccessor('fetch'), isAccessor('ScheduledController'), isAccessor('ScheduledEvent')], [true, true, true]);
    const response = await fetch('data:text/plain,lazy');
    eq(await response.text(), 'lazy');
    eq(isAccessor('fetch'), false);
    eq(typeof ScheduledEvent, 'function');
    eq(isAccessor('ScheduledController'), false);
    eq(ScheduledController, ScheduledEvent);
    eq(Object.prototype.toString.call(ScheduledController.prototype), '[object ScheduledController]');
  });
  test("a URL's searchParams loads URLSearchParams", async () => {
    eq(isAccessor('URLSearchParams'), true);
    const url = new URL('https://x/?a=1');
    url.search = '?a=2';
    eq(isAccessor('URLSearchParams'), true);
    const params = url.searchParams;
    eq(isAccessor('URLSearchParams'), false);
    eq([params instanceof URLSearchParams, params.get('a')], [true, '2']);
    params.append('b', '3');
    eq(url.href, 'https://x/?a=2&b=3');
    url.search = '?c=4';
    eq([...params.keys()], ['c']);
    eq(await new Response(params).text(), 'c=4');
  });
  test('CustomEvent loads on first use', () => {
    eq(isAccessor('CustomEvent'), true);
    // The EventTarget the Worker replaced, as AbortSignal extends it.
    const target = new (Object.getPrototypeOf(AbortSignal))();
    let detail;
    target.addEventListener('x', e => { detail = e.detail; });
    target.dispatchEvent(new CustomEvent('x', { detail: 7 }));
    eq([isAccessor('CustomEvent'), detail], [false, 7]);
    eq(new CustomEvent('y') instanceof Event, true);
  });
  test('performance and navigator load on first use', () => {
    eq(['Performance', 'performance', 'Navigator', 'navigator'].map(isAccessor), [true, true, true, true]);
    eq(typeof performance.now(), 'number');
    eq(['Performance', 'performance', 'Navigator', 'navigator'].map(isAccessor), [false, false, false, false]);
    eq([performance instanceof Performance, navigator instanceof Navigator], [true, true]);
    eq(typeof navigator.userAgent, 'string');
  });
  test('Worker changes made before loading are kept', () => {
    eq(URLPattern, 'replaced');
    eq(EventTarget, 'replaced');
    eq('CountQueuingStrategy' in globalThis, false);
    eq(TransformStreamDefaultController, 'assigned');
    eq(typeof ByteLengthQueuingStrategy, 'function');
  });
  test('loaded globals are plain data properties, in the same order', () => {
    for (const name of LAZY) {
      if (name === 'CountQueuingStrategy' || name === 'EventTarget') continue;
      const d = Object.getOwnPropertyDescriptor(globalThis, name);
      eq(['value' in d, d.writable, d.configurable, d.enumerable], [true, true, true, name === 'crypto'], name);
    }
    eq(Object.getOwnPropertyNames(globalThis), namesBefore.filter(n => n !== 'CountQueuingStrategy'));
    eq(Object.keys(globalThis), keysBefore);
    eq(typeof URLPattern === 'string' && typeof WritableStreamDefaultWriter, 'function');
    eq(Object.getOwnPropertyDescriptor(globalThis, 'EventTarget'),
      { value: 'replaced', writable: true, enumerable: false, configurable: true });
  });
});
