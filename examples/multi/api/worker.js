import { json } from './respond.js';

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/api/echo' && request.method === 'POST') {
      return json({ youSent: await request.json() });
    }
    return json({ api: env.API_VERSION, path: url.pathname, query: Object.fromEntries(url.searchParams) });
  },
};
