// Counts visits in KV (every node sees the same count) and records which
// node ran the last cron tick.
export default {
  async fetch(request, env) {
    const visits = Number((await env.KV.get('visits')) ?? 0) + 1;
    await env.KV.put('visits', String(visits));
    const tick = await env.KV.get('last-tick');
    return new Response(`visit ${visits}; last cron tick: ${tick ?? 'none yet'}\n`);
  },
  async scheduled(controller, env) {
    await env.KV.put('last-tick', new Date(controller.scheduledTime).toISOString());
  },
};
