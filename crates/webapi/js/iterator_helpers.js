// Iterator helpers (ECMAScript 2025) for an engine that lacks them (the V8
// of Debian's libnode, before 12.x), as the V8 of Cloudflare Workers has
// them: the `Iterator` global and `Iterator.from`, and `map`, `filter`,
// `take`, `drop`, `flatMap`, `reduce`, `toArray`, `forEach`, `some`,
// `every` and `find` on every iterator (%IteratorPrototype%, the prototype
// of array, Map, Set, string and generator iterators). Libraries use them
// on the iterators of Maps (PartyServer: `connections.values().filter(...)`).
// A group of its own, in V8's startup snapshot (src/prelude.rs), which
// installs nothing where the engine has its own `Iterator` (QuickJS).
//
// What the specification says, and this follows: a helper is an iterator
// of its own (%IteratorHelperPrototype%, `[object Iterator Helper]`) that
// pulls from the underlying iterator only when asked; it closes the
// underlying iterator (calls its `return`) when a callback throws, when
// an argument is invalid, when `take` has taken enough or `some`/`every`/
// `find` have their answer, and when the helper's own `return` is called;
// not when the underlying iterator itself throws.

function installIteratorHelpers() {
  if (globalThis.Iterator !== undefined) return;
  const IteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
  const isObject = v => (typeof v === 'object' && v !== null) || typeof v === 'function';
  const DONE = Symbol('done');

  // An iterator and its `next`, read once (GetIteratorDirect).
  const direct = iterator => ({ iterator, next: iterator.next });

  // The next value of `record`, or DONE (IteratorStepValue).
  const step = record => {
    const result = record.next.call(record.iterator);
    if (!isObject(result)) throw new TypeError(`Iterator result ${String(result)} is not an object`);
    return result.done ? DONE : result.value;
  };

  // Closes `iterator` normally: its `return`'s errors are thrown, and its
  // result must be an object.
  const close = iterator => {
    const ret = iterator.return;
    if (ret === undefined || ret === null) return;
    if (!isObject(ret.call(iterator))) throw new TypeError('Iterator return() result is not an object');
  };

  // Closes `iterator` because of `error`, which is thrown (what `return`
  // throws is ignored).
  const closeThrowing = (iterator, error) => {
    try {
      const ret = iterator.return;
      if (ret !== undefined && ret !== null) ret.call(iterator);
    } catch {}
    throw error;
  };

  // Calls `fn(...args)`; if it throws, `record`'s iterator is closed.
  const guarded = (record, fn, ...args) => {
    try {
      return fn(...args);
    } catch (e) {
      return closeThrowing(record.iterator, e);
    }
  };

  // `this` of a prototype method: an object, and `fn` callable (else the
  // iterator is closed and a TypeError thrown).
  const receiver = (o, fn, method) => {
    if (!isObject(o)) throw new TypeError(`Iterator.prototype.${method} called on a non-object`);
    if (typeof fn !== 'function') closeThrowing(o, new TypeError(`${String(fn)} is not a function`));
    return direct(o);
  };

  // `take` and `drop`'s limit: a number that is not NaN, at least 0.
  const limitOf = (o, limit) => {
    let n;
    try {
      n = Number(limit);
      if (Number.isNaN(n)) throw new RangeError(`${String(limit)} must be positive`);
      n = Math.trunc(n);
      if (n < 0) throw new RangeError(`${String(limit)} must be positive`);
    } catch (e) {
      closeThrowing(o, e);
    }
    return n;
  };

  // An object to iterate for `flatMap` and `Iterator.from`: its iterator
  // (or itself, when it has no Symbol.iterator), read directly. Strings
  // are iterated only by `from`.
  const flattenable = (value, strings) => {
    if (!isObject(value) && !(strings && typeof value === 'string')) {
      throw new TypeError(`${String(value)} is not an object`);
    }
    const method = value[Symbol.iterator];
    const iterator = method === undefined || method === null ? value : method.call(value);
    if (!isObject(iterator)) throw new TypeError(`${String(iterator)} is not an object`);
    return direct(iterator);
  };

  // A helper: `produce()` gives its next value or DONE, with `record` the
  // underlying iterator; `inner()` the iterator `flatMap` is in, if any.
  class IteratorHelper {
    #record; #produce; #inner; #started = false; #done = false; #running = false;
    constructor(record, produce, inner) {
      this.#record = record;
      this.#produce = produce;
      this.#inner = inner;
    }

    next() {
      if (!(#done in this)) throw new TypeError('next() called on an object that is not an Iterator Helper');
      if (this.#running) throw new TypeError('Iterator Helper is already running');
      if (this.#done) return { value: undefined, done: true };
      this.#started = true;
      this.#running = true;
      try {
        const value = this.#produce();
        if (value === DONE) {
          this.#done = true;
          return { value: undefined, done: true };
        }
        return { value, done: false };
      } catch (e) {
        this.#done = true;
        throw e;
      } finally {
        this.#running = false;
      }
    }

    return() {
      if (!(#done in this)) throw new TypeError('return() called on an object that is not an Iterator Helper');
      if (this.#running) throw new TypeError('Iterator Helper is already running');
      if (this.#done) return { value: undefined, done: true };
      this.#done = true;
      const inner = this.#started ? this.#inner?.() : undefined;
      if (inner !== undefined) {
        try {
          close(inner.iterator);
        } catch (e) {
          closeThrowing(this.#record.iterator, e);
        }
      }
      close(this.#record.iterator);
      return { value: undefined, done: true };
    }
  }
  const IteratorHelperPrototype = IteratorHelper.prototype;
  Object.setPrototypeOf(IteratorHelperPrototype, IteratorPrototype);
  delete IteratorHelperPrototype.constructor;
  Object.defineProperty(IteratorHelperPrototype, Symbol.toStringTag, { value: 'Iterator Helper', configurable: true });

  // What Iterator.from wraps an iterator that does not inherit from
  // Iterator.prototype in.
  class WrapForValidIterator {
    #record;
    constructor(record) { this.#record = record; }

    next() {
      if (!(#record in this)) throw new TypeError('next() called on an incompatible object');
      const record = this.#record;
      return record.next.call(record.iterator);
    }

    return() {
      if (!(#record in this)) throw new TypeError('return() called on an incompatible object');
      const iterator = this.#record.iterator;
      const ret = iterator.return;
      if (ret === undefined || ret === null) return { value: undefined, done: true };
      return ret.call(iterator);
    }
  }
  Object.setPrototypeOf(WrapForValidIterator.prototype, IteratorPrototype);
  delete WrapForValidIterator.prototype.constructor;

  function Iterator() {
    if (new.target === undefined || new.target === Iterator) {
      throw new TypeError('Abstract class Iterator not directly constructable');
    }
  }
  Object.defineProperty(Iterator, 'prototype', { value: IteratorPrototype, writable: false, enumerable: false, configurable: false });

  const statics = {
    from(value) {
      const record = flattenable(value, true);
      if (record.iterator instanceof Iterator) return record.iterator;
      return new WrapForValidIterator(record);
    },
  };

  const methods = {
    map(mapper) {
      const record = receiver(this, mapper, 'map');
      let counter = 0;
      return new IteratorHelper(record, () => {
        const value = step(record);
        return value === DONE ? DONE : guarded(record, mapper, value, counter++);
      });
    },
    filter(predicate) {
      const record = receiver(this, predicate, 'filter');
      let counter = 0;
      return new IteratorHelper(record, () => {
        for (;;) {
          const value = step(record);
          if (value === DONE) return DONE;
          if (guarded(record, predicate, value, counter++)) return value;
        }
      });
    },
    take(limit) {
      if (!isObject(this)) throw new TypeError('Iterator.prototype.take called on a non-object');
      let remaining = limitOf(this, limit);
      const record = direct(this);
      return new IteratorHelper(record, () => {
        if (remaining === 0) {
          close(record.iterator);
          return DONE;
        }
        if (remaining !== Infinity) remaining--;
        return step(record);
      });
    },
    drop(limit) {
      if (!isObject(this)) throw new TypeError('Iterator.prototype.drop called on a non-object');
      let remaining = limitOf(this, limit);
      const record = direct(this);
      return new IteratorHelper(record, () => {
        while (remaining > 0) {
          if (remaining !== Infinity) remaining--;
          if (step(record) === DONE) return DONE;
        }
        return step(record);
      });
    },
    flatMap(mapper) {
      const record = receiver(this, mapper, 'flatMap');
      let counter = 0;
      let inner;
      return new IteratorHelper(record, () => {
        for (;;) {
          if (inner !== undefined) {
            const value = guarded(record, step, inner);
            if (value !== DONE) return value;
            inner = undefined;
          }
          const value = step(record);
          if (value === DONE) return DONE;
          const mapped = guarded(record, mapper, value, counter++);
          inner = guarded(record, flattenable, mapped, false);
        }
      }, () => inner);
    },
    reduce(reducer) {
      const record = receiver(this, reducer, 'reduce');
      let accumulator;
      let counter;
      if (arguments.length < 2) {
        accumulator = step(record);
        if (accumulator === DONE) throw new TypeError('Reduce of empty iterator with no initial value');
        counter = 1;
      } else {
        accumulator = arguments[1];
        counter = 0;
      }
      for (;;) {
        const value = step(record);
        if (value === DONE) return accumulator;
        accumulator = guarded(record, reducer, accumulator, value, counter++);
      }
    },
    toArray() {
      if (!isObject(this)) throw new TypeError('Iterator.prototype.toArray called on a non-object');
      const record = direct(this);
      const items = [];
      for (let value = step(record); value !== DONE; value = step(record)) items.push(value);
      return items;
    },
    forEach(fn) {
      const record = receiver(this, fn, 'forEach');
      let counter = 0;
      for (let value = step(record); value !== DONE; value = step(record)) guarded(record, fn, value, counter++);
    },
    some(predicate) {
      const record = receiver(this, predicate, 'some');
      let counter = 0;
      for (let value = step(record); value !== DONE; value = step(record)) {
        if (guarded(record, predicate, value, counter++)) {
          close(record.iterator);
          return true;
        }
      }
      return false;
    },
    every(predicate) {
      const record = receiver(this, predicate, 'every');
      let counter = 0;
      for (let value = step(record); value !== DONE; value = step(record)) {
        if (!guarded(record, predicate, value, counter++)) {
          close(record.iterator);
          return false;
        }
      }
      return true;
    },
    find(predicate) {
      const record = receiver(this, predicate, 'find');
      let counter = 0;
      for (let value = step(record); value !== DONE; value = step(record)) {
        if (guarded(record, predicate, value, counter++)) {
          close(record.iterator);
          return value;
        }
      }
      return undefined;
    },
  };

  const method = { writable: true, enumerable: false, configurable: true };
  for (const name of Object.keys(statics)) Object.defineProperty(Iterator, name, { ...method, value: statics[name] });
  for (const name of Object.keys(methods)) Object.defineProperty(IteratorPrototype, name, { ...method, value: methods[name] });

  // `constructor` and Symbol.toStringTag: accessors whose setter defines an
  // own property on an object that inherits them, and refuses to change
  // Iterator.prototype itself.
  const ignoringPrototype = (key, value) => ({
    get() { return value; },
    set(v) {
      if (!isObject(this)) throw new TypeError('Iterator.prototype setter called on a non-object');
      if (this === IteratorPrototype) throw new TypeError(`Cannot assign to read only property '${String(key)}' of Iterator.prototype`);
      if (Object.getOwnPropertyDescriptor(this, key) === undefined) {
        Object.defineProperty(this, key, { value: v, writable: true, enumerable: true, configurable: true });
      } else {
        this[key] = v;
      }
    },
    enumerable: false,
    configurable: true,
  });
  Object.defineProperty(IteratorPrototype, 'constructor', ignoringPrototype('constructor', Iterator));
  Object.defineProperty(IteratorPrototype, Symbol.toStringTag, ignoringPrototype(Symbol.toStringTag, 'Iterator'));

  Object.defineProperty(globalThis, 'Iterator', { value: Iterator, writable: true, enumerable: false, configurable: true });
}

installIteratorHelpers();
