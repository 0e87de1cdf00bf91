// console: the namespace's shape and its errors, checked here; what the calls
// print, checked by tests/console.rs against the log lines the host writes
// (in this order).
import { suite, eq, throws } from './harness.js';

function print() {
  console.log('plain', 1, -0, 2n, true, null, undefined, Symbol('s'));
  console.log({ a: 1, 'b-c': 'x', nested: { deep: { deeper: { deepest: {} } } } });
  console.log([1, , 3, 'x']);
  console.log(new Map([[1, 'a']]), new Set([2]));
  const c = { name: 'c' };
  c.self = c;
  console.log(c);
  console.log({ get g() { throw new Error('never called'); } });
  console.log(new Array(1000).fill(0));
  console.log(new Uint8Array(3));
  console.log('%s is %d years and %f%% %i', 'Bob', '42.5', '1.5', 7.9, 'extra');
  console.log('%o and %O', 'str', [1]);
  console.log('%c styled', 'color: red');
  console.log('%x stays', 1);
  console.log('%d', Symbol('n'));
  console.info('info');
  console.warn('warn');
  console.error(new TypeError('bad'));
  console.debug('debug');
  console.assert(true, 'never shown');
  console.assert(false, 'cond %s', 'x');
  console.assert(false);
  console.assert(0, { a: 1 });
  console.count();
  console.count();
  console.count('x');
  console.countReset();
  console.count();
  console.countReset('nope');
  console.count({ toString() { return 'obj'; } });
  console.group('G');
  console.log('in\nside');
  console.group();
  console.log('deeper');
  console.groupEnd();
  console.groupEnd();
  console.groupEnd();
  console.log('out');
  console.time('t');
  console.time('t');
  console.timeLog('t', 'data', 1);
  console.timeEnd('t');
  console.timeEnd('t');
  console.timeLog('u');
  console.table([{ a: 1, b: 'x' }, { a: 2 }]);
  console.table(['p'], []);
  console.table(5);
  console.dir('s');
  console.dir({ a: [1] });
  console.dirxml('s', 2);
  console.trace('here %d', 1);
  console.log(new Array(1_000_000).fill('x'));
  console.log(Array.from({ length: 100 }, () => Array.from({ length: 100 }, () => new Array(100).fill(1))));
  console.log('y'.repeat(100_000));
  console.group();
  console.log('z'.repeat(100_000));
  console.groupEnd();
  console.log('end');
}

export default suite(test => {
  test('the namespace object', () => {
    const proto = Object.getPrototypeOf(console);
    eq(Reflect.ownKeys(proto).length, 0);
    eq(Object.getPrototypeOf(proto) === Object.prototype, true);
    eq(Object.prototype.toString.call(console), '[object console]');
    eq('Console' in globalThis, false);
    const names = ['assert', 'clear', 'debug', 'error', 'info', 'log', 'table', 'trace', 'warn', 'dir',
      'dirxml', 'count', 'countReset', 'group', 'groupCollapsed', 'groupEnd', 'time', 'timeLog', 'timeEnd'];
    for (const name of names) {
      const desc = Object.getOwnPropertyDescriptor(console, name);
      eq([typeof desc.value, desc.enumerable, desc.writable, desc.configurable, desc.value.length],
        ['function', true, true, true, 0], name);
    }
  });
  test('labels are converted to strings and conversion errors are thrown', () => {
    for (const method of ['count', 'countReset', 'time', 'timeLog', 'timeEnd']) {
      throws(() => console[method]({ toString() { throw new RangeError('label'); } }), RangeError, method);
      throws(() => console[method](Symbol('label')), TypeError, method);
    }
  });
  test('table and dir check their options', () => {
    throws(() => console.table([], 5), TypeError, 'table');
    throws(() => console.dir({}, 5), TypeError, 'dir');
  });
  test('printing', print);
});
