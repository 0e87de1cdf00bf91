// A Yjs editor as a browser would run one, in Node.js: `y-partyserver`'s
// provider (with the `ws` package as its WebSocket, which Node.js 20
// lacks) syncing a Y.Doc with the `Document` server. tests/partyserver.rs
// drives it over its standard streams:
//   node client/editor.mjs <host:port> <document>
// prints one JSON line per event ({"synced": text} once the first sync is
// done, {"text": text} after each change of the shared text) and reads one
// JSON command per line: {"insert": [index, text]}, or {"close": true}.
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import YProvider from 'y-partyserver/provider';
import * as Y from 'yjs';

const [host, name] = process.argv.slice(2);
const doc = new Y.Doc();
const text = doc.getText('content');
const provider = new YProvider(host, name, doc, { party: 'document', WebSocketPolyfill: WebSocket });

const print = event => process.stdout.write(`${JSON.stringify(event)}\n`);
provider.on('sync', synced => synced && print({ synced: text.toString() }));
text.observe(() => print({ text: text.toString() }));

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line);
  if (command.insert) text.insert(...command.insert);
  if (command.close) break;
}
// Closes the socket, and exits once it is closed.
const socket = provider.ws;
provider.destroy();
if (socket && socket.readyState !== WebSocket.CLOSED) await new Promise(resolve => socket.addEventListener('close', resolve));
process.exit(0);
