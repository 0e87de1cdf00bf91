// A remote MCP server as Cloudflare's Agents SDK documents two kinds:
// a stateful one (`McpAgent`, one Durable Object per MCP session, SDK v1's
// `McpServer`) and a stateless one (`createMcpHandler` with an SDK v2
// server factory).
import { McpAgent, createMcpHandler } from 'agents/mcp';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpServer as McpServerV2 } from '@modelcontextprotocol/server';
import { z } from 'zod';

type State = { total: number; calls: string[] };

export class Tally extends McpAgent<Env, State> {
  server = new McpServer({ name: 'tally', version: '1.0.0' });
  initialState: State = { total: 0, calls: [] };

  async init() {
    this.server.registerTool(
      'add',
      { description: 'Add a number to the session total', inputSchema: { n: z.number() } },
      async ({ n }) => {
        const total = this.state.total + n;
        this.setState({ total, calls: [...this.state.calls, `add ${n}`] });
        return { content: [{ type: 'text', text: `total ${total}` }] };
      },
    );
    this.server.registerResource(
      'history',
      'tally://history',
      { description: 'The calls of this session', mimeType: 'application/json' },
      async (uri) => ({ contents: [{ uri: uri.href, text: JSON.stringify(this.state.calls) }] }),
    );
  }
}

const stateless = createMcpHandler(
  () => {
    const server = new McpServerV2({ name: 'echo', version: '2.0.0' });
    server.registerTool(
      'shout',
      { description: 'Upper-case a text', inputSchema: z.object({ text: z.string() }) },
      async ({ text }) => ({ content: [{ type: 'text', text: text.toUpperCase() }] }),
    );
    return server;
  },
  { route: '/stateless' },
);

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    const { pathname } = new URL(request.url);
    if (pathname.startsWith('/mcp')) return Tally.serve('/mcp', { binding: 'TALLY' }).fetch(request, env, ctx);
    if (pathname.startsWith('/sse')) return Tally.serveSSE('/sse', { binding: 'TALLY' }).fetch(request, env, ctx);
    if (pathname === '/stateless') return stateless(request, env, ctx);
    return new Response('Not found', { status: 404 });
  },
} satisfies ExportedHandler<Env>;

interface Env {
  TALLY: DurableObjectNamespace<Tally>;
}
