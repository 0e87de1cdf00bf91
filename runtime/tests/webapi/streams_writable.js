import { suite, eq, throws, rejects } from './harness.js';

const delay = ms => new Promise(r => setTimeout(r, ms));

function recorder(extra = {}) {
  const log = [];
  const ws = new WritableStream({
    write(chunk) { log.push(chunk); },
    close() { log.push('close'); },
    abort(r) { log.push(`abort:${r}`); },
    ...extra,
  });
  return { ws, log };
}

export default suite(test => {
  test('writes reach the sink in order, then close', async () => {
    const { ws, log } = recorder();
    const w = ws.getWriter();
    eq(ws.locked, true);
    await Promise.all([w.write('a'), w.write('b'), w.close()]);
    eq(log, ['a', 'b', 'close']);
    await w.closed;
    await rejects(w.write('c'), TypeError, 'write after close');
  });
  test('backpressure: ready waits for the sink', async () => {
    let release;
    const ws = new WritableStream({ write() { return new Promise(r => { release = r; }); } }, { highWaterMark: 1 });
    const w = ws.getWriter();
    eq(w.desiredSize, 1);
    w.write('a');
    w.write('b');
    eq(w.desiredSize, -1);
    let ready = false;
    w.ready.then(() => { ready = true; });
    await delay(1);
    eq(ready, false, 'not ready while the queue is full');
    release();
    await delay(1);
    release();
    await w.ready;
    eq(w.desiredSize, 1);
  });
  test('a failing sink errors the stream', async () => {
    const ws = new WritableStream({ write() { throw new RangeError('no'); } });
    const w = ws.getWriter();
    await rejects(w.write('a'), RangeError);
    await rejects(w.closed, RangeError);
    await rejects(w.write('b'), RangeError);
  });
  test('abort reaches the sink and the controller signal', async () => {
    let signal;
    const { ws, log } = recorder({ start(c) { signal = c.signal; } });
    await ws.abort('why');
    eq(log, ['abort:why']);
    if (signal !== undefined) eq([signal.aborted, signal.reason], [true, 'why']);
    throws(() => new WritableStream({ type: 'bytes' }), RangeError, 'type');
    throws(() => new WritableStream({ write: 5 }), TypeError, 'write not a function');
    const locked = new WritableStream();
    locked.getWriter();
    await rejects(locked.abort(), TypeError, 'abort when locked');
    await rejects(locked.close(), TypeError, 'close when locked');
    throws(() => locked.getWriter(), TypeError, 'second writer');
  });
  test('writer release', async () => {
    const ws = new WritableStream();
    const w = ws.getWriter();
    w.releaseLock();
    await rejects(w.closed, TypeError);
    await rejects(w.write('x'), TypeError);
    throws(() => w.desiredSize, TypeError);
    eq(ws.locked, false);
  });
  test('TransformStream maps chunks, flushes, and has backpressure', async () => {
    const ts = new TransformStream({
      transform(chunk, c) { c.enqueue(chunk.toUpperCase()); },
      flush(c) { c.enqueue('!'); },
    });
    const w = ts.writable.getWriter();
    w.write('a');
    w.write('b');
    w.close();
    const out = [];
    for await (const v of ts.readable) out.push(v);
    eq(out, ['A', 'B', '!']);
    const id = new TransformStream();
    const iw = id.writable.getWriter();
    eq(iw.desiredSize, 1, 'the writable side has room for one chunk');
    throws(() => new TransformStream({ readableType: 'bytes' }), RangeError);
  });
  test('TransformStream errors and terminate', async () => {
    const ts = new TransformStream({ transform() { throw new SyntaxError('bad'); } });
    const w = ts.writable.getWriter();
    const read = ts.readable.getReader().read();
    await rejects(w.write('x'), SyntaxError);
    await rejects(read, SyntaxError);
    const t2 = new TransformStream({ start(c) { c.terminate(); } });
    eq((await t2.readable.getReader().read()).done, true);
    await rejects(t2.writable.getWriter().write('x'), TypeError);
  });
  test('pipeTo and pipeThrough', async () => {
    const { ws, log } = recorder();
    await ReadableStream.from([1, 2, 3]).pipeTo(ws);
    eq(log, [1, 2, 3, 'close']);
    const doubled = ReadableStream.from([1, 2]).pipeThrough(new TransformStream({
      transform(n, c) { c.enqueue(n * 2); },
    }));
    const out = [];
    for await (const v of doubled) out.push(v);
    eq(out, [2, 4]);
    await rejects(ReadableStream.prototype.pipeTo.call(new ReadableStream(), {}), TypeError, 'not a WritableStream');
    throws(() => new ReadableStream().pipeThrough({}), TypeError, 'no readable/writable');
  });
  test('pipeTo options: preventClose, errors both ways', async () => {
    const { ws, log } = recorder();
    await ReadableStream.from(['x']).pipeTo(ws, { preventClose: true });
    eq(log, ['x']);
    eq(ws.locked, false);
    const boom = new Error('source failed');
    const r2 = recorder();
    const failing = new ReadableStream({ start(c) { c.enqueue('y'); c.error(boom); } });
    const e = await rejects(failing.pipeTo(r2.ws), Error);
    eq(e === boom, true);
    let cancelled;
    const src = new ReadableStream({ pull(c) { c.enqueue('z'); }, cancel(r) { cancelled = r; } });
    const bad = new WritableStream({ write() { throw new TypeError('sink failed'); } });
    await rejects(src.pipeTo(bad), TypeError);
    eq(cancelled instanceof TypeError, true, 'the source was cancelled');
  });
  test('pipeTo with an AbortSignal', async () => {
    if (typeof AbortController !== 'function') return;
    const controller = new AbortController();
    let cancelled = false;
    const src = new ReadableStream({ pull(c) { return delay(5).then(() => c.enqueue('t')); }, cancel() { cancelled = true; } });
    const { ws, log } = recorder();
    const piping = src.pipeTo(ws, { signal: controller.signal });
    await delay(20);
    controller.abort(new RangeError('stop'));
    await rejects(piping, RangeError);
    eq([cancelled, log[log.length - 1]], [true, 'abort:RangeError: stop']);
    await rejects(ReadableStream.from([1]).pipeTo(new WritableStream(), { signal: 'no' }), TypeError, 'bad signal');
  });
});
