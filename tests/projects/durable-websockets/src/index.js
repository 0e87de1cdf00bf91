// A chat room (Cloudflare's shape) whose WebSockets hibernate: the Worker
// sends `/room/<name>…` to the ChatRoom object named `<name>`; the object
// accepts each socket with ctx.acceptWebSocket, tagged with its user's
// name, keeps the name in the socket's attachment and broadcasts what one
// says to all. A few more messages let the tests look inside:
// - `whoami`: the name (from the attachment), tags, and how many times an
//   instance of the room was made (from storage);
// - `stats`: sockets open, the auto-response and its last time on this
//   socket;
// - `to:<name>:<text>`: to the sockets tagged `user:<name>` only;
// - `close`: the object closes this socket (4000, 'bye');
// - `gate:<text>`: stores `<text>` and answers `gated <text>` without
//   awaiting the write (the output gate holds the answer back);
// - `id`: the object's id;
// - `late:<text>`: stores `<text>`, awaits `storage.sync()`, then answers
//   `late <text> durable` (or `failed`, if the flush failed);
// - `loop`: the handler never ends (the CPU limit stops it).
// `ping` is answered `pong` by the auto-response, without the object.
// `?plain` joins with a socket the object accepts itself (not
// hibernatable), which echoes, and knows `gate:<text>` and `close:<text>`
// (stores `<text>`, then answers or closes without awaiting the write),
// `id` and `late:<text>` (as below).
// `/room/<name>/state` reads the room's storage over HTTP; `/proxy/<name>`
// is a Worker that accepts the room's socket itself, says `whoami` and
// answers with the reply.
import { DurableObject } from 'cloudflare:workers';

export class ChatRoom extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'));
    ctx.blockConcurrencyWhile(async () => {
      this.instances = ((await ctx.storage.get('instances')) ?? 0) + 1;
      await ctx.storage.put('instances', this.instances);
    });
  }

  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname.endsWith('/state')) {
      return Response.json(Object.fromEntries(await this.ctx.storage.list()));
    }
    if (request.headers.get('upgrade') !== 'websocket') {
      return new Response('expected a WebSocket upgrade', { status: 426 });
    }
    const name = url.searchParams.get('name') ?? 'anonymous';
    const [client, server] = Object.values(new WebSocketPair());
    if (url.searchParams.has('plain')) {
      // Not hibernatable: accepted here, it keeps the object in memory.
      server.accept();
      server.addEventListener('message', async event => {
        const text = String(event.data);
        if (text === 'id') {
          server.send(this.ctx.id.toString());
        } else if (text.startsWith('late:')) {
          // As `late:` below, on this socket.
          this.ctx.storage.put('plainLate', text.slice(5));
          const flushed = await this.ctx.storage.sync().then(() => 'durable', () => 'failed');
          server.send(`late ${text.slice(5)} ${flushed}`);
        } else if (text.startsWith('gate:')) {
          // As `gate:` below, on this socket: its output gate holds the
          // answer back until the write is durable.
          this.ctx.storage.put('plainGated', text.slice(5));
          server.send(`gated ${text.slice(5)}`);
        } else if (text.startsWith('close:')) {
          // The same for a close.
          this.ctx.storage.put('plainClosed', text.slice(6));
          server.close(4001, `closed ${text.slice(6)}`);
        } else {
          server.send(`echo ${event.data} ${this.instances}`);
        }
      });
      server.send(`welcome ${name}`);
      return new Response(null, { status: 101, webSocket: client });
    }
    this.ctx.acceptWebSocket(server, [`user:${name}`, 'all']);
    server.serializeAttachment({ name });
    server.send(`welcome ${name}`);
    return new Response(null, { status: 101, webSocket: client });
  }

  async webSocketMessage(ws, message) {
    const { name } = ws.deserializeAttachment();
    if (typeof message !== 'string') {
      // An ArrayBuffer, whatever the compatibility date says of binaryType.
      ws.send(`binary ${message instanceof ArrayBuffer ? 'ArrayBuffer' : typeof message} ${message.byteLength}`);
      return;
    }
    if (message === 'whoami') {
      ws.send(JSON.stringify({ name, tags: this.ctx.getTags(ws), instances: this.instances }));
    } else if (message === 'stats') {
      const at = this.ctx.getWebSocketAutoResponseTimestamp(ws);
      const auto = this.ctx.getWebSocketAutoResponse();
      ws.send(JSON.stringify({
        sockets: this.ctx.getWebSockets().length,
        all: this.ctx.getWebSockets('all').length,
        auto: auto && [auto.request, auto.response],
        autoAt: at && at.getTime(),
      }));
    } else if (message.startsWith('to:')) {
      const [, to, text] = message.split(':');
      for (const other of this.ctx.getWebSockets(`user:${to}`)) other.send(`${name} (to you): ${text}`);
    } else if (message === 'close') {
      ws.close(4000, 'bye');
    } else if (message.startsWith('gate:')) {
      // Not awaited: the reply still waits until the write is durable.
      this.ctx.storage.put('gated', message.slice(5));
      ws.send(`gated ${message.slice(5)}`);
    } else if (message === 'id') {
      ws.send(this.ctx.id.toString());
    } else if (message.startsWith('late:')) {
      // Stores `<text>` and waits until the write is durable or its flush
      // failed; then answers with no new write to wait for.
      this.ctx.storage.put('late', message.slice(5));
      const flushed = await this.ctx.storage.sync().then(() => 'durable', () => 'failed');
      ws.send(`late ${message.slice(5)} ${flushed}`);
    } else if (message === 'loop') {
      for (;;);
    } else if (message.startsWith('timeout:')) {
      // Sets (a number), unsets (empty) or tries a value out of range.
      const arg = message.slice(8);
      let error = null;
      try {
        this.ctx.setHibernatableWebSocketEventTimeout(arg === '' ? undefined : Number(arg));
      } catch (e) {
        error = e.name;
      }
      ws.send(JSON.stringify({ timeout: this.ctx.getHibernatableWebSocketEventTimeout(), error }));
    } else if (message === 'hang') {
      // Never settles: only an event timeout lets the next message in.
      await new Promise(() => {});
    } else {
      await this.ctx.storage.put('last', `${name}: ${message}`);
      for (const other of this.ctx.getWebSockets()) other.send(`${name}: ${message}`);
    }
  }

  async webSocketClose(ws, code, reason, wasClean) {
    const { name } = ws.deserializeAttachment();
    await this.ctx.storage.put(`closed:${name}`, { code, reason, wasClean });
    for (const other of this.ctx.getWebSockets()) other.send(`${name} left (${code})`);
  }

  async webSocketError(ws, error) {
    const { name } = ws.deserializeAttachment();
    await this.ctx.storage.put(`error:${name}`, error.message);
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const room = url.pathname.match(/^\/room\/([^/]+)/);
    if (room) return env.ROOMS.getByName(room[1]).fetch(request);
    const proxy = url.pathname.match(/^\/proxy\/([^/]+)$/);
    if (proxy) {
      const upgrade = new Request(`https://chat/room/${proxy[1]}?name=proxy`, { headers: { upgrade: 'websocket' } });
      const response = await env.ROOMS.getByName(proxy[1]).fetch(upgrade);
      const ws = response.webSocket;
      if (ws === null) return new Response(`no socket: ${response.status}`, { status: 500 });
      const replies = [];
      const done = new Promise(resolve => {
        ws.addEventListener('message', event => {
          replies.push(event.data);
          if (replies.length === 2) resolve();
        });
      });
      ws.accept();
      ws.send('whoami');
      await done;
      ws.close(1000, 'done');
      return Response.json({ status: response.status, replies });
    }
    return new Response('not found', { status: 404 });
  },
};
