// A Worker that exposes its KV namespace over HTTP, for the tests:
//
// - `POST /op` with `{ op, args }` calls `env.KV[op](...args)` and answers
//   the result as JSON (`{ result }`, or `{ error: { name, message } }` with
//   status 500); results JSON cannot carry are described (see `describe`);
//   `{ ops: [...] }` runs several in turn, answering `{ results }`;
// - `GET /stream?key=K` answers the value read as a stream, as the body;
// - `PUT /stream?key=K` stores the request body, streamed into `put`;
// - `POST /write?key=K` stores the request body (the durability test);
// - `POST /many?n=N` makes N `get` calls (the operation limit).
interface Env {
  KV: KVNamespace;
}

type Op = { op: keyof KVNamespace; args?: unknown[]; bytes?: number[]; streamChunks?: string[] };

// JSON for what a KV method returned.
async function describe(value: unknown): Promise<unknown> {
  if (value instanceof ArrayBuffer) {
    return { arrayBuffer: Array.from(new Uint8Array(value)) };
  }
  if (value instanceof ReadableStream) {
    const reader = value.getReader();
    const parts: Uint8Array[] = [];
    let chunks = 0;
    for (;;) {
      const { done, value: chunk } = await reader.read();
      if (done) break;
      chunks++;
      parts.push(chunk as Uint8Array);
    }
    const text = new TextDecoder().decode(await new Blob(parts).arrayBuffer());
    return { stream: text, chunks };
  }
  if (value instanceof Map) {
    return { map: Array.from(value.entries()) };
  }
  if (value === undefined) return { undefined: true };
  if (value !== null && typeof value === 'object' && 'value' in value && (value as { value: unknown }).value instanceof ArrayBuffer) {
    const v = value as { value: ArrayBuffer; metadata: unknown };
    return { withMetadata: await describe(v.value), metadata: v.metadata };
  }
  return value;
}

// The arguments of an op: `bytes` replaces the value of a put with an
// ArrayBuffer view, `streamChunks` with a ReadableStream of those chunks.
function argsOf(op: Op): unknown[] {
  const args = [...(op.args ?? [])];
  if (op.bytes) args[1] = new Uint8Array(op.bytes);
  if (op.streamChunks) {
    const chunks = op.streamChunks.map((c) => new TextEncoder().encode(c));
    args[1] = new ReadableStream({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(next);
      },
    });
  }
  return args;
}

async function run(kv: KVNamespace, op: Op): Promise<unknown> {
  try {
    const method = kv[op.op] as (...a: unknown[]) => Promise<unknown>;
    return { result: await describe(await method.apply(kv, argsOf(op))) };
  } catch (e) {
    const err = e as Error;
    return { error: { name: err.name, message: err.message } };
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const key = url.searchParams.get('key') ?? '';
    switch (url.pathname) {
      case '/op': {
        const body = (await request.json()) as Op | { ops: Op[] };
        if ('ops' in body) {
          const results = [];
          for (const op of body.ops) results.push(await run(env.KV, op));
          return Response.json({ results });
        }
        const answer = (await run(env.KV, body)) as { error?: unknown };
        return Response.json(answer, { status: answer.error ? 500 : 200 });
      }
      case '/stream': {
        if (request.method === 'PUT') {
          try {
            await env.KV.put(key, request.body as ReadableStream);
            return new Response('stored');
          } catch (e) {
            return new Response(`${(e as Error).name}: ${(e as Error).message}`, { status: 500 });
          }
        }
        const stream = (await env.KV.get(key, 'stream')) as ReadableStream | null;
        return stream === null ? new Response('missing', { status: 404 }) : new Response(stream);
      }
      case '/write': {
        await env.KV.put(key, await request.text(), { metadata: { length: Number(request.headers.get('content-length')) } });
        return new Response('ok');
      }
      case '/many': {
        const n = Number(url.searchParams.get('n'));
        let done = 0;
        try {
          for (let i = 0; i < n; i++) {
            await env.KV.get(`k${i}`);
            done++;
          }
          return new Response(`${done}`);
        } catch (e) {
          return new Response(`${done} ${(e as Error).name}: ${(e as Error).message}`, { status: 500 });
        }
      }
      default:
        return new Response('not found', { status: 404 });
    }
  },
};
