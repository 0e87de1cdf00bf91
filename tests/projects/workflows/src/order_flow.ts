// OrderFlow in TypeScript, as Cloudflare's templates write Workflows: the
// `WorkflowStep` and `WorkflowEvent` types are imported as values under
// `verbatimModuleSyntax` (tsconfig.json), which only a bundler's dropping of
// unread imports lets load (cloudflare:workers exports no such names).
import { WorkflowEntrypoint, WorkflowStep } from 'cloudflare:workers';
import type { WorkflowEvent } from 'cloudflare:workers';
import { bump } from './tally.js';

type Params = { qty: number; sleep?: number };
type Approval = { ok: boolean; by: string };

// A sleep, a step, a wait for approval, a last step: the output says what
// each step saw.
interface Env { TALLY: any }
export class OrderFlow extends WorkflowEntrypoint<Env, Params> {
  async run(event: WorkflowEvent<Params>, step: WorkflowStep) {
    await bump(this.env, event.instanceId, 'runs');
    const priced = await step.do('price', async () => {
      await bump(this.env, event.instanceId, 'price');
      return { total: event.payload.qty * 5, at: new Date(0), tags: new Map([['k', 'v']]) };
    });
    await step.sleep('cool off', event.payload.sleep ?? 100);
    const approval = await step.waitForEvent<Approval>('approval', { type: 'approve', timeout: '1 hour' });
    const done = await step.do('ship', async (ctx: { attempt: number }) => {
      await bump(this.env, event.instanceId, 'ship');
      return { shipped: approval.payload.ok, attempt: ctx.attempt };
    });
    return {
      total: priced.total,
      dateKept: priced.at instanceof Date,
      mapKept: priced.tags.get('k'),
      approvedBy: approval.payload.by,
      eventType: approval.type,
      eventTime: approval.timestamp instanceof Date,
      done,
      workflow: event.workflowName,
      created: event.timestamp instanceof Date,
    };
  }
}

