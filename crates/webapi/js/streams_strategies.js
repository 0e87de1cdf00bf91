// Queuing strategies (WHATWG Streams): ByteLengthQueuingStrategy and
// CountQueuingStrategy. Their `size` functions are shared per realm, as the
// standard asks. Uses no ops.
function strategyInit(init, what) {
  if (init === undefined || init === null || typeof init !== 'object') {
    throw new TypeError(`Failed to construct '${what}': the init dictionary needs a highWaterMark`);
  }
  if (init.highWaterMark === undefined) {
    throw new TypeError(`Failed to construct '${what}': highWaterMark is required`);
  }
  return Number(init.highWaterMark);
}

const byteLengthSize = {
  size(chunk) { return chunk.byteLength; },
}.size;
const countSize = {
  size() { return 1; },
}.size;

class ByteLengthQueuingStrategy {
  #hwm;
  constructor(init) { this.#hwm = strategyInit(init, 'ByteLengthQueuingStrategy'); }
  static #brand(o) { if (!(o instanceof ByteLengthQueuingStrategy) || !(#hwm in o)) throw new TypeError('Illegal invocation'); }
  get highWaterMark() { ByteLengthQueuingStrategy.#brand(this); return this.#hwm; }
  get size() { ByteLengthQueuingStrategy.#brand(this); return byteLengthSize; }
}
webidlInterface(ByteLengthQueuingStrategy);

class CountQueuingStrategy {
  #hwm;
  constructor(init) { this.#hwm = strategyInit(init, 'CountQueuingStrategy'); }
  static #brand(o) { if (!(o instanceof CountQueuingStrategy) || !(#hwm in o)) throw new TypeError('Illegal invocation'); }
  get highWaterMark() { CountQueuingStrategy.#brand(this); return this.#hwm; }
  get size() { CountQueuingStrategy.#brand(this); return countSize; }
}
webidlInterface(CountQueuingStrategy);

defineGlobal('ByteLengthQueuingStrategy', ByteLengthQueuingStrategy);
defineGlobal('CountQueuingStrategy', CountQueuingStrategy);
