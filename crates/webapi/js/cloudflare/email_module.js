// The built-in module `cloudflare:email`: `EmailMessage`, the message a
// Worker hands an email binding to send (`new EmailMessage(from, to,
// raw)`, raw a string or a ReadableStream of the RFC 5322 message). It
// keeps the envelope addresses readable (`from`, `to`) and the content for
// the binding, as Cloudflare's does. The content is kept under a
// registered symbol, which the send_email binding and the email handler's
// reply() read (the prelude's cloudflare/email.js).
const RAW = Symbol.for('motu.email.raw');

export class EmailMessage {
  #from;
  #to;
  constructor(from, to, raw) {
    if (arguments.length < 3) {
      throw new TypeError(`Failed to construct 'EmailMessage': 3 arguments required, but only ${arguments.length} present.`);
    }
    if (typeof raw !== 'string' && !(raw instanceof ReadableStream)) {
      throw new TypeError("Failed to construct 'EmailMessage': raw must be a string or a ReadableStream.");
    }
    this.#from = String(from);
    this.#to = String(to);
    Object.defineProperty(this, RAW, { value: raw });
  }
  get from() { return this.#from; }
  get to() { return this.#to; }
}

export default { EmailMessage };
