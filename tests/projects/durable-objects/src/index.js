import { DurableObject } from 'cloudflare:workers';

// Runs one storage step of a /kv script: `{ op, args }` on ctx.storage.
async function storageStep(storage, step) {
  const [a, b] = step.args ?? [];
  switch (step.op) {
    case 'get': {
      const v = await storage.get(a);
      return v instanceof Map ? Object.fromEntries(v) : v ?? null;
    }
    case 'put': return (await storage.put(a, b)) ?? null;
    case 'delete': return await storage.delete(a);
    case 'list': return [...(await storage.list(a))];
    case 'deleteAll': return (await storage.deleteAll()) ?? null;
    case 'txRollback':
      try {
        storage.transactionSync(() => {
          storage.put(a, b);
          throw new Error('undo');
        });
      } catch (e) {
        return e.message;
      }
      return 'not rolled back';
    case 'txAsync':
      return await storage.transaction(async txn => {
        await txn.put(a, b);
        txn.rollback();
        return 'rolled back';
      });
    case 'alarm':
      await storage.setAlarm(a);
      return await storage.getAlarm();
    case 'getAlarm': return await storage.getAlarm();
    case 'deleteAlarm':
      await storage.deleteAlarm();
      return await storage.getAlarm();
    // The synchronous API (`ctx.storage.kv`): no promises.
    case 'kvGet': {
      const v = storage.kv.get(a);
      return v === undefined ? 'undefined' : v;
    }
    case 'kvPut': return storage.kv.put(a, b) === undefined ? 'undefined' : 'a value';
    case 'kvDelete': return storage.kv.delete(a);
    case 'kvList': return [...storage.kv.list(a)];
    case 'kvListTwice': {
      // A second list() invalidates the first, not yet finished.
      const first = storage.kv.list();
      const head = first.next().value;
      const second = [...storage.kv.list({ limit: 1 })];
      let invalidated = null;
      try {
        first.next();
      } catch (e) {
        invalidated = `${e.name}: ${e.message}`;
      }
      return { head, second, invalidated };
    }
    // Many pairs: `a` keys `${b}000`… (three digits), each valued its number.
    case 'fill': {
      for (let i = 0; i < a; i += 128) {
        const batch = {};
        for (let j = i; j < Math.min(a, i + 128); j++) batch[`${b}${String(j).padStart(3, '0')}`] = j;
        await storage.put(batch);
      }
      return a;
    }
    // The keys a listing gives (values checked against the keys' numbers).
    case 'kvKeys':
    case 'listKeys': {
      const pairs = step.op === 'kvKeys' ? [...storage.kv.list(a)] : [...(await storage.list(a))];
      const wrong = pairs.filter(([k, v]) => v !== Number(k.slice(-3)));
      if (wrong.length > 0) throw new Error(`values not their keys' numbers: ${JSON.stringify(wrong.slice(0, 3))}`);
      return pairs.map(([k]) => k);
    }
    // The first `b` pairs of a kv listing, the rest left unread.
    case 'kvHead': {
      const out = [];
      for (const pair of storage.kv.list(a)) {
        out.push(pair[0]);
        if (out.length === b) break;
      }
      return out;
    }
    // A kv listing with `a` options; after reading `b.after` pairs, the
    // writes `b.writes` ([op, key, value]: put, delete, or a put rolled
    // back by transactionSync), then the rest: its pairs as `key=value`.
    case 'kvWriteDuring': {
      const out = [];
      for (const [k, v] of storage.kv.list(a)) {
        out.push(`${k}=${v}`);
        if (out.length !== b.after) continue;
        for (const [what, key, value] of b.writes) {
          if (what === 'put') storage.kv.put(key, value);
          else if (what === 'delete') storage.kv.delete(key);
          else if (what === 'asyncPut') await storage.put(key, value);
          else {
            try {
              storage.transactionSync(() => {
                storage.kv.put(key, value);
                throw new Error('undo');
              });
            } catch {}
          }
        }
      }
      return out;
    }
    // A kv listing read on inside a transaction that writes ahead of it
    // (three keys after its first) and is rolled back: the keys it gives.
    case 'kvRollbackDuring': {
      const it = storage.kv.list(a);
      const out = [it.next().value[0]];
      try {
        storage.transactionSync(() => {
          for (const suffix of ['a', 'b', 'c']) storage.kv.put(`${out[0]}${suffix}`, suffix);
          out.push(it.next().value[0], it.next().value[0]);
          throw new Error('undo');
        });
      } catch {}
      out.push(it.next().value[0]);
      return out;
    }
    // Reads `b` pairs of a kv listing (more than its first chunk), starts
    // another listing (`a`: 'kv' or 'async'), then reads on.
    case 'kvInvalidated': {
      const first = storage.kv.list();
      const keys = [];
      for (let i = 0; i < b; i++) keys.push(first.next().value[0]);
      if (a === 'kv') storage.kv.list({ limit: 1 }).next();
      else await storage.list({ limit: 1 });
      let error = null;
      try {
        first.next();
      } catch (e) {
        error = `${e.name}: ${e.message}`;
      }
      let again = null;
      try {
        first.next();
      } catch (e) {
        again = e.name;
      }
      return { last: keys[keys.length - 1], error, again };
    }
    case 'kvTxRollback':
      try {
        storage.transactionSync(() => {
          storage.kv.put(a, b);
          throw new Error('undo');
        });
      } catch (e) {
        return e.message;
      }
      return 'not rolled back';
    case 'pitr': {
      // Point-in-time recovery: not supported, said clearly.
      const out = [];
      for (const call of [() => storage.getCurrentBookmark(), () => storage.getBookmarkForTime(Date.now()), () => storage.onNextSessionRestoreBookmark('b')]) {
        try {
          out.push(await call());
        } catch (e) {
          out.push(`${e.name}: ${e.message}`);
        }
      }
      return out;
    }
    default: throw new Error(`unknown op ${step.op}`);
  }
}

function sqlScript(sql) {
  sql.exec('CREATE TABLE IF NOT EXISTS people (id INTEGER PRIMARY KEY, name TEXT, photo BLOB)');
  const insert = sql.exec('INSERT INTO people (name, photo) VALUES (?, ?), (?, ?)', 'ada', new Uint8Array([1, 2]), 'bob', null);
  const all = sql.exec('SELECT id, name, photo FROM people ORDER BY id');
  const columns = all.columnNames;
  const first = all.next().value;
  const rest = all.toArray();
  const raw = [...sql.exec('SELECT name FROM people ORDER BY id').raw()];
  const one = sql.exec('SELECT count(*) AS n FROM people').one();
  const errors = [];
  for (const [q, ...b] of [['SELECT * FROM people WHERE id > 100'], ['SELECT * FROM people'], ['SELECT * FROM _cf_KV'], ['SELEKT 1']]) {
    try {
      sql.exec(q, ...b).one();
      errors.push('no error');
    } catch (e) {
      errors.push(e.message);
    }
  }
  // Cloudflare's SQLite takes a LIMIT on DELETE and UPDATE, and has the
  // math functions.
  const limited = {
    deleted: sql.exec('DELETE FROM people RETURNING name ORDER BY id DESC LIMIT 1').toArray(),
    root: sql.exec('SELECT sqrt(81) AS r').one().r,
  };
  return {
    limited,
    written: insert.rowsWritten,
    columns,
    first: { ...first, photo: first.photo instanceof ArrayBuffer ? [...new Uint8Array(first.photo)] : first.photo },
    rest: rest.map(r => r.name),
    raw,
    one,
    read: all.rowsRead,
    size: sql.databaseSize > 0,
    errors,
  };
}

export class Counter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.token = crypto.randomUUID();
    this.ready = false;
    // Events wait until this is done (blockConcurrencyWhile).
    ctx.blockConcurrencyWhile(async () => {
      await new Promise(resolve => setTimeout(resolve, 20));
      this.ready = true;
    });
  }

  async fetch(request) {
    const url = new URL(request.url);
    const storage = this.ctx.storage;
    switch (url.pathname) {
      case '/increment': {
        const n = ((await storage.get('n')) ?? 0) + 1;
        await storage.put('n', n);
        return Response.json(n);
      }
      case '/get':
        return Response.json((await storage.get('n')) ?? 0);
      case '/instance':
        return Response.json({ token: this.token, ready: this.ready, id: this.ctx.id.toString(), name: this.ctx.id.name });
      case '/write': {
        // Not awaited: the response still waits for the write (output gate).
        storage.put(url.searchParams.get('key'), await request.text());
        return new Response('ok');
      }
      case '/gated-fetch': {
        // Not awaited: the fetch still waits until the write is durable
        // (output gate); so does what a WebSocket it opens sends.
        storage.put('fetched', ((await storage.get('fetched')) ?? 0) + 1);
        const to = url.searchParams.get('to');
        if (url.searchParams.get('socket') === null) return new Response(await (await fetch(to)).text());
        const ws = new WebSocket(to);
        const reply = new Promise((resolve, reject) => {
          ws.addEventListener('message', e => resolve(e.data));
          ws.addEventListener('error', () => reject(new Error('socket error')));
        });
        await new Promise(resolve => ws.addEventListener('open', resolve));
        storage.put('fetched', ((await storage.get('fetched')) ?? 0) + 1);
        ws.send('flushes?');
        const answer = await reply;
        ws.close();
        return new Response(answer);
      }
      case '/gated-call': {
        // A call of another object, through its stub's fetch or over RPC,
        // waits for this object's write too; the other object's own fetch
        // then waits for its write.
        storage.put('fetched', ((await storage.get('fetched')) ?? 0) + 1);
        const other = this.env.COUNTER.getByName(url.searchParams.get('via'));
        const to = url.searchParams.get('to');
        if (url.searchParams.get('rpc') !== null) return new Response(await other.gatedFetch(to));
        const inner = `https://object.internal/gated-fetch?to=${encodeURIComponent(to)}`;
        return new Response(await (await other.fetch(inner)).text());
      }
      case '/remember': {
        // Kept in memory as well as stored (not awaited: the response
        // still waits until the write is durable).
        this.remembered = url.searchParams.get('value');
        storage.put('remembered', this.remembered);
        return Response.json({ token: this.token, remembered: this.remembered });
      }
      case '/remember-then-fetch': {
        // Stores a value, waits until it is durable (or its flush failed),
        // then fetches `to` with no new write to wait for.
        this.remembered = url.searchParams.get('value');
        storage.put('remembered', this.remembered);
        const flushed = await storage.sync().then(() => 'durable', () => 'failed');
        let fetched;
        try {
          fetched = (await fetch(url.searchParams.get('to'))).status;
        } catch (e) {
          fetched = `${e.name}: ${e.message}`;
        }
        console.log(`remember-then-fetch: ${flushed}, fetch ${fetched}`);
        return Response.json({ flushed, fetched });
      }
      case '/own-socket': {
        // Opens a WebSocket of its own to `to` (host:port) and leaves it
        // open: `new WebSocket(url)`, or `fetch` with `Upgrade: websocket`
        // (`via=fetch`). The answer is the echo of its first message.
        const to = url.searchParams.get('to');
        let ws;
        if (url.searchParams.get('via') === 'fetch') {
          const r = await fetch(`http://${to}/`, { headers: { Upgrade: 'websocket' } });
          ws = r.webSocket;
          ws.accept();
        } else {
          ws = new WebSocket(`ws://${to}/`);
          await new Promise((resolve, reject) => {
            ws.addEventListener('open', resolve);
            ws.addEventListener('error', () => reject(new Error('socket error')));
          });
        }
        const reply = new Promise(resolve => ws.addEventListener('message', e => resolve(e.data), { once: true }));
        ws.send('hello');
        this.own = ws;
        return Response.json(await reply);
      }
      case '/close-own': {
        // Closes the socket `/own-socket` left open; answers once it is
        // closed.
        const closed = new Promise(resolve => this.own.addEventListener('close', resolve, { once: true }));
        this.own.close(1000, 'done');
        await closed;
        return Response.json('closed');
      }
      case '/recall':
        // Writes nothing: what the instance holds in memory, and what its
        // storage holds.
        return Response.json({ token: this.token, remembered: this.remembered ?? null, stored: (await storage.get('remembered')) ?? null });
      case '/read': {
        const keys = url.searchParams.get('keys').split(',');
        return Response.json(Object.fromEntries(await storage.get(keys)));
      }
      case '/kv': {
        const steps = await request.json();
        const out = [];
        for (const step of steps) {
          try {
            out.push({ result: await storageStep(storage, step) });
          } catch (e) {
            out.push({ error: { name: e.name, message: e.message } });
          }
        }
        return Response.json(out);
      }
      case '/sql':
        return Response.json(sqlScript(storage.sql));
      case '/set-alarm': {
        await storage.put('failTimes', Number(url.searchParams.get('fail') ?? 0));
        await storage.setAlarm(Date.now() + Number(url.searchParams.get('in')));
        return Response.json(await storage.getAlarm());
      }
      case '/set-alarm-undone': {
        // A setAlarm in a transaction that is rolled back: no alarm.
        try {
          storage.transactionSync(() => {
            storage.setAlarm(Date.now() + Number(url.searchParams.get('in')));
            throw new Error('undone');
          });
        } catch {}
        return Response.json(await storage.getAlarm());
      }
      case '/alarms':
        return Response.json({ runs: (await storage.get('alarms')) ?? [], pending: await storage.getAlarm() });
      case '/timer': {
        // A timer of the object: after `ms`, stores `value` (setTimeout),
        // or logs `tick <name>` every `ms` (`every`, setInterval). It
        // keeps the object in memory until it fires.
        const ms = Number(url.searchParams.get('ms'));
        if (url.searchParams.has('every')) {
          const name = this.ctx.id.name;
          this.timer = setInterval(() => console.log(`tick ${name}`), ms);
        } else {
          const value = url.searchParams.get('value');
          this.timer = setTimeout(() => storage.put('timer', value), ms);
        }
        return Response.json({ token: this.token });
      }
      case '/clear-timer':
        clearTimeout(this.timer);
        return Response.json('cleared');
      case '/loop':
        for (;;) {}
      case '/throw':
        throw new RangeError('thrown by the object');
      default:
        return new Response('no such path', { status: 404 });
    }
  }
}

// Over RPC: a put, then a fetch of `to`, which waits until the put is
// durable (the output gate); the answer's text.
Counter.prototype.gatedFetch = async function gatedFetch(to) {
  const storage = this.ctx.storage;
  storage.put('fetched', ((await storage.get('fetched')) ?? 0) + 1);
  return (await fetch(to)).text();
};

Counter.prototype.alarm = async function alarm(info) {
  const storage = this.ctx.storage;
  const runs = (await storage.get('alarms')) ?? [];
  runs.push({ retryCount: info.retryCount, isRetry: info.isRetry, name: this.ctx.id.name ?? null });
  await storage.put('alarms', runs);
  const failTimes = (await storage.get('failTimes')) ?? 0;
  if (failTimes > 0) {
    await storage.put('failTimes', failTimes - 1);
    throw new Error('the alarm failed on purpose');
  }
};

// Counter after the rename migration of wrangler-renamed.jsonc.
export class Tally extends Counter {}

// The older form: a plain class with constructor(state, env).
export class Legacy {
  constructor(state, env) {
    this.state = state;
    this.hasEnv = env.COUNTER !== undefined;
  }

  async fetch(request) {
    const seen = ((await this.state.storage.get('seen')) ?? 0) + 1;
    await this.state.storage.put('seen', seen);
    return Response.json({ seen, id: this.state.id.toString(), hasEnv: this.hasEnv });
  }
}

function idReport(ns, other) {
  const a = ns.idFromName('a');
  const unique = ns.newUniqueId();
  const errors = [];
  for (const text of ['zz', a.toString().replace(/^./, c => (c === '0' ? '1' : '0'))]) {
    try {
      ns.idFromString(text);
      errors.push('no error');
    } catch (e) {
      errors.push(`${e.name}: ${e.message}`);
    }
  }
  return {
    a: a.toString(),
    again: ns.idFromName('a').toString(),
    b: ns.idFromName('b').toString(),
    name: a.name,
    equals: a.equals(ns.idFromName('a')),
    notEquals: a.equals(ns.idFromName('b')),
    fromString: ns.idFromString(a.toString()).equals(a),
    unique: unique.toString(),
    unique2: ns.newUniqueId().toString(),
    uniqueChecked: ns.idFromString(unique.toString()).toString() === unique.toString(),
    stubName: ns.get(a).name,
    errors,
    foreignGet: (() => {
      try { other.get(a); return 'no error'; } catch (e) { return `${e.name}: ${e.message}`; }
    })(),
  };
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const [, kind, name, ...rest] = url.pathname.split('/');
    if (kind === 'ids') return Response.json(idReport(env.COUNTER, env.LEGACY));
    if (kind === 'do' || kind === 'legacy') {
      const ns = kind === 'do' ? env.COUNTER : env.LEGACY;
      const stub = ns.getByName(decodeURIComponent(name));
      const inner = new URL(`/${rest.join('/')}${url.search}`, 'https://object.internal');
      try {
        const response = await stub.fetch(new Request(inner, request));
        // Read whole: answered with a length, never cut half-way.
        return new Response(await response.arrayBuffer(), response);
      } catch (e) {
        return Response.json({ caught: `${e.name}: ${e.message}` }, { status: 500 });
      }
    }
    return new Response('not found', { status: 404 });
  },
};
