// A chat room in the shape of Cloudflare's example: the Worker sends
// `/room/<name>` to the ChatRoom object made from that name, which accepts
// each WebSocket with `ctx.acceptWebSocket` (so it may leave memory while
// the sockets stay open), keeps the user's name in the socket's attachment,
// and broadcasts every message to all the room's sockets. `ping` is
// answered `pong` without waking the object (the auto-response).
import { DurableObject } from 'cloudflare:workers';

export class ChatRoom extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'));
  }

  async fetch(request) {
    if (request.headers.get('Upgrade') !== 'websocket') {
      return new Response('Expected a WebSocket', { status: 426 });
    }
    const name = new URL(request.url).searchParams.get('name') || 'anonymous';
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server, [name]);
    server.serializeAttachment({ name });
    const history = (await this.ctx.storage.get('history')) ?? [];
    for (const line of history) server.send(line);
    this.broadcast(`* ${name} joined`);
    return new Response(null, { status: 101, webSocket: client });
  }

  async webSocketMessage(ws, message) {
    const { name } = ws.deserializeAttachment();
    const line = `${name}: ${message}`;
    const history = (await this.ctx.storage.get('history')) ?? [];
    history.push(line);
    await this.ctx.storage.put('history', history.slice(-50));
    this.broadcast(line);
  }

  async webSocketClose(ws, code, reason) {
    const { name } = ws.deserializeAttachment();
    this.broadcast(`* ${name} left`);
  }

  broadcast(line) {
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(line);
      } catch {
        // A socket that closed meanwhile.
      }
    }
  }
}

const PAGE = `<!doctype html>
<meta charset="utf-8"><title>chat</title>
<form id="f"><input id="m" autocomplete="off" placeholder="message"><button>send</button></form>
<pre id="log"></pre>
<script>
  const name = prompt('Your name?') || 'anonymous';
  const room = location.hash.slice(1) || 'lobby';
  const ws = new WebSocket(\`\${location.protocol === 'https:' ? 'wss' : 'ws'}://\${location.host}/room/\${room}?name=\${encodeURIComponent(name)}\`);
  ws.onmessage = event => { log.textContent += event.data + '\\n'; };
  f.onsubmit = event => { event.preventDefault(); ws.send(m.value); m.value = ''; };
</script>`;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const room = url.pathname.match(/^\/room\/([^/]+)$/);
    if (room) return env.ROOMS.getByName(decodeURIComponent(room[1])).fetch(request);
    if (url.pathname === '/') return new Response(PAGE, { headers: { 'content-type': 'text/html; charset=utf-8' } });
    return new Response('Not found', { status: 404 });
  },
};
