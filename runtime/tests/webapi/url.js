import { suite, eq, throws } from './harness.js';

export default suite(test => {
  test('URLPattern', () => {
    const p = new URLPattern({ pathname: '/users/:id' });
    eq(p.pathname, '/users/:id');
    eq(p.test('https://example.com/users/7'), true);
    eq(p.test('https://example.com/posts/7'), false);
    const r = p.exec('https://example.com/users/42?x=1');
    eq(r.pathname.groups.id, '42');
    eq(r.pathname.input, '/users/42');
    eq(r.search.input, 'x=1');
    eq(r.inputs, ['https://example.com/users/42?x=1']);
    const s = new URLPattern('https://*.example.com/api/:version/*');
    eq(s.hostname, '*.example.com');
    eq(s.exec('https://eu.example.com/api/v2/items/9').pathname.groups.version, 'v2');
    eq(new URLPattern('/b/:x', 'https://example.com').test('/b/1', 'https://example.com'), true);
    eq(new URLPattern({ pathname: '/A' }, { ignoreCase: true }).test({ pathname: '/a' }), true);
    eq(new URLPattern({ pathname: '/(\\d+)' }).hasRegExpGroups, true);
    throws(() => new URLPattern('https://example.com/('), TypeError);
    throws(() => p.exec({ pathname: '/users/1' }, 'https://example.com'), TypeError);
  });
  test('parse and components', () => {
    const u = new URL('https://user:pw@Example.COM:8080/a/../b/./c?x=1&y=2#frag');
    eq([u.protocol, u.username, u.password, u.hostname, u.port, u.host],
      ['https:', 'user', 'pw', 'example.com', '8080', 'example.com:8080']);
    eq([u.pathname, u.search, u.hash, u.origin], ['/b/c', '?x=1&y=2', '#frag', 'https://example.com:8080']);
    eq(String(u), u.href);
    eq(JSON.stringify({ u }), `{"u":"${u.href}"}`);
  });
  test('relative to a base, and invalid input', () => {
    eq(new URL('../x', 'https://a.test/b/c/d').href, 'https://a.test/b/x');
    throws(() => new URL('no scheme'), TypeError);
    throws(() => new URL('http://exa mple.com/'), TypeError);
    eq(URL.canParse('https://ok.test/'), true);
    eq(URL.canParse('nope'), false);
  });
  test('setters', () => {
    const u = new URL('http://a.test/p');
    u.pathname = '/q r';
    u.port = '81';
    u.hash = 'h';
    u.search = 'k=v';
    eq(u.href, 'http://a.test:81/q%20r?k=v#h');
    u.port = 'not a port';
    eq(u.port, '81');
  });
  test('searchParams is live both ways', () => {
    const u = new URL('https://a.test/?a=1');
    u.searchParams.append('b', 'x y');
    eq(u.search, '?a=1&b=x+y');
    u.search = '?c=3';
    eq(u.searchParams.get('c'), '3');
    eq(u.searchParams.get('a'), null);
  });
  test('URLSearchParams', () => {
    const p = new URLSearchParams('?a=1&b=2&a=3&c=%26');
    eq([p.get('a'), p.getAll('a'), p.get('c'), p.has('b'), p.size], ['1', ['1', '3'], '&', true, 4]);
    p.set('a', '9');
    eq(p.toString(), 'a=9&b=2&c=%26');
    p.delete('b');
    p.append('z', '');
    p.sort();
    eq([...p], [['a', '9'], ['c', '&'], ['z', '']]);
    eq(new URLSearchParams({ x: '1', y: 'ü' }).toString(), 'x=1&y=%C3%BC');
    eq(new URLSearchParams([['k', 'v']]).get('k'), 'v');
    throws(() => new URLSearchParams([['k']]), TypeError);
  });
});
