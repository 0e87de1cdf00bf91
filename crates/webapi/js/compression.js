// CompressionStream and DecompressionStream: TransformStreams of bytes in the
// gzip, deflate (zlib) and deflate-raw formats. Invalid or truncated
// compressed data errors the stream with a TypeError.
//
// Ops used: `compression_new(format, decompress) -> handle`,
// `compression_push(handle, bytes?) -> [output, more]` (host work, called
// again without bytes while `more`), `compression_finish(handle) -> output`
// (host work) and `resource_close(handle)`; an op that fails closes its
// handle. A chunk's work may run elsewhere: then `transform` returns a
// promise, and the stream waits for it before the next chunk.
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
  const fail = e => { done(); throw e; };
  // Runs `fn`, whose result may be a promise; an error closes the handle.
  const run = fn => {
    let result;
    try { result = fn(); } catch (e) { fail(e); }
    return result instanceof PromiseCtor ? transformPromise(result, undefined, fail) : result;
  };
  return new TransformStream({
    transform(chunk, controller) {
      const bytes = bufferSource(chunk, `${what} chunk`);
      const step = ([out, more]) => {
        if (out.length > 0) controller.enqueue(out);
        if (more) return afterWork(hostWork('compression_push', handle), step);
      };
      return run(() => afterWork(hostWork('compression_push', handle, bytes), step));
    },
    flush(controller) {
      return run(() => afterWork(hostWork('compression_finish', handle), out => {
        untrackResource(owner);
        if (out.length > 0) controller.enqueue(out);
      }));
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
