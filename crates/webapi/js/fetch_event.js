// FetchEvent: the event a service-worker syntax Worker's fetch listeners get
// (events.js dispatches it). `respondWithState(event)` tells the dispatch
// whether and with what a listener called `respondWith`.
let respondWithState; // event => { called, response }

class FetchEvent extends Event {
  #request; #called = false; #response; #ctx;
  constructor(type, init, ctx = new ExecutionContext()) {
    if (!init || !(init.request instanceof Request)) throw new TypeError('FetchEvent needs a request');
    super(type, init);
    this.#request = init.request;
    this.#ctx = ctx;
  }
  static { respondWithState = e => ({ called: e.#called, response: e.#response }); }
  get request() { return this.#request; }
  respondWith(response) {
    if (this.#called) throw new DOMException('respondWith() was already called', 'InvalidStateError');
    this.#called = true;
    this.#response = response;
  }
  waitUntil(promise) { this.#ctx.waitUntil(promise); }
  passThroughOnException() { this.#ctx.passThroughOnException(); }
}
webidlInterface(FetchEvent);
defineGlobal('FetchEvent', FetchEvent);
