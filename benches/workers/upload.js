// Large uploads (benches/body_upload.rs): /buffer reads the body whole
// with arrayBuffer(); /stream reads it chunk by chunk and keeps nothing.
export default {
  async fetch(request) {
    if (new URL(request.url).pathname === '/buffer') {
      const body = await request.arrayBuffer();
      return new Response(`read ${body.byteLength}`);
    }
    let bytes = 0;
    const reader = request.body.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
    }
    return new Response(`read ${bytes}`);
  },
};
