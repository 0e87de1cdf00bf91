import { DurableObject, RpcTarget } from 'cloudflare:workers';

// What a session (an RpcTarget the object returns) does: it adds to the
// object's count, in the object's storage.
class Session extends RpcTarget {
  #counter;
  constructor(counter) {
    super();
    this.#counter = counter;
  }
  add(n) { return this.#counter.increment(n); }
  get count() { return this.#counter.ctx.storage.get('n').then(n => n ?? 0); }
  // Not awaited: the answer still waits until the write is durable.
  write(key, value) {
    this.#counter.ctx.storage.put(key, value);
    return 'ok';
  }
  // What the object logged, with `text` added.
  note(text) {
    this.#counter.log.push(text);
    return [...this.#counter.log];
  }
}

export class Counter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.token = crypto.randomUUID();
    this.log = [];
  }

  // Blocks the object's events until the caller's `wait()` settles; the
  // log as the block ends.
  async blockWhile(wait) {
    let seen;
    await this.ctx.blockConcurrencyWhile(async () => {
      this.log = [];
      await wait();
      this.log.push('block done');
      seen = [...this.log];
    });
    return seen;
  }

  async increment(by = 1) {
    const n = ((await this.ctx.storage.get('n')) ?? 0) + by;
    await this.ctx.storage.put('n', n);
    return n;
  }

  async get() { return (await this.ctx.storage.get('n')) ?? 0; }

  instance() { return { token: this.token, id: this.ctx.id.toString(), name: this.ctx.id.name }; }

  get label() { return `counter ${this.ctx.id.name}`; }

  fail(kind) {
    if (kind === 'range') throw new RangeError('out of range, on purpose');
    const e = new TypeError('a type error, on purpose');
    e.detail = 'kept';
    throw e;
  }

  // Calls back into the caller: a function it passed.
  async visit(callback) {
    const doubled = await callback(21);
    return { doubled };
  }

  // An RpcTarget whose methods run in the object.
  session() { return new Session(this); }

  // Keeps a duplicate of a callback and of an RpcTarget it was passed,
  // past this call (and the original callback, which the call's end
  // disposes of).
  keep(callback, target) {
    this.kept = callback.dup();
    this.keptTarget = target.dup();
    this.original = callback;
  }

  callKept(x) { return this.kept(x); }

  addKept(n) { return this.keptTarget.add(n); }

  callOriginal(x) { return this.original(x); }

  dropKept() {
    this.kept[Symbol.dispose]();
    this.keptTarget[Symbol.dispose]();
  }

  // A value written without awaiting: the answer still waits until it is
  // durable (the output gate).
  write(key, value) {
    this.ctx.storage.put(key, value);
    return 'ok';
  }

  async read(keys) { return Object.fromEntries(await this.ctx.storage.get(keys)); }

  // Waits until `release()` is called (or a minute passed: a promise that
  // can never settle would be a hang), or the object is reset.
  async hold() {
    await new Promise(resolve => {
      this.release = resolve;
      setTimeout(resolve, 60_000);
    });
    return 'released';
  }

  held() { return typeof this.release === 'function'; }

  reset(reason) {
    try {
      this.ctx.abort(reason);
    } catch (e) {
      // Caught, but the call fails all the same; the reset instance's
      // storage takes no more writes.
      this.ctx.storage.put('after', 1).catch(() => {});
      return `caught ${e.message}`;
    }
    return 'not aborted';
  }

  // Writes, then resets the object: awaited or not, the writes stay.
  async putThenAbort(awaited) {
    const write = this.ctx.storage.put('beforeAbort', 'kept');
    this.ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS t (v TEXT)');
    this.ctx.storage.sql.exec("INSERT INTO t VALUES ('kept too')");
    if (awaited) await write;
    this.ctx.abort('abort after a put');
  }

  rows() { return this.ctx.storage.sql.exec('SELECT v FROM t').toArray().map(r => r.v); }

  // After a reset, a write the old instance tries fails.
  async writeLater() {
    await new Promise(resolve => setTimeout(resolve, 1));
    this.ctx.abort();
  }

  spin() {
    for (;;) {}
  }

  async fetch(request) {
    return Response.json({ via: 'fetch', n: await this.get(), token: this.token });
  }
}

export class Legacy {
  constructor(state, env) {
    this.state = state;
  }
  hello() { return 'hello'; }
  async fetch() { return new Response('legacy'); }
}

// What the Worker passes to an object to keep: its total grows in the
// Worker.
class Tally extends RpcTarget {
  total = 0;
  add(n) {
    this.total += n;
    return this.total;
  }
}

const json = (v, status = 200) => Response.json(v, { status });
const error = e => ({ name: e?.name, message: e?.message, isRange: e instanceof RangeError, isType: e instanceof TypeError, detail: e?.detail ?? null });

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const [, route, name] = url.pathname.split('/');
    const stub = env.COUNTER.getByName(name ?? 'default');
    const by = Number(url.searchParams.get('by') ?? 1);
    switch (route) {
      case 'increment':
        return json(await stub.increment(by));
      case 'get':
        return json(await stub.get());
      case 'fetch':
        return json((await (await stub.fetch('http://object/')).json()).n);
      case 'instance':
        return json(await stub.instance());
      case 'label':
        // A property read, and a pipelined call on a call's result.
        return json({ label: await stub.label, pipelined: await stub.session().add(by), token: await stub.instance().token });
      case 'errors': {
        const out = [];
        for (const kind of ['range', 'type']) {
          try {
            await stub.fail(kind);
            out.push('no error');
          } catch (e) {
            out.push(error(e));
          }
        }
        try {
          await stub.noSuchMethod();
          out.push('no error');
        } catch (e) {
          out.push(error(e));
        }
        try {
          await env.LEGACY.getByName(name).hello();
          out.push('no error');
        } catch (e) {
          out.push(error(e));
        }
        return json(out);
      }
      case 'stubs': {
        // Two stubs of one id: disposing of one leaves the other working.
        const id = env.COUNTER.idFromName(name);
        const a = env.COUNTER.get(id);
        const b = env.COUNTER.get(id);
        a[Symbol.dispose]();
        let disposed;
        try {
          await a.increment(1);
          disposed = 'no error';
        } catch (e) {
          disposed = e.message;
        }
        const viaOther = await b.increment(by);
        // A name's id is the same each time and differs from other names',
        // past the number of names' ids a namespace keeps.
        const first = [];
        const again = [];
        // (Past 256 names, the namespace forgets the ids it kept.)
        for (let i = 0; i < 300; i++) first.push(env.COUNTER.idFromName(`n${i}`).toString());
        for (let i = 0; i < 300; i++) again.push(String(env.COUNTER.idFromName(`n${i}`)));
        return json({
          disposed,
          viaOther,
          sameStub: a === b,
          sameIds: a.id.equals(b.id),
          same: first.every((s, i) => s === again[i]),
          distinct: new Set(first).size === first.length,
          named: env.COUNTER.idFromName(name).name,
          // A method read twice: a new value each time, each callable.
          methods: [await a.constructor, typeof b.increment, await b.increment(0), await b.get()],
        });
      }
      case 'callbacks': {
        const visited = await stub.visit(n => n * 2);
        using session = await stub.session();
        const first = await session.add(5);
        const second = await session.add(5);
        const count = await session.count;
        const viaFetch = await (await stub.fetch('http://object/')).json();
        return json({ visited, first, second, count, viaFetch: viaFetch.n, same: viaFetch.token === (await stub.instance()).token });
      }
      case 'dup': {
        // A duplicate is a stub of its own: it outlives the original's
        // disposal, and a duplicated RpcTarget stub keeps its target until
        // every duplicate is disposed.
        const copy = stub.dup();
        const distinct = copy !== stub && typeof copy.fetch === 'function';
        stub[Symbol.dispose]();
        const original = await stub.get().then(() => 'no error', e => e.message);
        const viaCopy = await copy.increment(by);
        const session = await copy.session();
        const sessionCopy = session.dup();
        session[Symbol.dispose]();
        const added = await sessionCopy.add(1);
        sessionCopy[Symbol.dispose]();
        const afterAll = await sessionCopy.add(1).then(() => 'no error', e => e.message);
        return json({ distinct, sameId: copy.id.equals(stub.id), original, viaCopy, added, afterAll });
      }
      case 'keep': {
        // The object keeps duplicates of what it was passed: they reach
        // this event's callback and target after the call returned; the
        // original callback does not; a disposed duplicate neither.
        const seen = [];
        const tally = new Tally();
        await stub.keep(n => {
          seen.push(n);
          return n * 3;
        }, tally);
        const viaDup = await stub.callKept(7);
        const added = [await stub.addKept(2), await stub.addKept(3)];
        const original = await stub.callOriginal(1).then(v => `no error: ${v}`, e => e.message);
        await stub.dropKept();
        const dropped = await stub.callKept(1).then(v => `no error: ${v}`, e => e.message);
        return json({ viaDup, added, total: tally.total, seen, original, dropped });
      }
      case 'session-write': {
        using session = await stub.session();
        return new Response(await session.write(url.searchParams.get('key'), await request.text()));
      }
      case 'session-block': {
        // A session's call made while the object is in
        // blockConcurrencyWhile waits for it to end.
        const session = await stub.session();
        let open, started;
        const opened = new Promise(resolve => { open = resolve; });
        const blockStarted = new Promise(resolve => { started = resolve; });
        const blocking = stub.blockWhile(async () => {
          started();
          await opened;
        });
        await blockStarted;
        const noted = session.note('during');
        open();
        return json({ block: await blocking, noted: await noted });
      }
      case 'session-abort': {
        // A session of an object that was reset fails.
        const session = await stub.session();
        const before = await session.add(1);
        await stub.reset('reset under a session').catch(() => {});
        const after = await session.add(1).then(v => ({ value: v }), e => error(e));
        return json({ before, after, n: await stub.get() });
      }
      case 'abort-after-put': {
        const before = await stub.instance();
        const aborted = await stub.putThenAbort(url.searchParams.has('awaited')).then(v => ({ value: v }), e => error(e));
        const after = await stub.instance();
        return json({
          aborted, fresh: after.token !== before.token, read: await stub.read(['beforeAbort']), rows: await stub.rows(),
        });
      }
      case 'spin':
        try {
          await stub.spin();
          return new Response('the loop ended', { status: 200 });
        } catch (e) {
          return new Response(`${e.name}: ${e.message}`, { status: 500 });
        }
      case 'write': {
        const key = url.searchParams.get('key');
        return new Response(await stub.write(key, await request.text()));
      }
      case 'read':
        return json(await stub.read(url.searchParams.get('keys').split(',')));
      case 'abort': {
        const before = await stub.instance();
        await stub.increment(7);
        // A call in flight when the object is reset fails too.
        const held = stub.hold().then(v => ({ value: v }), e => error(e));
        while (!(await stub.held())) await new Promise(resolve => setTimeout(resolve, 1));
        const reset = await stub.reset(url.searchParams.get('reason') ?? undefined).then(v => ({ value: v }), e => error(e));
        const inFlight = await held;
        const after = await stub.instance();
        const later = await stub.writeLater().then(v => ({ value: v }), e => error(e));
        return json({
          reset, inFlight, later, fresh: after.token !== before.token, n: await stub.get(), after: await stub.read(['after']),
        });
      }
      default:
        return new Response('no such route', { status: 404 });
    }
  },
};
