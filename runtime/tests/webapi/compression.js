import { suite, eq, throws, rejects } from './harness.js';

// Pipes `chunks` through a transform and collects what comes out.
async function through(transform, chunks) {
  const writer = transform.writable.getWriter();
  const reading = (async () => {
    const out = [];
    const reader = transform.readable.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return out;
      out.push(value);
    }
  })();
  for (const c of chunks) await writer.write(c);
  await writer.close();
  return reading;
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export default suite(test => {
  test('TextEncoderStream joins split surrogate pairs', async () => {
    const s = new TextEncoderStream();
    eq(s.encoding, 'utf-8');
    const out = await through(s, ['a', '\uD83D', '\uDE00', '\uD800']);
    eq(out.every(c => c instanceof Uint8Array), true);
    eq([...concat(out)], [0x61, 0xF0, 0x9F, 0x98, 0x80, 0xEF, 0xBF, 0xBD]);
  });
  test('TextDecoderStream decodes across chunks', async () => {
    const s = new TextDecoderStream('utf-16le');
    eq([s.encoding, s.fatal, s.ignoreBOM], ['utf-16le', false, false]);
    const out = await through(s, [new Uint8Array([0xFF, 0xFE, 0x61]), new Uint8Array([0x00, 0x3D, 0xD8]), new Uint8Array([0x00, 0xDE])]);
    eq(out.join(''), 'a😀');
    const fatal = new TextDecoderStream('utf-8', { fatal: true });
    await rejects(through(fatal, [new Uint8Array([0xE2, 0x82])]), TypeError, 'unfinished at the end');
    await rejects(through(new TextDecoderStream(), ['text']), TypeError, 'a string chunk');
    throws(() => new TextDecoderStream('nope'), RangeError);
  });
  test('CompressionStream and DecompressionStream round-trip every format', async () => {
    const text = new TextEncoder().encode('motu '.repeat(1000));
    for (const format of ['gzip', 'deflate', 'deflate-raw']) {
      const packed = concat(await through(new CompressionStream(format), [text.subarray(0, 7), text.subarray(7)]));
      eq(packed.length < text.length, true, format);
      const pieces = [];
      for (let i = 0; i < packed.length; i += 3) pieces.push(packed.subarray(i, i + 3));
      const unpacked = concat(await through(new DecompressionStream(format), pieces));
      eq(new TextDecoder().decode(unpacked), 'motu '.repeat(1000), format);
    }
    eq([...(await through(new CompressionStream('gzip'), [])).slice(0, 1)].length, 1, 'an empty gzip stream has a header');
  });
  test('bad compressed data is a TypeError', async () => {
    throws(() => new CompressionStream('brotli'), TypeError);
    throws(() => new DecompressionStream(), TypeError);
    await rejects(through(new DecompressionStream('gzip'), [new Uint8Array([1, 2, 3, 4])]), TypeError, 'garbage');
    const packed = concat(await through(new CompressionStream('deflate'), [new Uint8Array([1, 2, 3])]));
    await rejects(through(new DecompressionStream('deflate'), [packed.subarray(0, packed.length - 2)]), TypeError, 'truncated');
    await rejects(through(new DecompressionStream('deflate'), [packed, new Uint8Array([0])]), TypeError, 'trailing');
    await rejects(through(new CompressionStream('gzip'), ['str']), TypeError, 'a string chunk');
  });
  test('Blob.stream', async () => {
    const big = new Uint8Array(200000).map((_, i) => i & 255);
    const parts = [];
    const reader = new Blob([big]).stream().getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parts.push(value);
    }
    const all = concat(parts);
    eq([parts.length > 1, all.length, all[199999]], [true, 200000, 199999 & 255]);
    const piped = new Blob(['piped']).stream().pipeThrough(new TextDecoderStream());
    let text = '';
    for await (const chunk of piped) text += chunk;
    eq(text, 'piped');
    const empty = await new Blob([]).stream().getReader().read();
    eq(empty.done, true);
  });
});
