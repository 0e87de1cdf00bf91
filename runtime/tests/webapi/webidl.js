// Web IDL's rules for interfaces, checked on a sample of the globals:
// enumerable attributes and operations, constructor and operation lengths,
// @@toStringTag, pair iterators, brand checks and required arguments.
import { suite, eq, throws } from './harness.js';

// [interface, constructor length, members whose length is checked]
const SAMPLE = [
  ['URL', 1, { toJSON: 0 }],
  ['URLSearchParams', 0, { append: 2, delete: 1, get: 1, getAll: 1, has: 1, set: 2, sort: 0, forEach: 1 }],
  ['Headers', 0, { append: 2, delete: 1, get: 1, getSetCookie: 0, has: 1, set: 2, forEach: 1 }],
  ['FormData', 0, { append: 2, delete: 1, get: 1, getAll: 1, has: 1, set: 2, forEach: 1 }],
  ['Blob', 0, { slice: 0, stream: 0, text: 0, arrayBuffer: 0, bytes: 0 }],
  ['File', 2, {}],
  ['Event', 1, { composedPath: 0, stopPropagation: 0, preventDefault: 0, initEvent: 1 }],
  ['EventTarget', 0, { addEventListener: 2, removeEventListener: 2, dispatchEvent: 1 }],
  ['AbortController', 0, { abort: 0 }],
  ['AbortSignal', 0, { throwIfAborted: 0 }],
  ['ReadableStream', 0, { cancel: 0, getReader: 0, pipeThrough: 1, pipeTo: 1, tee: 0, values: 0 }],
  ['WritableStream', 0, { abort: 0, close: 0, getWriter: 0 }],
  ['TransformStream', 0, {}],
  ['CountQueuingStrategy', 1, {}],
  ['TextEncoder', 0, { encode: 0, encodeInto: 2 }],
  ['TextDecoder', 0, { decode: 0 }],
  ['TextEncoderStream', 0, {}],
  ['CompressionStream', 1, {}],
  ['Performance', 0, { now: 0, toJSON: 0 }],
  ['Crypto', 0, { getRandomValues: 1, randomUUID: 0 }],
  ['SubtleCrypto', 0, { digest: 2 }],
  ['CryptoKey', 0, {}],
  ['Request', 1, { clone: 0 }],
  ['Response', 0, { clone: 0 }],
  ['DOMException', 0, {}],
];

// The string-keyed members of a prototype, without `constructor`.
const members = proto => Object.getOwnPropertyNames(proto).filter(k => k !== 'constructor');

export default suite(test => {
  test('attributes and operations on prototypes are enumerable', () => {
    const bad = [];
    for (const [name] of SAMPLE) {
      const proto = globalThis[name].prototype;
      const keys = members(proto);
      if (keys.length === 0 && name !== 'File' && name !== 'DOMException') bad.push(`${name} has no members`);
      for (const key of keys) {
        if (!Object.getOwnPropertyDescriptor(proto, key).enumerable) bad.push(`${name}.prototype.${key}`);
      }
    }
    eq(bad, []);
  });

  test('static operations are enumerable', () => {
    for (const [cls, key] of [[URL, 'parse'], [URL, 'canParse'], [Response, 'json'], [Response, 'error'],
      [Response, 'redirect'], [AbortSignal, 'abort'], [AbortSignal, 'timeout'], [AbortSignal, 'any'],
      [ReadableStream, 'from']]) {
      eq(Object.getOwnPropertyDescriptor(cls, key).enumerable, true, `${cls.name}.${key}`);
    }
    eq(Object.keys(URL).sort(), ['canParse', 'parse'], 'URL statics');
  });

  test('constructors and operations have Web IDL lengths', () => {
    const bad = [];
    for (const [name, length, ops] of SAMPLE) {
      const cls = globalThis[name];
      if (cls.length !== length) bad.push(`${name}.length is ${cls.length}, not ${length}`);
      for (const [op, n] of Object.entries(ops)) {
        const got = cls.prototype[op].length;
        if (got !== n) bad.push(`${name}.prototype.${op}.length is ${got}, not ${n}`);
      }
    }
    eq(bad, []);
  });

  test('prototypes carry @@toStringTag, not enumerable, not writable', () => {
    for (const [name] of SAMPLE) {
      const desc = Object.getOwnPropertyDescriptor(globalThis[name].prototype, Symbol.toStringTag);
      eq(desc && [desc.value, desc.enumerable, desc.writable, desc.configurable], [name, false, false, true], name);
    }
    eq(Object.prototype.toString.call(new URL('http://a/')), '[object URL]');
    eq(Object.prototype.toString.call(new Headers()), '[object Headers]');
    eq(Object.prototype.toString.call(performance), '[object Performance]');
  });

  test('pair iterators: @@iterator is entries, and not enumerable', () => {
    for (const cls of [Headers, URLSearchParams, FormData]) {
      const desc = Object.getOwnPropertyDescriptor(cls.prototype, Symbol.iterator);
      eq(desc.value === cls.prototype.entries, true, `${cls.name} @@iterator`);
      eq([desc.enumerable, desc.writable, desc.configurable], [false, true, true], `${cls.name} @@iterator`);
    }
    eq([...new URLSearchParams('a=1&b=2')], [['a', '1'], ['b', '2']]);
  });

  test('for-in over an instance sees the interface members', () => {
    const keys = [];
    for (const k in new URL('http://a/')) keys.push(k);
    eq(['href', 'origin', 'searchParams', 'toJSON', 'toString'].every(k => keys.includes(k)), true, keys.join());
    eq(Object.keys(new URL('http://a/')), [], 'no own properties');
  });

  test('operations with too few arguments throw TypeError', () => {
    const params = new URLSearchParams('a=1');
    for (const key of ['append', 'delete', 'get', 'getAll', 'has', 'set']) {
      throws(() => params[key](), TypeError, `URLSearchParams.${key}()`);
    }
    throws(() => params.append('a'), TypeError, 'URLSearchParams.append(a)');
    const headers = new Headers();
    for (const key of ['append', 'delete', 'get', 'has', 'set']) {
      throws(() => headers[key](), TypeError, `Headers.${key}()`);
    }
    const form = new FormData();
    for (const key of ['delete', 'get', 'getAll', 'has']) throws(() => form[key](), TypeError, `FormData.${key}()`);
    throws(() => URL.parse(), TypeError, 'URL.parse()');
    throws(() => URL.canParse(), TypeError, 'URL.canParse()');
    throws(() => new TextEncoder().encodeInto('a'), TypeError, 'encodeInto(a)');
    eq(URL.parse('nope'), null);
    eq(URL.canParse('http://a/'), true);
  });

  test('attributes and operations check their receiver', () => {
    const getter = (cls, key) => Object.getOwnPropertyDescriptor(cls.prototype, key).get;
    throws(() => getter(TextEncoder, 'encoding').call({}), TypeError, 'TextEncoder.encoding');
    throws(() => TextEncoder.prototype.encode.call({}, 'a'), TypeError, 'TextEncoder.encode');
    throws(() => getter(TextEncoderStream, 'encoding').call(TextEncoderStream.prototype), TypeError, 'TextEncoderStream.encoding');
    throws(() => getter(Performance, 'timeOrigin').call({}), TypeError, 'Performance.timeOrigin');
    throws(() => Performance.prototype.now.call({}), TypeError, 'Performance.now');
    throws(() => Performance.prototype.toJSON.call({}), TypeError, 'Performance.toJSON');
    throws(() => getter(Request, 'duplex').call(Request.prototype), TypeError, 'Request.duplex');
    throws(() => EventTarget.prototype.addEventListener.call(null, 'x', null), TypeError, 'addEventListener');
    throws(() => EventTarget.prototype.removeEventListener.call({}, 'x', null), TypeError, 'removeEventListener');
    const cancelBubble = Object.getOwnPropertyDescriptor(Event.prototype, 'cancelBubble').set;
    throws(() => cancelBubble.call({}, false), TypeError, 'Event.cancelBubble');
    eq(new TextEncoder().encoding, 'utf-8');
    eq(typeof performance.timeOrigin, 'number');
    eq(performance.toJSON().timeOrigin, performance.timeOrigin);
  });

  test('accessors are named get/set <attribute>', () => {
    const onabort = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'onabort');
    eq([onabort.get.name, onabort.set.name, onabort.enumerable], ['get onabort', 'set onabort', true]);
    eq(Object.getOwnPropertyDescriptor(URL.prototype, 'href').get.name, 'get href');
    eq(Object.getOwnPropertyDescriptor(new Event('x'), 'isTrusted').get.name, 'get isTrusted');
  });
});
