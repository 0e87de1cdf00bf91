// Routes of the storage comparison: POST /seed writes what the others read;
// GET /hello, /kv (a 1 KiB value), /d1 (a row by primary key), /d1-insert
// (one row), /r2 (a 1 MiB object's body, streamed) and /do (a Durable
// Object counter's RPC increment, a storage get and put) are what the load
// hits.
import { DurableObject } from 'cloudflare:workers';

export class Counter extends DurableObject {
  async increment() {
    const value = ((await this.ctx.storage.get('value')) ?? 0) + 1;
    await this.ctx.storage.put('value', value);
    return value;
  }
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    switch (pathname) {
      case '/hello':
        return new Response('Hello World!');
      case '/seed': {
        await env.KV.put('k', 'v'.repeat(1024));
        await env.DB.exec('CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT)');
        await env.DB.prepare('INSERT OR REPLACE INTO items (id, name) VALUES (1, ?)').bind('one').run();
        await env.BUCKET.put('object', new Uint8Array(1 << 20).fill(120));
        return new Response('seeded');
      }
      case '/kv':
        return new Response(await env.KV.get('k'));
      case '/d1': {
        const row = await env.DB.prepare('SELECT name FROM items WHERE id = ?').bind(1).first();
        return Response.json(row);
      }
      case '/d1-insert': {
        const r = await env.DB.prepare('INSERT INTO items (name) VALUES (?)').bind('x').run();
        return Response.json(r.meta.changes);
      }
      case '/r2': {
        const object = await env.BUCKET.get('object');
        return new Response(object.body);
      }
      case '/do': {
        const stub = env.COUNTER.get(env.COUNTER.idFromName('counter'));
        return new Response(String(await stub.increment()));
      }
      default:
        return new Response('not found', { status: 404 });
    }
  },
};
