// ErrorEvent (HTML), the event a Worker's global `error` listeners get when
// an exception is reported: one a timer callback, a microtask, an event
// listener or a waitUntil promise threw. A group of its own, loaded when the
// global is first used or an exception is first reported to a listener
// (events.js). Uses no ops.
class ErrorEvent extends Event {
  #message; #filename; #lineno; #colno; #error;
  constructor(type, init = undefined) {
    requireArgs(arguments.length, 1, 'ErrorEvent');
    super(type, init);
    // ErrorEventInit's members, in Web IDL's (lexicographic) order.
    const d = dictionary(init, 'ErrorEvent');
    const unsignedLong = v => (v === undefined ? 0 : (+v) >>> 0);
    this.#colno = unsignedLong(d.colno);
    const error = d.error;
    this.#error = error === undefined ? null : error;
    const filename = d.filename;
    this.#filename = filename === undefined ? '' : toUSVString(filename);
    this.#lineno = unsignedLong(d.lineno);
    const message = d.message;
    this.#message = message === undefined ? '' : `${message}`;
  }
  get message() { return this.#message; }
  get filename() { return this.#filename; }
  get lineno() { return this.#lineno; }
  get colno() { return this.#colno; }
  get error() { return this.#error; }
}
webidlInterface(ErrorEvent);
defineGlobal('ErrorEvent', ErrorEvent);
