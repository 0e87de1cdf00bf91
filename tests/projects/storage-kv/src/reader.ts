// A second Worker bound to the same namespace under another name.
interface Env {
  SHARED: KVNamespace;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const key = new URL(request.url).searchParams.get('key') ?? '';
    if (request.method === 'PUT') {
      await env.SHARED.put(key, await request.text());
      return new Response('stored');
    }
    const value = await env.SHARED.get(key);
    return value === null ? new Response('missing', { status: 404 }) : new Response(value as string);
  },
};
