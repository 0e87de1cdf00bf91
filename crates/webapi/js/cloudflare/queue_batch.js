// What a queue consumer's handler gets: a MessageBatch (`batch.queue`,
// `batch.messages`, `ackAll()`, `retryAll({ delaySeconds })`) of Messages
// (`id`, `timestamp`, `body`, `attempts`, `ack()`, `retry({ delaySeconds
// })`), as Cloudflare documents them. Calls are recorded with workerd's
// rules (a retry after an ack, or an ack after a retry, has no effect and
// logs a warning) and reported to the host when the handler is done (see
// queue.js in the core and the runtime's queues/outcome.rs, which decides
// each message's fate). A group of its own, loaded on the first queue
// event; takes the `v8` decoder from the producer's group.

function queueWarn(text) {
  op('console', 'warn', text);
}

let makeBatch; // (queue, messages, ctx) => { batch, report(), waiting }
let makeMessage; // (id, timestamp, body, attempts, state) => Message

class Message {
  #id; #timestamp; #body; #attempts; #state;
  static {
    makeMessage = (id, timestamp, body, attempts, state) => {
      const m = new Message();
      m.#id = id; m.#timestamp = timestamp; m.#body = body; m.#attempts = attempts; m.#state = state;
      return m;
    };
  }
  get id() { return this.#id; }
  get timestamp() { return new Date(this.#timestamp); }
  get body() { return this.#body; }
  get attempts() { return this.#attempts; }
  retry(options = undefined) {
    const state = this.#state;
    const id = this.#id;
    if (state.ackAll) {
      return queueWarn(`Received a call to retry() on message ${id} after ackAll() was already called. Calling retry() on a message after calling ackAll() has no effect.`);
    }
    if (state.acks.has(id)) {
      return queueWarn(`Received a call to retry() on message ${id} after ack() was already called. Calling retry() on a message after calling ack() has no effect.`);
    }
    const o = dictionary(options, 'retry() options');
    const delay = o.delaySeconds === undefined ? null : Number(o.delaySeconds);
    if (!state.retries.has(id) || delay !== null) state.retries.set(id, delay);
  }
  ack() {
    const state = this.#state;
    const id = this.#id;
    if (state.ackAll) return;
    if (state.retryAll) {
      return queueWarn(`Received a call to ack() on message ${id} after retryAll() was already called. Calling ack() on a message after calling retryAll() has no effect.`);
    }
    if (state.retries.has(id)) {
      return queueWarn(`Received a call to ack() on message ${id} after retry() was already called. Calling ack() on a message after calling retry() has no effect.`);
    }
    state.acks.add(id);
  }
}
webidlInterface(Message);

class MessageBatch {
  #queue; #messages; #state; #ctx; #waiting;
  static {
    makeBatch = (queue, messages, ctx) => {
      const { queueDeserialize } = loadGroup(QUEUE_BINDING);
      const state = { ackAll: false, retryAll: false, retryAllDelay: null, acks: new Set(), retries: new Map() };
      const list = messages.map(([id, timestamp, contentType, bytes, attempts]) => {
        let body;
        switch (contentType) {
          case 'text': body = utf8Decode(bytes); break;
          case 'bytes': body = bytes; break;
          case 'json': body = JSON.parse(utf8Decode(bytes)); break;
          default: body = queueDeserialize(bytes);
        }
        return makeMessage(id, timestamp, body, attempts, state);
      });
      Object.freeze(list);
      const b = new MessageBatch();
      b.#queue = queue; b.#messages = list; b.#state = state; b.#ctx = ctx; b.#waiting = [];
      const report = () => ({
        ackAll: state.ackAll,
        retryAll: state.retryAll,
        retryAllDelay: state.retryAllDelay,
        acks: [...state.acks],
        retries: [...state.retries],
      });
      return { batch: b, report, waiting: b.#waiting };
    };
  }
  get queue() { return this.#queue; }
  get messages() { return this.#messages; }
  ackAll() {
    const state = this.#state;
    if (state.retryAll) {
      return queueWarn('Received a call to ackAll() after retryAll() was already called. Calling ackAll() after calling retryAll() has no effect.');
    }
    state.ackAll = true;
  }
  retryAll(options = undefined) {
    const state = this.#state;
    if (state.ackAll) {
      return queueWarn('Received a call to retryAll() after ackAll() was already called. Calling retryAll() after calling ackAll() has no effect.');
    }
    const o = dictionary(options, 'retryAll() options');
    state.retryAll = true;
    if (o.delaySeconds !== undefined) state.retryAllDelay = Number(o.delaySeconds);
  }
  // Service-worker syntax: the event's own waitUntil. As on Cloudflare, a
  // listener's batch is settled once these promises have settled (a
  // rejected one retries it).
  waitUntil(promise) {
    this.#ctx.waitUntil(promise);
    this.#waiting.push(promise);
  }
}
webidlInterface(MessageBatch);
