// IdentityTransformStream and FixedLengthStream, as Cloudflare documents
// them: TransformStreams of bytes that pass every chunk through unchanged.
// Their writable side takes only ArrayBuffers and views (a string is a
// TypeError telling to encode it). A FixedLengthStream also checks the
// byte count it was given: a write past it, or a close before it, errors
// the stream; a Response whose body is its readable side is sent with that
// `content-length` (events.js reads `expectedLength` off the stream record).
// Uses no ops. Their readable sides are default streams, not byte streams:
// a BYOB reader cannot be had on them.
const { TransformStream, rsSlots } = loadGroup(STREAMS);

// The bytes of a chunk written to one of these streams, as a view.
function identityChunk(chunk, what) {
  if (typeof chunk === 'string') {
    throw new TypeError(`This ${what} is being used as a byte stream, but received a string on its ` +
      'writable side. If you wish to write a string, encode it first with TextEncoder.');
  }
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  if (ArrayBuffer.isView(chunk)) return chunk;
  throw new TypeError(`This ${what} is being used as a byte stream: write ArrayBuffers or ArrayBufferViews to it`);
}

// The queuing strategy of the options' highWaterMark (bytes on the readable side).
function identityStrategy(options, what) {
  const o = dictionary(options, `${what} options`);
  if (o.highWaterMark === undefined) return undefined;
  const hwm = Number(o.highWaterMark);
  if (!(hwm >= 0)) throw new RangeError(`${what}: highWaterMark must be a non-negative number`);
  return { highWaterMark: hwm, size: chunk => chunk.byteLength };
}

class IdentityTransformStream extends TransformStream {
  constructor(options = undefined) {
    super({
      transform(chunk, controller) {
        const bytes = identityChunk(chunk, 'IdentityTransformStream');
        if (bytes.byteLength > 0) controller.enqueue(bytes);
      },
    }, undefined, identityStrategy(options, 'IdentityTransformStream'));
  }
}
webidlInterface(IdentityTransformStream);

class FixedLengthStream extends TransformStream {
  constructor(expectedLength, options = undefined) {
    requireArgs(arguments.length, 1, 'FixedLengthStream');
    const length = typeof expectedLength === 'bigint' ? Number(expectedLength) : Number(expectedLength);
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new TypeError('FixedLengthStream requires a non-negative integer expected length');
    }
    let seen = 0;
    super({
      transform(chunk, controller) {
        const bytes = identityChunk(chunk, 'FixedLengthStream');
        seen += bytes.byteLength;
        if (seen > length) throw new TypeError('Attempt to write too many bytes through a FixedLengthStream.');
        if (bytes.byteLength > 0) controller.enqueue(bytes);
      },
      flush() {
        if (seen < length) throw new TypeError('FixedLengthStream did not see all expected bytes before close().');
      },
    }, undefined, identityStrategy(options, 'FixedLengthStream'));
    rsSlots.get(this.readable).expectedLength = length;
  }
}
webidlInterface(FixedLengthStream);

defineGlobal('IdentityTransformStream', IdentityTransformStream);
defineGlobal('FixedLengthStream', FixedLengthStream);
