// Recent ECMAScript built-ins (2023 to 2025) for an engine that lacks them
// (the V8 of Debian's libnode, 10.2), as the V8 of Cloudflare Workers and
// QuickJS have them: the copying array methods (`toSorted`, `toReversed`,
// `toSpliced`, `with`, and the typed arrays' `toSorted`, `toReversed`,
// `with`), `Promise.withResolvers`, `Object.groupBy` and `Map.groupBy`, the
// Set methods (`union`, `intersection`, `difference`, `symmetricDifference`,
// `isSubsetOf`, `isSupersetOf`, `isDisjointFrom`), `String.prototype.
// isWellFormed`/`toWellFormed` and `Array.fromAsync`. One group with
// es_install.js and es_builtins_2025.js, in V8's startup snapshot
// (src/prelude.rs); each method is installed only
// where the engine lacks it, so QuickJS keeps its own.
//
// What the specification says, and this follows: each is a method
// (non-enumerable, writable, configurable; its `length` and `name`), not a
// constructor; the arguments are converted in the specification's order
// and the same errors thrown. The Set methods take any set-like argument
// (an object with a numeric `size` and callable `has` and `keys`), read
// the receiver's own elements (not its overridable methods), and ask the
// argument `has` or iterate its `keys` depending on which is smaller.

function installEsBuiltins() {
  const MAX_LENGTH = 2 ** 53 - 1;
  const MAX_ARRAY_LENGTH = 2 ** 32 - 1;

  // The abstract operations the methods share.
  const toObject = (v, method) => {
    if (v === undefined || v === null) throw new TypeError(`${method} called on null or undefined`);
    return Object(v);
  };
  const toIntegerOrInfinity = v => {
    const n = +v;
    return Number.isNaN(n) || n === 0 ? 0 : Math.trunc(n);
  };
  const lengthOf = o => {
    const n = toIntegerOrInfinity(o.length);
    return n <= 0 ? 0 : Math.min(n, MAX_LENGTH);
  };
  const arrayCreate = length => {
    if (length > MAX_ARRAY_LENGTH) throw new RangeError('Invalid array length');
    return new Array(length);
  };
  const relativeIndex = (relative, length) =>
    relative < 0 ? Math.max(length + relative, 0) : Math.min(relative, length);
  const requireComparator = comparefn => {
    if (comparefn !== undefined && typeof comparefn !== 'function') {
      throw new TypeError('The comparison function must be either a function or undefined');
    }
  };
  const sort = Array.prototype.sort;
  const MapCtor = Map;
  const SetCtor = Set;
  const mapGet = Map.prototype.get;
  const mapSet = Map.prototype.set;
  const mapEntries = Map.prototype.entries;
  const mapIteratorNext = Object.getPrototypeOf(new Map().entries()).next;

  // Array.prototype: copies of the array, changed.
  install(Array.prototype, {
    toReversed() {
      const o = toObject(this, 'Array.prototype.toReversed');
      const len = lengthOf(o);
      const a = arrayCreate(len);
      for (let k = 0; k < len; k++) a[k] = o[len - 1 - k];
      return a;
    },
    toSorted(comparefn) {
      requireComparator(comparefn);
      const o = toObject(this, 'Array.prototype.toSorted');
      const len = lengthOf(o);
      const a = arrayCreate(len);
      for (let k = 0; k < len; k++) a[k] = o[k];
      return sort.call(a, comparefn);
    },
    toSpliced(start, skipCount, ...items) {
      const o = toObject(this, 'Array.prototype.toSpliced');
      const len = lengthOf(o);
      const actualStart = relativeIndex(toIntegerOrInfinity(start), len);
      let skip;
      if (arguments.length === 0) skip = 0;
      else if (arguments.length === 1) skip = len - actualStart;
      else skip = Math.min(Math.max(toIntegerOrInfinity(skipCount), 0), len - actualStart);
      const newLen = len + items.length - skip;
      if (newLen > MAX_LENGTH) throw new TypeError('Invalid array length');
      const a = arrayCreate(newLen);
      let i = 0;
      let r = actualStart + skip;
      for (; i < actualStart; i++) a[i] = o[i];
      for (let j = 0; j < items.length; j++) a[i++] = items[j];
      for (; i < newLen; i++, r++) a[i] = o[r];
      return a;
    },
    with(index, value) {
      const o = toObject(this, 'Array.prototype.with');
      const len = lengthOf(o);
      const relative = toIntegerOrInfinity(index);
      const actual = relative >= 0 ? relative : len + relative;
      if (actual >= len || actual < 0) throw new RangeError(`Invalid index : ${String(index)}`);
      const a = arrayCreate(len);
      for (let k = 0; k < len; k++) a[k] = k === actual ? value : o[k];
      return a;
    },
  });

  // %TypedArray%.prototype: the same, into a new typed array of the same
  // kind (never a species).
  const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
  const typedArrayName = Object.getOwnPropertyDescriptor(TypedArrayPrototype, Symbol.toStringTag).get;
  const typedArrayValues = TypedArrayPrototype.values;
  const typedArraySort = TypedArrayPrototype.sort;
  const typedArrayLength = Object.getOwnPropertyDescriptor(TypedArrayPrototype, 'length').get;
  const constructors = {};
  for (const name of ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
    'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Float16Array']) {
    if (typeof globalThis[name] === 'function') constructors[name] = globalThis[name];
  }
  // ValidateTypedArray: a typed array whose buffer is not detached (the
  // engine's `values` checks both); its constructor and length.
  const validate = (o, method) => {
    const name = typedArrayName.call(o);
    if (name === undefined) throw new TypeError(`${method}: this is not a typed array`);
    typedArrayValues.call(o);
    return { C: constructors[name], len: typedArrayLength.call(o), bigint: name.startsWith('Big') };
  };
  install(TypedArrayPrototype, {
    toReversed() {
      const { C, len } = validate(this, '%TypedArray%.prototype.toReversed');
      const a = new C(len);
      for (let k = 0; k < len; k++) a[k] = this[len - 1 - k];
      return a;
    },
    toSorted(comparefn) {
      requireComparator(comparefn);
      const { C, len } = validate(this, '%TypedArray%.prototype.toSorted');
      const a = new C(len);
      for (let k = 0; k < len; k++) a[k] = this[k];
      return typedArraySort.call(a, comparefn);
    },
    with(index, value) {
      const { C, len, bigint } = validate(this, '%TypedArray%.prototype.with');
      const relative = toIntegerOrInfinity(index);
      const actual = relative >= 0 ? relative : len + relative;
      // ToBigInt (which refuses Numbers) or ToNumber, once.
      const numeric = bigint ? BigInt.asIntN(64, value) : +value;
      if (!Number.isInteger(actual) || actual < 0 || actual >= typedArrayLength.call(this)) {
        throw new RangeError(`Invalid typed array index: ${String(index)}`);
      }
      const a = new C(len);
      for (let k = 0; k < len; k++) a[k] = k === actual ? numeric : this[k];
      return a;
    },
  });

  // Promise.withResolvers: a promise of `this` and its resolving functions.
  install(Promise, {
    withResolvers() {
      return promiseCapability(this, 'Promise.withResolvers');
    },
  });

  // GroupBy: `items`' values by the key `callbackfn` gives each (property
  // keys, or any value with -0 as +0), in the order keys first appear.
  const groupBy = (items, callbackfn, propertyKeys) => {
    if (items === undefined || items === null) throw new TypeError(`${String(items)} is not iterable`);
    requireCallable(callbackfn, String(callbackfn));
    const groups = new MapCtor();
    let k = 0;
    for (const value of items) {
      let key = callbackfn(value, k);
      if (propertyKeys) key = typeof key === 'symbol' ? key : `${key}`;
      else if (key === 0) key = 0;
      const group = mapGet.call(groups, key);
      if (group === undefined) mapSet.call(groups, key, [value]);
      else group[group.length] = value;
      k++;
    }
    return groups;
  };
  install(Object, {
    groupBy(items, callbackfn) {
      const obj = Object.create(null);
      const groups = groupBy(items, callbackfn, true);
      const entries = mapEntries.call(groups);
      for (let r = mapIteratorNext.call(entries); !r.done; r = mapIteratorNext.call(entries)) obj[r.value[0]] = r.value[1];
      return obj;
    },
  });
  install(Map, {
    groupBy(items, callbackfn) {
      return groupBy(items, callbackfn, false);
    },
  });

  // String.prototype: lone surrogates found, or replaced by U+FFFD.
  const loneSurrogate = (s, i) => {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) return false;
    if (c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      return !(d >= 0xdc00 && d <= 0xdfff);
    }
    const b = s.charCodeAt(i - 1);
    return !(b >= 0xd800 && b <= 0xdbff);
  };
  const stringOf = (v, method) => {
    toObject(v, method);
    return `${v}`;
  };
  install(String.prototype, {
    isWellFormed() {
      const s = stringOf(this, 'String.prototype.isWellFormed');
      for (let i = 0; i < s.length; i++) if (loneSurrogate(s, i)) return false;
      return true;
    },
    toWellFormed() {
      const s = stringOf(this, 'String.prototype.toWellFormed');
      let out = '';
      let from = 0;
      for (let i = 0; i < s.length; i++) {
        if (loneSurrogate(s, i)) {
          out += `${s.slice(from, i)}\uFFFD`;
          from = i + 1;
        }
      }
      return from === 0 ? s : out + s.slice(from);
    },
  });

  // Array.fromAsync: an array of what an async iterable, an iterable (its
  // values awaited) or an array-like (its elements awaited) gives, mapped
  // and awaited, made by `this` when it is a constructor.
  const createDataProperty = (a, k, value) =>
    Object.defineProperty(a, k, { value, writable: true, enumerable: true, configurable: true });
  install(Array, {
    async fromAsync(asyncItems, mapfn = undefined, thisArg = undefined) {
      const C = this;
      const mapping = mapfn !== undefined;
      if (mapping) requireCallable(mapfn, String(mapfn));
      if (asyncItems === undefined || asyncItems === null) throw new TypeError(`${String(asyncItems)} is not iterable`);
      const iterable = asyncItems[Symbol.asyncIterator] ?? asyncItems[Symbol.iterator];
      if (iterable !== undefined && iterable !== null) {
        const a = isConstructor(C) ? new C() : [];
        let k = 0;
        for await (const value of asyncItems) {
          if (k >= MAX_LENGTH) throw new TypeError('Array.fromAsync: too many values');
          createDataProperty(a, k, mapping ? await mapfn.call(thisArg, value, k) : value);
          k++;
        }
        a.length = k;
        return a;
      }
      const arrayLike = Object(asyncItems);
      const len = lengthOf(arrayLike);
      const a = isConstructor(C) ? new C(len) : arrayCreate(len);
      for (let k = 0; k < len; k++) {
        const value = await arrayLike[k];
        createDataProperty(a, k, mapping ? await mapfn.call(thisArg, value, k) : value);
      }
      a.length = len;
      return a;
    },
  });

  // The Set methods. The receiver's elements are read with the engine's
  // own Set operations (captured here), the argument's through its
  // set-like record (GetSetRecord).
  const setSize = Object.getOwnPropertyDescriptor(Set.prototype, 'size').get;
  const setHas = Set.prototype.has;
  const setAdd = Set.prototype.add;
  const setDelete = Set.prototype.delete;
  const setValues = Set.prototype.values;
  const setIteratorNext = Object.getPrototypeOf(new Set().values()).next;
  // RequireInternalSlot(O, [[SetData]]): the engine's `size` getter
  // refuses anything else.
  const thisSet = o => {
    setSize.call(o);
    return o;
  };
  // The receiver's elements, live: those added while iterating are seen.
  function* elementsOf(set) {
    const iterator = setValues.call(set);
    for (let r = setIteratorNext.call(iterator); !r.done; r = setIteratorNext.call(iterator)) yield r.value;
  }
  const copyOf = set => {
    const copy = new SetCtor();
    for (const e of elementsOf(set)) setAdd.call(copy, e);
    return copy;
  };
  const setRecord = other => {
    if (!isObject(other)) throw new TypeError('The argument of a Set method must be an object');
    const rawSize = other.size;
    const numSize = +rawSize;
    if (Number.isNaN(numSize)) throw new TypeError("The argument's size is not a number");
    const size = toIntegerOrInfinity(numSize);
    if (size < 0) throw new RangeError("The argument's size must not be negative");
    const has = requireCallable(other.has, "The argument's has");
    const keys = requireCallable(other.keys, "The argument's keys");
    return { set: other, size, has, keys };
  };
  // The argument's keys, each -0 as +0 (GetIteratorFromMethod and
  // IteratorStepValue); `close()` closes the iterator when stopping early.
  const keysOf = record => {
    const iterator = record.keys.call(record.set);
    if (!isObject(iterator)) throw new TypeError("The argument's keys() is not an object");
    const next = iterator.next;
    return {
      *[Symbol.iterator]() {
        for (;;) {
          const r = next.call(iterator);
          if (!isObject(r)) throw new TypeError(`Iterator result ${String(r)} is not an object`);
          if (r.done) return;
          const value = r.value;
          yield value === 0 ? 0 : value;
        }
      },
      close() {
        const ret = iterator.return;
        if (ret === undefined || ret === null) return;
        if (!isObject(ret.call(iterator))) throw new TypeError('Iterator return() result is not an object');
      },
    };
  };
  const inOther = (record, e) => !!record.has.call(record.set, e);
  install(Set.prototype, {
    union(other) {
      const o = thisSet(this);
      const record = setRecord(other);
      const keys = keysOf(record);
      const result = copyOf(o);
      for (const next of keys) setAdd.call(result, next);
      return result;
    },
    intersection(other) {
      const o = thisSet(this);
      const record = setRecord(other);
      const result = new SetCtor();
      if (setSize.call(o) <= record.size) {
        for (const e of elementsOf(o)) if (inOther(record, e)) setAdd.call(result, e === 0 ? 0 : e);
      } else {
        for (const next of keysOf(record)) if (setHas.call(o, next)) setAdd.call(result, next);
      }
      return result;
    },
    difference(other) {
      const o = thisSet(this);
      const record = setRecord(other);
      const result = copyOf(o);
      if (setSize.call(o) <= record.size) {
        for (const e of elementsOf(o)) if (inOther(record, e)) setDelete.call(result, e);
      } else {
        for (const next of keysOf(record)) setDelete.call(result, next);
      }
      return result;
    },
    symmetricDifference(other) {
      const o = thisSet(this);
      const record = setRecord(other);
      const keys = keysOf(record);
      const result = copyOf(o);
      for (const next of keys) {
        if (setHas.call(o, next)) setDelete.call(result, next);
        else setAdd.call(result, next);
      }
      return result;
    },
    isSubsetOf(other) {
      const o = thisSet(this);
      const record = setRecord(other);
      if (setSize.call(o) > record.size) return false;
      for (const e of elementsOf(o)) if (!inOther(record, e)) return false;
      return true;
    },
    isSupersetOf(other) {
      const o = thisSet(this);
      const record = setRecord(other);
      if (setSize.call(o) < record.size) return false;
      const keys = keysOf(record);
      for (const next of keys) {
        if (!setHas.call(o, next)) {
          keys.close();
          return false;
        }
      }
      return true;
    },
    isDisjointFrom(other) {
      const o = thisSet(this);
      const record = setRecord(other);
      if (setSize.call(o) <= record.size) {
        for (const e of elementsOf(o)) if (inOther(record, e)) return false;
      } else {
        const keys = keysOf(record);
        for (const next of keys) {
          if (setHas.call(o, next)) {
            keys.close();
            return false;
          }
        }
      }
      return true;
    },
  });
}

installEsBuiltins();
