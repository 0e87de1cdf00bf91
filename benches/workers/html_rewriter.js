// The HTMLRewriter benchmark's Worker: a 1 MiB HTML page (made once, at
// start-up) served as a stream of 64 KiB chunks, as a fetched page arrives:
// - /passthrough: the stream as it is (the baseline);
// - /parse: through an HTMLRewriter whose selector matches nothing (the
//   cost of lol-html's parsing alone);
// - /links: through an HTMLRewriter that rewrites the href of every link
//   (5,350 element handler calls a page).
const CHUNK = 64 * 1024;

function makePage() {
  const parts = ['<!DOCTYPE html><html><head><title>bench</title></head><body>'];
  let size = parts[0].length;
  for (let i = 0; size < 1024 * 1024 - 200; i++) {
    const item = `<div class="item" id="i${i}"><!-- item ${i} --><h2>Item ${i}</h2>` +
      `<p>Some text about item ${i}, with <b>bold</b> words &amp; an ` +
      `<a href="https://example.com/items/${i}">absolute link</a>.</p></div>\n`;
    parts.push(item);
    size += item.length;
  }
  parts.push('</body></html>');
  return new TextEncoder().encode(parts.join(''));
}

const page = makePage();

function pageStream() {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= page.length) return controller.close();
      controller.enqueue(page.slice(offset, offset + CHUNK));
      offset += CHUNK;
    },
  });
}

const html = () => new Response(pageStream(), { headers: { 'content-type': 'text/html' } });

export default {
  fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === '/passthrough') return html();
    if (path === '/parse') return new HTMLRewriter().on('video', { element() {} }).transform(html());
    if (path === '/links') {
      return new HTMLRewriter().on('a[href]', {
        element(el) { el.setAttribute('href', el.getAttribute('href').replace('https://example.com', '')); },
      }).transform(html());
    }
    return new Response('not found', { status: 404 });
  },
};
