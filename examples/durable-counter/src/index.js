import { DurableObject } from 'cloudflare:workers';

// One counter: its value is in the object's storage, so it survives the
// object leaving memory and the server restarting.
export class Counter extends DurableObject {
  async increment(by = 1) {
    const value = ((await this.ctx.storage.get('value')) ?? 0) + by;
    // The result leaves once this write is durable (the output gate).
    await this.ctx.storage.put('value', value);
    return value;
  }

  async value() {
    return (await this.ctx.storage.get('value')) ?? 0;
  }

  // The same object also answers HTTP requests sent through `stub.fetch`.
  async fetch(request) {
    return new Response(`${this.ctx.id.name}: ${await this.value()}\n`);
  }
}

// GET /<name>            the counter's value (through stub.fetch)
// POST /<name>/increment adds ?by=N (1 by default) over RPC, answers the new value
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const [, name, action] = url.pathname.split('/');
    if (!name) return new Response('usage: GET /<name>, POST /<name>/increment?by=N\n', { status: 400 });
    const counter = env.COUNTERS.getByName(name);
    if (action === 'increment' && request.method === 'POST') {
      const by = Number(url.searchParams.get('by') ?? 1);
      return Response.json({ name, value: await counter.increment(by) });
    }
    if (action === undefined) return counter.fetch(request);
    return new Response('not found\n', { status: 404 });
  },
};
