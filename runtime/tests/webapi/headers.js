import { suite, eq, throws } from './harness.js';

export default suite(test => {
  test('case-insensitive and multi-valued', () => {
    const h = new Headers({ 'Content-Type': 'text/plain' });
    h.append('X-A', '1');
    h.append('x-a', '2');
    eq(h.get('content-type'), 'text/plain');
    eq(h.get('X-A'), '1, 2');
    eq(h.has('X-a'), true);
    h.delete('X-A');
    eq(h.get('x-a'), null);
  });
  test('iteration is sorted and combined, set-cookie kept apart', () => {
    const h = new Headers([['b', '2'], ['a', '1'], ['Set-Cookie', 'x=1'], ['set-cookie', 'y=2'], ['b', '3']]);
    eq([...h], [['a', '1'], ['b', '2, 3'], ['set-cookie', 'x=1'], ['set-cookie', 'y=2']]);
    eq(h.getSetCookie(), ['x=1', 'y=2']);
    eq([...h.keys()], ['a', 'b', 'set-cookie', 'set-cookie']);
    const seen = [];
    h.forEach((v, k) => seen.push(k + '=' + v));
    eq(seen.length, 4);
  });
  test('names and values at the edges of normalisation', () => {
    const h = new Headers();
    h.set('X-Num', 42);
    eq(h.get('x-num'), '42');
    h.set('x-ws', ' \t \r\n');
    eq(h.get('x-ws'), '');
    h.set('x-inner', 'a \t b');
    eq(h.get('x-inner'), 'a \t b');
    h.set('x-del', 'a\x7fb\x01');
    eq(h.get('x-del'), 'a\x7fb\x01');
    h.set('x-latin', '\xe9t\xe9 ');
    eq(h.get('x-latin'), '\xe9t\xe9');
    h.set('x-tab', '\tlead');
    eq(h.get('x-tab'), 'lead');
    eq(h.get({ toString: () => 'X-NUM' }), '42');
    throws(() => h.set('x', 'caf\u0100'), TypeError, 'value above U+00FF');
    throws(() => h.set('x', 'a\0b'), TypeError, 'NUL in value');
    throws(() => h.set('x', '\ud800'), TypeError, 'lone surrogate in value');
    throws(() => h.set('n\u00e9', 'v'), TypeError, 'Latin-1 in name');
    throws(() => h.set('', 'v'), TypeError, 'empty name');
    const r = new Response('x', { headers: { 'Content-Type': 'text/html' } });
    eq(r.headers.get('content-type'), 'text/html');
    eq(new Response('x').headers.get('content-type'), 'text/plain;charset=UTF-8');
    eq(Response.json(1, { headers: { 'content-type': 'text/x' } }).headers.get('content-type'), 'text/x');
    eq(Response.json(1).headers.get('content-type'), 'application/json');
    eq(new Response(new Blob(['x'], { type: ' text/x ' })).headers.get('content-type'), 'text/x');
  });
  test('values are trimmed, bad names and values refused', () => {
    const h = new Headers();
    h.set('x', '  padded\t');
    eq(h.get('x'), 'padded');
    throws(() => h.set('bad name', 'v'), TypeError, 'space in name');
    throws(() => h.set('x', 'a\nb'), TypeError, 'newline in value');
    throws(() => new Headers([['only-one']]), TypeError, 'short pair');
  });
  test('set replaces all values', () => {
    const h = new Headers([['a', '1'], ['a', '2']]);
    h.set('A', '3');
    eq([...h], [['a', '3']]);
  });
  test('Response.error headers are immutable', () => {
    throws(() => Response.error().headers.set('a', 'b'), TypeError);
  });
  test('init: null and non-objects are refused, a record is read as Web IDL does', () => {
    throws(() => new Headers(null), TypeError, 'null');
    throws(() => new Headers(1), TypeError, 'number');
    throws(() => new Headers({ [Symbol('s')]: 'v' }), TypeError, 'enumerable Symbol key');
    const hidden = {};
    Object.defineProperty(hidden, Symbol('s'), { value: 'v', enumerable: false });
    Object.defineProperty(hidden, 'a', { value: '1', enumerable: false });
    hidden.b = '2';
    eq([...new Headers(hidden)], [['b', '2']]);
    const seen = [];
    const proxy = new Proxy({ a: '1', c: '2' }, {
      get(t, k, r) { seen.push(['get', k]); return Reflect.get(t, k, r); },
      ownKeys(t) { seen.push(['ownKeys']); return Reflect.ownKeys(t); },
      getOwnPropertyDescriptor(t, k) { seen.push(['gopd', k]); return Reflect.getOwnPropertyDescriptor(t, k); },
    });
    new Headers(proxy);
    eq(seen, [['get', Symbol.iterator], ['ownKeys'], ['gopd', 'a'], ['get', 'a'], ['gopd', 'c'], ['get', 'c']]);
    throws(() => new Headers({ [Symbol.iterator]: 1 }), TypeError, 'non-callable @@iterator');
    throws(() => new Headers([{ length: 2, 0: 'a', 1: 'b' }]), TypeError, 'array-like pair');
  });
  test('a Headers with its own iterator is read through it', () => {
    const h = new Headers([['a', '1']]);
    h[Symbol.iterator] = function* () { yield ['test', 'yes']; };
    eq([...new Headers(h)], [['test', 'yes']]);
  });
  test('iterators are Headers Iterators and live', () => {
    const h = new Headers([['b', '2'], ['a', '1']]);
    const it = h.keys();
    eq(Object.prototype.toString.call(it), '[object Headers Iterator]');
    eq(Object.getPrototypeOf(Object.getPrototypeOf(it)), Object.getPrototypeOf(Object.getPrototypeOf([].keys())));
    eq(it.next(), { value: 'a', done: false });
    h.append('c', '3');
    h.delete('a');
    eq(it.next(), { value: 'c', done: false }, 'b moved to index 0 and was skipped');
    eq(it.next(), { value: undefined, done: true });
    throws(() => it.next.call({}), TypeError, 'next on another object');
  });
});
