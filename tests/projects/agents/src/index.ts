// A counter built on Cloudflare's Agents SDK (the `agents` npm package),
// as its documentation writes one: state synced to every connected client,
// `@callable()` methods called over the WebSocket, SQL, a scheduled task
// and HTTP (tests/agents.rs).
import { Agent, callable, getAgentByName, routeAgentRequest, type Connection } from 'agents';

type State = { count: number; ticks: number };

interface Env {
  Counter: DurableObjectNamespace<Counter>;
}

export class Counter extends Agent<Env, State> {
  initialState: State = { count: 0, ticks: 0 };

  @callable()
  increment(by: number = 1): number {
    this.setState({ ...this.state, count: this.state.count + by });
    this.sql`INSERT INTO history (count) VALUES (${this.state.count})`;
    return this.state.count;
  }

  @callable()
  async later(seconds: number): Promise<string> {
    const task = await this.schedule(seconds, 'tick', { from: 'later' });
    return task.id;
  }

  async tick(payload: { from: string }) {
    this.setState({ ...this.state, ticks: this.state.ticks + 1 });
  }

  onStart() {
    this.sql`CREATE TABLE IF NOT EXISTS history (count INTEGER)`;
  }

  onMessage(connection: Connection, message: string) {
    if (typeof message === 'string' && message.startsWith('echo ')) connection.send(`echoed ${message.slice(5)}`);
  }

  async onRequest(request: Request): Promise<Response> {
    const history = this.sql<{ count: number }>`SELECT count FROM history ORDER BY rowid`;
    return Response.json({ state: this.state, history: history.map(row => row.count) });
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith('/rpc/')) {
      const agent = await getAgentByName(env.Counter, url.pathname.slice(5));
      return Response.json(await agent.increment(Number(url.searchParams.get('by') ?? 1)));
    }
    return (await routeAgentRequest(request, env)) ?? new Response('not found', { status: 404 });
  },
} satisfies ExportedHandler<Env>;
