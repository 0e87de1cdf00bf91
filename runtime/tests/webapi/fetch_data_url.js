// fetch() of data: URLs (the Fetch standard's data: URL processor), which
// is answered without network and not counted as a subrequest; and
// relative URLs, which are a TypeError for a Worker without a base URL.
import { suite, eq, rejects, throws } from './harness.js';

async function got(url) {
  const r = await fetch(url);
  return [r.status, r.statusText, r.headers.get('content-type'), await r.text()];
}

export default suite(test => {
  test('plain data: URLs, with and without a MIME type', async () => {
    eq(await got('data:,Hello%2C%20World!'), [200, 'OK', 'text/plain;charset=US-ASCII', 'Hello, World!']);
    eq(await got('data:text/html;charset=utf-8,%3Cb%3E'), [200, 'OK', 'text/html;charset=utf-8', '<b>']);
    eq(await got('data:;charset=utf-8,x'), [200, 'OK', 'text/plain;charset=utf-8', 'x']);
    eq((await got('data:TEXT/Plain ;A="b\\"c";a=z,x'))[2], 'text/plain;a="b\\"c"');
    eq((await got('data:nonsense,x'))[2], 'text/plain;charset=US-ASCII');
  });
  test('base64 is forgiving and case-insensitive', async () => {
    eq((await got('data:text/plain;BASE64,SGVs bG8=')).slice(2), ['text/plain', 'Hello']);
    eq((await got('data:;base64,SGVsbG8')).slice(2), ['text/plain;charset=US-ASCII', 'Hello']);
    const bytes = new Uint8Array(await (await fetch('data:application/octet-stream;base64,AP8=')).arrayBuffer());
    eq([...bytes], [0, 255]);
  });
  test('percent-decoding keeps bytes; the fragment is not part of the body or url', async () => {
    const r = await fetch('data:image/gif,%C2%B1%zz#frag');
    eq(r.url, 'data:image/gif,%C2%B1%zz');
    eq(r.redirected, false);
    eq(r.type, 'basic');
    eq([...new Uint8Array(await r.arrayBuffer())], [0xc2, 0xb1, 0x25, 0x7a, 0x7a]);
  });
  test('malformed data: URLs are network errors (TypeError)', async () => {
    await rejects(fetch('data:text/plain'), TypeError, 'no comma');
    await rejects(fetch('data:;base64,A'), TypeError, 'one stray base64 character');
    await rejects(fetch('data:;base64,AA=A'), TypeError, 'padding inside');
  });
  test('data: fetches are not subrequests', async () => {
    // More than the default limit of 50 subrequests per event.
    const texts = await Promise.all(Array.from({ length: 80 }, (_, i) => fetch(`data:,${i}`).then(r => r.text())));
    eq(texts[79], '79');
  });
  test('HEAD and POST to a data: URL', async () => {
    const head = await fetch('data:,abc', { method: 'HEAD' });
    eq([head.status, head.body], [200, null]);
    const post = await fetch('data:,abc', { method: 'POST', body: 'ignored' });
    eq(await post.text(), 'abc');
  });
  test('without a base URL, relative URLs are TypeErrors', async () => {
    throws(() => new Request('/relative'), TypeError, 'Request');
    throws(() => Response.redirect('/relative'), TypeError, 'Response.redirect');
    await rejects(fetch('relative'), TypeError, 'fetch');
    eq(new Request('https://example.com/a#b').url, 'https://example.com/a#b');
  });
});
