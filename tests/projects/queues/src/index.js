// Producer routes and a consumer that records what it gets (see
// wrangler.jsonc). A message body's fields steer the consumer:
// `ack` (msg.ack()), `retryOnce` (msg.retry() on the first delivery, with
// `retryDelay` seconds if given), `throwOnFirst` (the handler throws on a
// batch holding a first delivery of such a message), `throwAlways`,
// `hangFirst` (the very first delivery of the message never finishes);
// `throwAlways` (the handler always throws on a batch of `jobs` holding
// the message; its dead-letter queue's consumer takes it).

const SCHEMA = `CREATE TABLE IF NOT EXISTS deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT, id TEXT, attempts INTEGER,
  tag TEXT, body TEXT, batch TEXT, batch_size INTEGER, sent_at INTEGER, delivered_at INTEGER)`;

// Values of each content type, and how the consumer describes what it got.
function value(kind) {
  switch (kind) {
    case 'text': return 'plain text é';
    case 'bytes': return new Uint8Array([0, 1, 254, 255]);
    case 'v8': {
      const shared = { s: 1 };
      const v = {
        date: new Date(86400000), map: new Map([[1, 'one'], ['k', [2, 3]]]), set: new Set(['x']),
        big: 12345678901234567890n, nan: NaN, neg: -0, undef: undefined, re: /a+b/gi,
        bytes: new Uint16Array([1, 65535]), err: new RangeError('bad'), a: shared, b: shared,
        sparse: [1, , 3],
      };
      v.self = v;
      return v;
    }
    default: return { kind: 'json', list: [1, 'two', null, true], nested: { x: 1.5 } };
  }
}

function describe(body) {
  if (typeof body === 'string') return `string:${body}`;
  if (body instanceof Uint8Array) return `Uint8Array:${Array.from(body).join(',')}`;
  if (body && body.date instanceof Date) {
    return JSON.stringify({
      date: body.date.getTime(), map: [...body.map], set: [...body.set], big: String(body.big),
      nan: Number.isNaN(body.nan), neg: Object.is(body.neg, -0), undef: 'undef' in body && body.undef === undefined,
      re: `${body.re.source}/${body.re.flags}`, bytes: `${body.bytes.constructor.name}:${Array.from(body.bytes)}`,
      err: `${body.err.constructor.name}:${body.err.message}`, shared: body.a === body.b, self: body.self === body,
      sparse: `${body.sparse.length}:${1 in body.sparse}:${body.sparse[2]}`,
    });
  }
  return JSON.stringify(body);
}

async function json(f) {
  try {
    return Response.json({ result: await f() });
  } catch (e) {
    return Response.json({ error: { name: e.name, message: e.message } });
  }
}

const big = n => 'x'.repeat(n);

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const input = request.method === 'POST' ? await request.json() : {};
    switch (url.pathname) {
      // { body, options }: env.JOBS.send(body, options).
      case '/send': return json(() => env.JOBS.send(input.body, input.options));
      case '/send-later': return json(() => env.LATER.send(input.body, input.options));
      // { kind }: a value of that content type.
      case '/send-kind':
        return json(() => env.JOBS.send(value(input.kind), input.kind === 'default' ? undefined : { contentType: input.kind }));
      case '/describe-kind': return json(() => describe(value(input.kind)));
      // { messages, options }: env.JOBS.sendBatch(messages, options).
      case '/send-batch': return json(() => env.JOBS.sendBatch(input.messages, input.options));
      // The producer's limits and errors, by name.
      case '/refused': return json(() => {
        switch (input.case) {
          case 'too-big': return env.JOBS.send(big(128001), { contentType: 'text' });
          case 'just-fits': return env.JOBS.send(big(128000), { contentType: 'text' });
          case 'batch-count': return env.JOBS.sendBatch(Array.from({ length: 101 }, (_, i) => ({ body: i })));
          case 'batch-bytes': return env.JOBS.sendBatch(Array.from({ length: 3 }, () => ({ body: big(100000), contentType: 'text' })));
          case 'batch-message': return env.JOBS.sendBatch([{ body: big(128001), contentType: 'text' }]);
          case 'batch-empty': return env.JOBS.sendBatch([]);
          case 'content-type': return env.JOBS.send('x', { contentType: 'xml' });
          case 'text-type': return env.JOBS.send(5, { contentType: 'text' });
          case 'bytes-type': return env.JOBS.send('x', { contentType: 'bytes' });
          case 'undefined': return env.JOBS.send(undefined);
          case 'delay': return env.JOBS.send('x', { delaySeconds: 86401 });
          case 'v8-function': return env.JOBS.send({ f() {} }, { contentType: 'v8' });
        }
      });
      case '/metrics': return json(() => env.JOBS.metrics());
      case '/deliveries': return json(async () => {
        await env.DB.prepare(SCHEMA).run();
        return (await env.DB.prepare('SELECT * FROM deliveries ORDER BY seq').all()).results;
      });
    }
    return new Response('not found', { status: 404 });
  },

  async queue(batch, env) {
    await env.DB.prepare(SCHEMA).run();
    const batchId = crypto.randomUUID();
    const now = Date.now();
    const earlier = await env.DB.prepare('SELECT id FROM deliveries').all();
    const seen = new Set(earlier.results.map(r => r.id));
    await env.DB.batch(batch.messages.map(m => env.DB
      .prepare('INSERT INTO deliveries (queue, id, attempts, tag, body, batch, batch_size, sent_at, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .bind(batch.queue, m.id, m.attempts, (m.body && m.body.tag) || null, describe(m.body), batchId,
        batch.messages.length, m.timestamp.getTime(), now)));
    let fail = false;
    for (const m of batch.messages) {
      const b = m.body || {};
      if (b.hangFirst && !seen.has(m.id)) await new Promise(() => {});
      if (b.ack) m.ack();
      if (b.retryOnce && m.attempts === 1) m.retry(b.retryDelay === undefined ? undefined : { delaySeconds: b.retryDelay });
      if ((b.throwOnFirst && m.attempts === 1) || (b.throwAlways && batch.queue === 'jobs')) fail = true;
    }
    if (fail) throw new Error('the consumer failed on purpose');
  },
};
