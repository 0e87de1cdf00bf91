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
