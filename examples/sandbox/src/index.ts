import { RpcTarget, WorkerEntrypoint } from 'cloudflare:workers';

interface Env {
  LOADER: {
    load(code: unknown): { getEntrypoint(): { run(store: Store): Promise<unknown> } };
  };
}

// The one thing the sandboxed code may touch: a store of its own run.
class Store extends RpcTarget {
  #values = new Map<string, unknown>();
  get(key: string): unknown {
    return this.#values.get(key) ?? null;
  }
  set(key: string, value: unknown): void {
    this.#values.set(key, value);
  }
}

// The entrypoint the sandbox runs: it imports the submitted module and
// calls its default export with the capabilities.
const RUNNER = `import { WorkerEntrypoint } from 'cloudflare:workers';
import submitted from './submitted.js';
export default class extends WorkerEntrypoint {
  async run(store) { return submitted({ store }); }
}`;

export default class extends WorkerEntrypoint<Env> {
  async fetch(request: Request): Promise<Response> {
    if (request.method !== 'POST' || new URL(request.url).pathname !== '/run') {
      return new Response('POST a module to /run: export default async ({ store }) => value\n', { status: 404 });
    }
    const worker = this.env.LOADER.load({
      compatibilityDate: '2025-11-20',
      mainModule: 'runner.js',
      modules: { 'runner.js': RUNNER, 'submitted.js': await request.text() },
      globalOutbound: null,
      limits: { cpuMs: 50 },
    });
    try {
      const result = await worker.getEntrypoint().run(new Store());
      return Response.json({ result });
    } catch (e) {
      const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      return Response.json({ error }, { status: 422 });
    }
  }
}
