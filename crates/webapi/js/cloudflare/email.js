// Email Workers: the `send_email` binding (`env.EMAIL.send(message)`) and
// the ForwardableEmailMessage an `email(message, env, ctx)` handler gets.
//
// An EmailMessage of `cloudflare:email` (cloudflare/email_module.js) keeps
// its raw content under the registered symbol EMAIL_RAW. `send()` takes
// one, or the object form Cloudflare's Email Service documents ({ from,
// to, subject, text, html, cc, bcc, replyTo, headers, attachments }),
// which is composed here into an RFC 5322 message. The host (runtime
// bindings/email.rs) checks the binding's restrictions and the message and
// writes it to a file instead of sending it; the promise resolves with
// `{ messageId }`.
//
// An email event's message comes from the host as `{ from, to, raw,
// headers }`. setReject(), forward() and reply() are recorded in the
// report the event sends back when it is over (email.js), forward() and
// reply() after the host wrote the message (through the Worker's hidden
// email binding, `eventIndex`).
//
// A group of its own, loaded when a Worker with an email binding starts
// or on its first email event (events.js).

const EMAIL_RAW = Symbol.for('motu.email.raw');
const EMAIL_MAX_RECIPIENTS = 50;

function emailCall(index, method, ...args) {
  return new PromiseCtor(resolve => resolve(hostWork('storage', index, method, ...args)));
}

// The bytes of an EmailMessage's raw content (a string or a stream).
async function emailBytes(raw) {
  if (typeof raw === 'string') return utf8Encode(raw);
  return new Uint8Array(await new Response(raw).arrayBuffer());
}

function isEmailMessage(value) {
  return value !== null && typeof value === 'object' && EMAIL_RAW in value;
}

// An address of the object form: a string, or { email, name }.
function emailAddress(value, what) {
  if (typeof value === 'string') {
    const angle = /<([^<>]+)>\s*$/.exec(value);
    return { email: (angle ? angle[1] : value).trim(), text: value };
  }
  if (value !== null && typeof value === 'object' && typeof value.email === 'string') {
    const name = value.name === undefined ? '' : String(value.name);
    return { email: value.email, text: name === '' ? value.email : `"${name.replace(/["\\]/g, '\\$&')}" <${value.email}>` };
  }
  throw new TypeError(`${what} must be an email address or { email, name }`);
}

function emailAddressList(value, what) {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(v => emailAddress(v, what));
}

// A header value with non-ASCII text as an RFC 2047 encoded word.
function emailHeaderText(text) {
  text = String(text);
  if (/[\r\n]/.test(text)) throw new TypeError('email header values cannot contain line breaks');
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  return `=?UTF-8?B?${emailBase64(utf8Encode(text))}?=`;
}

function emailBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function emailWrap(base64) {
  return base64.replace(/.{1,76}/g, '$&\r\n');
}

function emailRandom(n) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

function emailTextPart(type, text) {
  return `Content-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${String(text).replace(/\r?\n/g, '\r\n')}\r\n`;
}

function emailAttachmentPart(a) {
  const o = dictionary(a, 'an attachment');
  if (typeof o.filename !== 'string') throw new TypeError('an attachment needs a filename');
  if (typeof o.type !== 'string') throw new TypeError('an attachment needs a type');
  const disposition = o.disposition === undefined ? 'attachment' : String(o.disposition);
  if (disposition !== 'attachment' && disposition !== 'inline') {
    throw new TypeError("an attachment's disposition is 'attachment' or 'inline'");
  }
  let content;
  if (typeof o.content === 'string') content = o.content.replace(/\s+/g, '');
  else if (o.content instanceof ArrayBuffer) content = emailBase64(new Uint8Array(o.content));
  else if (ArrayBuffer.isView(o.content)) content = emailBase64(new Uint8Array(o.content.buffer, o.content.byteOffset, o.content.byteLength));
  else throw new TypeError("an attachment's content is a base64 string or an ArrayBuffer");
  const name = emailHeaderText(o.filename).replace(/"/g, '');
  let head = `Content-Type: ${emailHeaderText(o.type)}; name="${name}"\r\n`
    + `Content-Disposition: ${disposition}; filename="${name}"\r\nContent-Transfer-Encoding: base64\r\n`;
  if (o.contentId !== undefined) head += `Content-ID: <${emailHeaderText(o.contentId)}>\r\n`;
  return `${head}\r\n${emailWrap(content)}`;
}

function emailMultipart(subtype, parts) {
  const boundary = `----=_motu_${emailRandom(24)}`;
  return `Content-Type: multipart/${subtype}; boundary="${boundary}"\r\n\r\n`
    + parts.map(p => `--${boundary}\r\n${p}`).join('') + `--${boundary}--\r\n`;
}

// The object form as `{ from, recipients, raw }`: an RFC 5322 message.
// Recipients left out (`to` null or undefined) are the binding's
// destination_address, which the host adds.
function emailCompose(builder) {
  const b = dictionary(builder, 'the email');
  const from = emailAddress(b.from, 'from');
  const to = emailAddressList(b.to, 'to');
  const cc = emailAddressList(b.cc, 'cc');
  const bcc = emailAddressList(b.bcc, 'bcc');
  if (to.length + cc.length + bcc.length > EMAIL_MAX_RECIPIENTS) {
    throw new TypeError(`an email has at most ${EMAIL_MAX_RECIPIENTS} recipients`);
  }
  if (typeof b.subject !== 'string') throw new TypeError('the email needs a subject (a string)');
  const lines = [`From: ${from.text}`];
  if (to.length > 0) lines.push(`To: ${to.map(a => a.text).join(', ')}`);
  if (cc.length > 0) lines.push(`Cc: ${cc.map(a => a.text).join(', ')}`);
  if (b.replyTo !== undefined && b.replyTo !== null) lines.push(`Reply-To: ${emailAddress(b.replyTo, 'replyTo').text}`);
  lines.push(`Subject: ${emailHeaderText(b.subject)}`);
  lines.push(`Date: ${new Date().toUTCString()}`);
  const domain = from.email.slice(from.email.lastIndexOf('@') + 1);
  lines.push(`Message-ID: <${emailRandom(36)}@${domain}>`, 'MIME-Version: 1.0');
  for (const [name, value] of Object.entries(dictionary(b.headers, 'headers'))) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new TypeError(`'${name}' is not a header name`);
    lines.push(`${name}: ${emailHeaderText(value)}`);
  }
  const texts = [];
  if (b.text !== undefined && b.text !== null) texts.push(emailTextPart('text/plain', b.text));
  if (b.html !== undefined && b.html !== null) texts.push(emailTextPart('text/html', b.html));
  if (texts.length === 0) texts.push(emailTextPart('text/plain', ''));
  let body = texts.length === 1 ? texts[0] : emailMultipart('alternative', texts);
  const attachments = b.attachments === undefined || b.attachments === null ? [] : [...b.attachments];
  if (attachments.length > 0) body = emailMultipart('mixed', [body, ...attachments.map(emailAttachmentPart)]);
  const recipients = [...to, ...cc, ...bcc].map(a => a.email);
  return { from: from.email, recipients, raw: utf8Encode(`${lines.join('\r\n')}\r\n${body}`) };
}

const emailConstructing = Symbol('SendEmail');

class SendEmail {
  #index;
  constructor(token, index) {
    if (token !== emailConstructing) throw new TypeError('Illegal constructor');
    this.#index = index;
  }

  async send(message) {
    requireArgs(arguments.length, 1, "Failed to execute 'send' on 'SendEmail'");
    let from, recipients, raw;
    if (isEmailMessage(message)) {
      from = message.from;
      recipients = [message.to];
      raw = await emailBytes(message[EMAIL_RAW]);
    } else {
      ({ from, recipients, raw } = emailCompose(message));
    }
    const sent = await emailCall(this.#index, 'send', from, recipients, raw);
    return { messageId: sent.messageId };
  }
}
webidlInterface(SendEmail);

// The binding object of storage binding `index` (events.js).
function makeBinding(index) {
  return new SendEmail(emailConstructing, index);
}

const forwardableConstructing = Symbol('ForwardableEmailMessage');

class ForwardableEmailMessage {
  #from; #to; #bytes; #headers; #stream; #index; #report; #replied = false;
  constructor(token, event, index, report) {
    if (token !== forwardableConstructing) throw new TypeError('Illegal constructor');
    this.#from = String(event.from);
    this.#to = String(event.to);
    this.#bytes = event.raw;
    this.#headers = new Headers(event.headers);
    this.#index = index;
    this.#report = report;
  }
  get from() { return this.#from; }
  get to() { return this.#to; }
  get headers() { return this.#headers; }
  get rawSize() { return this.#bytes.byteLength; }
  get raw() {
    if (this.#stream === undefined) {
      const bytes = this.#bytes.slice();
      this.#stream = new ReadableStream({
        start(controller) {
          if (bytes.byteLength > 0) controller.enqueue(bytes);
          controller.close();
        },
      });
    }
    return this.#stream;
  }

  setReject(reason) {
    requireArgs(arguments.length, 1, "Failed to execute 'setReject' on 'ForwardableEmailMessage'");
    this.#report.rejectReason = String(reason);
  }

  async forward(rcptTo, headers = undefined) {
    requireArgs(arguments.length, 1, "Failed to execute 'forward' on 'ForwardableEmailMessage'");
    const to = String(rcptTo);
    const added = headers === undefined ? [] : [...new Headers(headers)];
    const done = await emailCall(this.#index, 'forward', to, added, this.#bytes);
    this.#report.actions.push({ type: 'forward', address: to, messageId: done.messageId, file: done.file, headers: added });
    return { messageId: done.messageId };
  }

  async reply(message) {
    requireArgs(arguments.length, 1, "Failed to execute 'reply' on 'ForwardableEmailMessage'");
    if (!isEmailMessage(message)) {
      throw new TypeError("Failed to execute 'reply' on 'ForwardableEmailMessage': the reply must be an EmailMessage of 'cloudflare:email'");
    }
    if (this.#replied) throw new Error('an email can only be replied to once');
    this.#replied = true;
    const from = message.from;
    const raw = await emailBytes(message[EMAIL_RAW]);
    let done;
    try {
      done = await emailCall(this.#index, 'reply', this.#from, this.#to, this.#bytes, from, message.to, raw);
    } catch (e) {
      this.#replied = false;
      throw e;
    }
    this.#report.actions.push({ type: 'reply', address: from, messageId: done.messageId, file: done.file, headers: [] });
    return { messageId: done.messageId };
  }
}
webidlInterface(ForwardableEmailMessage);

// An email event's message, the listeners' event (service-worker syntax)
// and what the handler did: `{ message, waiting, report() }`.
function makeEmail(event, index, ctx) {
  const report = { rejectReason: null, actions: [] };
  const message = new ForwardableEmailMessage(forwardableConstructing, event, index, report);
  const waiting = [];
  const listenerEvent = {
    type: 'email',
    message,
    waitUntil(promise) {
      waiting.push(promise);
      ctx.waitUntil(promise);
    },
  };
  return { message, listenerEvent, waiting, report: () => report };
}
