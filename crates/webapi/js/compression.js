// CompressionStream and DecompressionStream: TransformStreams of bytes in the
// gzip, deflate (zlib) and deflate-raw formats. Invalid or truncated
// compressed data errors the stream with a TypeError.
//
// Ops used: `compression_new(format, decompress) -> handle`,
// `compression_push(handle, bytes?) -> [output, more]` (called again without
// bytes while `more`), `compression_finish(handle) -> output` and
// `resource_close(handle)`; an op that fails closes its handle.
const COMPRESSION_FORMATS = ['gzip', 'deflate', 'deflate-raw'];

function compressionTransform(format, decompress, what) {
  format = String(format);
  if (!COMPRESSION_FORMATS.includes(format)) {
    throw new TypeError(`${what}: unsupported compression format '${format}'`);
  }
  const handle = op('compression_new', format, decompress);
  const owner = {}; // lives as long as the transformer's closures
  trackResource(owner, handle);
  const done = () => { untrackResource(owner); op('resource_close', handle); };
  const run = (fn) => { try { return fn(); } catch (e) { done(); throw e; } };
  return new TransformStream({
    transform(chunk, controller) {
      const bytes = bufferSource(chunk, `${what} chunk`);
      run(() => {
        let [out, more] = op('compression_push', handle, bytes);
        for (;;) {
          if (out.length > 0) controller.enqueue(out);
          if (!more) break;
          [out, more] = op('compression_push', handle);
        }
      });
    },
    flush(controller) {
      const out = run(() => op('compression_finish', handle));
      untrackResource(owner);
      if (out.length > 0) controller.enqueue(out);
    },
    cancel() { done(); },
  });
}

class CompressionStream {
  #transform;
  constructor(format) {
    if (arguments.length === 0) throw new TypeError('CompressionStream needs a format');
    this.#transform = compressionTransform(format, false, 'CompressionStream');
  }
  get readable() { return this.#transform.readable; }
  get writable() { return this.#transform.writable; }
}
webidlInterface(CompressionStream);

class DecompressionStream {
  #transform;
  constructor(format) {
    if (arguments.length === 0) throw new TypeError('DecompressionStream needs a format');
    this.#transform = compressionTransform(format, true, 'DecompressionStream');
  }
  get readable() { return this.#transform.readable; }
  get writable() { return this.#transform.writable; }
}
webidlInterface(DecompressionStream);

defineGlobal('CompressionStream', CompressionStream);
defineGlobal('DecompressionStream', DecompressionStream);
