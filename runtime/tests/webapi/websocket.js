import { suite, eq, throws } from './harness.js';

// The two ends of a pair, both accepted, with what each end received.
function acceptedPair() {
  const [a, b] = Object.values(new WebSocketPair());
  const seen = { a: [], b: [] };
  a.accept();
  b.accept();
  a.addEventListener('message', e => seen.a.push(e.data));
  b.addEventListener('message', e => seen.b.push(e.data));
  return { a, b, seen };
}

// Resolves once `condition()` holds, checking after each timer turn.
async function until(condition) {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise(r => setTimeout(r, 0));
}

export default suite(test => {
  test('send() needs one argument', () => {
    const { a } = acceptedPair();
    throws(() => a.send(), TypeError);
  });
  test('send() before accept() is refused', () => {
    const [a] = Object.values(new WebSocketPair());
    const e = throws(() => a.send('early'), TypeError);
    eq(e.message, 'You must call accept() on this WebSocket before sending messages.');
  });
  test('text, binary and other values reach the other end in order', async () => {
    const { a, b, seen } = acceptedPair();
    a.send('one');
    a.send(new Uint8Array([1, 2, 3]));
    a.send(42);
    b.send('back');
    await until(() => seen.b.length === 3 && seen.a.length === 1);
    eq(seen.b[0], 'one');
    eq([seen.b[1] instanceof ArrayBuffer, [...new Uint8Array(seen.b[1])]], [true, [1, 2, 3]]);
    eq(seen.b[2], '42');
    eq(seen.a, ['back']);
  });
  test('a binary message is a copy taken when sent', async () => {
    const { a, b, seen } = acceptedPair();
    const bytes = new Uint8Array([7, 8]);
    a.send(bytes);
    bytes[0] = 0;
    await until(() => seen.b.length === 1);
    eq([...new Uint8Array(seen.b[0])], [7, 8]);
  });
  test('send() after close() is refused on the end that closed', () => {
    const { a } = acceptedPair();
    a.close(1000, 'done');
    const e = throws(() => a.send('late'), TypeError);
    eq(e.message, "Can't call WebSocket send() after close().");
    const b2 = throws(() => a.send(new Uint8Array(1)), TypeError);
    eq(b2.message, "Can't call WebSocket send() after close().");
  });
  test('send() on an end whose peer closed it is refused once the close arrived', async () => {
    const { a, b } = acceptedPair();
    let closed = false;
    b.addEventListener('close', () => { closed = true; });
    a.close(1000, 'bye');
    await until(() => closed);
    eq(closed, true);
    throws(() => b.send('late'), TypeError);
  });
});
