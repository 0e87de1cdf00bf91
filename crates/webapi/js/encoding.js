// The helpers of the Web APIs that take and give bytes and text: UTF-8
// (`utf8Encode`, `utf8Decode`), WebIDL's dictionary and BufferSource
// arguments, and closing the op resource of a collected object. TextEncoder
// and TextDecoder are a group of their own (text_coding.js), loaded on
// first use.
//
// Ops used: `utf8_encode(string)`, `utf8_decode(bytes, fatal, ignoreBOM)`
// and `resource_close(handle)`.

// Closes the op resource of an object that was collected while still open.
const resourceRegistry = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry(handle => { try { op('resource_close', handle); } catch {} })
  : null;
function trackResource(owner, handle) { if (resourceRegistry) resourceRegistry.register(owner, handle, owner); }
function untrackResource(owner) { if (resourceRegistry) resourceRegistry.unregister(owner); }

// A WebIDL dictionary argument: undefined, null or an object.
function optionsDictionary(value, what) {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' && typeof value !== 'function') throw new TypeError(`${what} must be an object`);
  return value;
}

// A BufferSource argument, passed to ops as is (they copy the viewed bytes).
function bufferSource(value, what) {
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value) ||
      (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer)) {
    return value;
  }
  throw new TypeError(`${what} is not an ArrayBuffer or an ArrayBufferView`);
}

const utf8Encode = s => op('utf8_encode', s);
const utf8Decode = bytes => op('utf8_decode', bytes, false, false);
