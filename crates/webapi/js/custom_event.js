// CustomEvent (the DOM standard): an Event carrying a `detail`. A group of
// its own, loaded when the global is first used. Uses no ops.
class CustomEvent extends Event {
  #detail;
  constructor(type, eventInitDict = undefined) {
    if (arguments.length === 0) throw new TypeError("CustomEvent constructor: the 'type' argument is required");
    super(type, eventInitDict);
    this.#detail = eventInitDict?.detail ?? null;
  }
  get detail() { return this.#detail; }
  initCustomEvent(type, bubbles = false, cancelable = false, detail = null) {
    if (arguments.length === 0) throw new TypeError("initCustomEvent: the 'type' argument is required");
    if (isDispatching(this)) return;
    this.initEvent(type, bubbles, cancelable);
    this.#detail = detail;
  }
}
webidlInterface(CustomEvent);
defineGlobal('CustomEvent', CustomEvent);
