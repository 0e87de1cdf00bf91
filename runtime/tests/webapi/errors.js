// Reported exceptions: the global's `error` listeners get an ErrorEvent for
// what a microtask, a timer or reportError() throws; ErrorEvent's
// constructor; a timer's string handler without code generation.
import { suite, eq, throws } from './harness.js';

// The ErrorEvent the next reported exception makes, canceled so that it is
// not logged.
function nextError() {
  return new Promise(resolve => {
    const listener = event => {
      removeEventListener('error', listener);
      event.preventDefault();
      resolve(event);
    };
    addEventListener('error', listener);
  });
}

export default suite(test => {
  test('ErrorEvent', () => {
    const error = new RangeError('x');
    const e = new ErrorEvent('error', { message: 'm', filename: 'f.js', lineno: -1, colno: 2.9, error, cancelable: true });
    eq([e.type, e.message, e.filename, e.lineno, e.colno, e.error === error, e.cancelable],
      ['error', 'm', 'f.js', 4294967295, 2, true, true]);
    eq(e instanceof Event, true);
    const empty = new ErrorEvent('error');
    eq([empty.message, empty.filename, empty.lineno, empty.colno, empty.error], ['', '', 0, 0, null]);
    eq(Object.prototype.toString.call(e), '[object ErrorEvent]');
    throws(() => new ErrorEvent(), TypeError, 'no type');
    throws(() => new ErrorEvent('error', 5), TypeError, 'init not a dictionary');
    throws(() => new ErrorEvent('error', { lineno: 1n }), TypeError, 'BigInt lineno');
  });
  test('a microtask that throws reports its exception', async () => {
    const error = new Error('boo');
    const reported = nextError();
    queueMicrotask(() => { throw error; });
    const event = await reported;
    eq([event instanceof ErrorEvent, event.error === error, event.message], [true, true, 'Uncaught Error: boo']);
  });
  test('a timer callback that throws reports its exception', async () => {
    const reported = nextError();
    setTimeout(() => { throw 42; }, 0);
    eq((await reported).error, 42);
  });
  test('reportError', async () => {
    throws(() => reportError(), TypeError, 'no argument');
    const reported = nextError();
    reportError('oops');
    eq((await reported).error, 'oops');
    eq(reportError.name, 'reportError');
    eq(reportError.length, 1);
  });
  test('a timer handler that is a string is code, disallowed by default', async () => {
    globalThis.ran = false;
    const reported = nextError();
    setTimeout('globalThis.ran = true', 0);
    const event = await reported;
    eq([event.error instanceof EvalError, globalThis.ran], [true, false]);
  });
  test('removed error listeners get nothing', async () => {
    let calls = 0;
    const listener = () => { calls++; };
    addEventListener('error', listener);
    removeEventListener('error', listener);
    const reported = nextError();
    reportError(1);
    await reported;
    eq(calls, 0);
  });
});
