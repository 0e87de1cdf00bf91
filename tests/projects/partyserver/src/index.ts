// A chat room and a collaborative document on PartyKit's Durable Object
// libraries, written as their READMEs write them (tests/partyserver.rs):
// `partyserver`'s `Server` with and without hibernation,
// `routePartykitRequest` and `getServerByName`, and `y-partyserver`'s
// `YServer` persisting its Yjs document in the object's storage.
import { getServerByName, routePartykitRequest, Server, type Connection, type ConnectionContext, type WSMessage } from 'partyserver';
import { YServer } from 'y-partyserver';
import * as Y from 'yjs';

interface Env {
  Room: DurableObjectNamespace<Room>;
  Lounge: DurableObjectNamespace<Lounge>;
  Document: DurableObjectNamespace<Document>;
}

/** What each connection of a room remembers (kept across hibernation). */
type Member = { name: string; said: number };

/** A chat room: every message goes to everyone, and is kept in SQL. */
export class Room extends Server<Env> {
  static options = { hibernate: true };

  onStart() {
    this.sql`CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, text TEXT)`;
    this.sql`CREATE TABLE IF NOT EXISTS starts (at INTEGER)`;
    this.sql`INSERT INTO starts (at) VALUES (${Date.now()})`;
  }

  onConnect(connection: Connection<Member>, ctx: ConnectionContext) {
    const name = new URL(ctx.request.url).searchParams.get('name') ?? connection.id;
    connection.setState({ name, said: 0 });
    connection.send(`welcome ${name}`);
    this.broadcast(`${name} joined`, [connection.id]);
  }

  onMessage(connection: Connection<Member>, message: WSMessage) {
    const member = connection.state!;
    if (message === 'whoami') {
      const [{ starts }] = this.sql<{ starts: number }>`SELECT count(*) AS starts FROM starts`;
      const members = [...this.getConnections<Member>()].map(c => c.state?.name).sort();
      connection.send(JSON.stringify({ room: this.name, id: connection.id, member, members, starts }));
      return;
    }
    connection.setState({ ...member, said: member.said + 1 });
    const line = `${member.name}: ${message}`;
    this.sql`INSERT INTO messages (text) VALUES (${line})`;
    this.broadcast(line);
  }

  onClose(connection: Connection<Member>) {
    this.broadcast(`${connection.state?.name} left`, [connection.id]);
  }

  /** Called by the Worker over RPC (see `fetch` below). */
  announce(text: string): number {
    this.broadcast(`announce: ${text}`);
    return [...this.getConnections()].length;
  }

  onRequest(request: Request): Response {
    const messages = this.sql<{ text: string }>`SELECT text FROM messages ORDER BY id`;
    return Response.json({ room: this.name, messages: messages.map(m => m.text) });
  }
}

/** The same room without hibernation: its connections live in memory with it. */
export class Lounge extends Room {
  static options = { hibernate: false };
}

/** A Yjs document whose state is kept in the object's storage. */
export class Document extends YServer<Env> {
  static options = { hibernate: true };

  async onLoad() {
    const saved = await this.ctx.storage.get<Uint8Array>('document');
    if (saved) Y.applyUpdate(this.document, saved);
  }

  async onSave() {
    await this.ctx.storage.put('document', Y.encodeStateAsUpdate(this.document));
  }

  onRequest(request: Request): Response {
    return Response.json({ name: this.name, text: this.document.getText('content').toString() });
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const announce = url.pathname.match(/^\/announce\/([^/]+)$/);
    if (announce) {
      const room = await getServerByName(env.Room, announce[1]);
      return Response.json(await room.announce(url.searchParams.get('text') ?? ''));
    }
    return (await routePartykitRequest(request, env)) ?? new Response('not found', { status: 404 });
  },
} satisfies ExportedHandler<Env>;
