// A Worker given an API base URL by its embedder (WorkerSpec::with_base_url,
// here http://127.0.0.1:9/dir/page?q): relative URLs in Request, fetch()
// and Response.redirect() resolve against it.
import { suite, eq, throws, rejects } from './harness.js';

export default suite(test => {
  test('Request resolves relative URLs against the base URL', () => {
    eq(new Request('/a?b').url, 'http://127.0.0.1:9/a?b');
    eq(new Request('x').url, 'http://127.0.0.1:9/dir/x');
    eq(new Request('../up#f').url, 'http://127.0.0.1:9/up#f');
    eq(new Request('').url, 'http://127.0.0.1:9/dir/page?q');
    eq(new Request('http://other.example/').url, 'http://other.example/');
    throws(() => new Request('http://[bad/'), TypeError, 'invalid absolute URL');
  });
  test('Response.redirect resolves too', () => {
    eq(Response.redirect('next', 301).headers.get('location'), 'http://127.0.0.1:9/dir/next');
  });
  test('fetch() of a relative URL goes to the resolved URL', async () => {
    // The default egress policy refuses the loopback host of the base URL:
    // the refusal shows the relative URL was resolved, not rejected.
    const e = await rejects(fetch('/x'), TypeError, 'fetch');
    if (!/refused/.test(e.message) || !/127\.0\.0\.1/.test(e.message)) throw new Error(`unexpected: ${e.message}`);
    eq(await (await fetch('data:,ok')).text(), 'ok');
  });
});
