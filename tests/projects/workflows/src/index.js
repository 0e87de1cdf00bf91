// Routes (the instance's id in the path):
//   POST /<binding>/create/<id>   body: the params (JSON)  -> { id }
//   GET  /<binding>/status/<id>                            -> status()
//   GET  /<binding>/get/<id>                               -> { id } or { error }
//   POST /<binding>/event/<id>?type=T  body: the payload   -> sendEvent
//   POST /<binding>/(pause|resume|terminate|restart)/<id>
//   POST /<binding>/batch        body: [ids]              -> [ids]
//   GET  /tally/<id>                                       -> counts of <id>
// An error a binding's call throws answers 400 { error, name }.
import { WorkflowEntrypoint, DurableObject } from 'cloudflare:workers';
import { NonRetryableError } from 'cloudflare:workflows';
import { bump } from './tally.js';

export { OrderFlow } from './order_flow.ts';

export class Tally extends DurableObject {
  async bump(key) {
    const n = ((await this.ctx.storage.get(key)) ?? 0) + 1;
    await this.ctx.storage.put(key, n);
    return n;
  }
  async counts() {
    return Object.fromEntries(await this.ctx.storage.list());
  }
}

// Steps that fail: `mode` picks how (see the cases).
export class RetryFlow extends WorkflowEntrypoint {
  async run(event, step) {
    const { mode } = event.payload;
    const tally = key => bump(this.env, event.instanceId, key);
    if (mode === 'flaky') {
      // Fails twice, then succeeds: three attempts.
      return step.do('flaky', { retries: { limit: 3, delay: 20, backoff: 'constant' } }, async ctx => {
        const n = await tally('flaky');
        if (n < 3) throw new Error(`attempt ${n} failed`);
        return { attempt: ctx.attempt, calls: n };
      });
    }
    if (mode === 'exhausted') {
      await step.do('doomed', { retries: { limit: 1, delay: 10, backoff: 'linear' } }, async () => {
        await tally('doomed');
        throw new TypeError('always broken');
      });
      return 'unreachable';
    }
    if (mode === 'caught') {
      // A step that gives up at once, caught by the run, which goes on.
      let caught;
      try {
        await step.do('refuse', async () => {
          await tally('refuse');
          throw new NonRetryableError('no point retrying');
        });
      } catch (e) {
        caught = `${e.name}: ${e.message}`;
      }
      await step.sleep('after', 10);
      return { caught };
    }
    if (mode === 'fatal') {
      await step.do('refuse', async () => {
        await tally('refuse');
        throw new NonRetryableError('no point retrying');
      });
    }
    if (mode === 'timeout') {
      return step.waitForEvent('never', { type: 'nothing', timeout: 50 });
    }
    if (mode === 'throws') throw new RangeError('run itself failed');
    if (mode === 'huge') {
      return step.do('big', { retries: { limit: 0, delay: 0 } }, async () => 'x'.repeat(1100 * 1024));
    }
    if (mode === 'unclonable') return step.do('fn', async () => () => 1);
    return null;
  }
}

// More step.do calls than its limit allows.
export class ManySteps extends WorkflowEntrypoint {
  async run(event, step) {
    for (let i = 0; i < 5; i++) await step.do(`step ${i}`, async () => i);
    return 'all done';
  }
}

const fail = e => Response.json({ error: e.message, name: e.name }, { status: 400 });

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const [, binding, action, id] = url.pathname.split('/');
    if (binding === 'tally') return Response.json(await env.TALLY.getByName(action).counts());
    const flow = env[binding];
    if (flow === undefined) return new Response('no such binding', { status: 404 });
    try {
      switch (action) {
        case 'create': {
          const text = await request.text();
          const options = { id: id === '-' ? undefined : id };
          if (text !== '') options.params = JSON.parse(text);
          const instance = await flow.create(options);
          return Response.json({ id: instance.id });
        }
        case 'batch': {
          const ids = await request.json();
          const made = await flow.createBatch(ids.map(i => ({ id: i, params: { mode: 'none' } })));
          return Response.json(made.map(i => i.id));
        }
        case 'get': return Response.json({ id: (await flow.get(id)).id });
        case 'status': return Response.json(await (await flow.get(id)).status());
        case 'event': {
          const instance = await flow.get(id);
          await instance.sendEvent({ type: url.searchParams.get('type'), payload: await request.json() });
          return Response.json({ sent: true });
        }
        case 'pause': case 'resume': case 'terminate': case 'restart': {
          await (await flow.get(id))[action]();
          return Response.json({ [action]: true });
        }
      }
    } catch (e) {
      return fail(e);
    }
    return new Response('no such action', { status: 404 });
  },
};
