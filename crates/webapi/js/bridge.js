// The bridge: take the op functions the engine installed and hide them from
// Worker code (see motu_engine::contract).
const op = globalThis.__motu_op;
const opAsync = globalThis.__motu_op_async;
delete globalThis.__motu_op;
delete globalThis.__motu_op_async;

// Property descriptors here have no prototype: defining a property then
// looks up only the descriptor's own members, not Object.prototype's.
//
// Defines a global the way Web IDL does: writable, configurable, not
// enumerable (unless `enumerable`).
function defineGlobal(name, value, enumerable = false) {
  Object.defineProperty(globalThis, name, {
    __proto__: null, value, writable: true, configurable: true, enumerable,
  });
}

// Gives a class's prototype the tag `Object.prototype.toString` shows.
function tag(cls, name = cls.name) {
  Object.defineProperty(cls.prototype, Symbol.toStringTag, { __proto__: null, value: name, configurable: true });
}

const ENUMERABLE = Object.freeze({ __proto__: null, enumerable: true });

// Makes a class follow Web IDL's rules for an interface, called right after
// its definition: the regular attributes and operations on the prototype
// (string keys but `constructor`) and the static ones on the class are
// enumerable, as `class` syntax does not make them; the prototype gets the
// class's @@toStringTag; a pair iterator's @@iterator is its `entries`
// function itself. `length` sets the constructor's length, the number
// of its required arguments, where the parameter list says otherwise (an
// internal token, an optional argument without a default).
function webidlInterface(cls, length = undefined) {
  const proto = cls.prototype;
  // Indexed loops: every isolate runs these at start-up, and an array
  // iterator costs several times as much per step.
  const members = Object.getOwnPropertyNames(proto);
  for (let i = 0; i < members.length; i++) {
    if (members[i] !== 'constructor') Object.defineProperty(proto, members[i], ENUMERABLE);
  }
  const statics = Object.getOwnPropertyNames(cls);
  for (let i = 0; i < statics.length; i++) {
    const key = statics[i];
    if (key !== 'length' && key !== 'name' && key !== 'prototype') Object.defineProperty(cls, key, ENUMERABLE);
  }
  if (Object.hasOwn(proto, 'entries') && Object.hasOwn(proto, Symbol.iterator)) {
    Object.defineProperty(proto, Symbol.iterator, { __proto__: null, value: proto.entries });
  }
  tag(cls);
  if (length !== undefined) Object.defineProperty(cls, 'length', { __proto__: null, value: length });
}

// Throws Web IDL's TypeError for an operation called with fewer than
// `required` arguments (`given` is the call's `arguments.length`).
function requireArgs(given, required, what) {
  if (given < required) {
    throw new TypeError(`${what}: ${required} argument${required === 1 ? '' : 's'} required, but only ${given} present`);
  }
}

// Converts a value to a byte string as Web IDL's ByteString does for header
// names and values, or throws a TypeError.
function toByteString(value, what) {
  if (typeof value === 'symbol') throw new TypeError(`${what} cannot be a Symbol`);
  const s = String(value);
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 255) throw new TypeError(`${what} contains a character above U+00FF`);
  }
  return s;
}

// Converts a value to a scalar-value string (lone surrogates become U+FFFD).
function toUSVString(value) {
  const s = String(value);
  return typeof s.toWellFormed === 'function' ? s.toWellFormed() : s.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}
