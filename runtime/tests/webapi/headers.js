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
});
