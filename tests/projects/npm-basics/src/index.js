// A Worker made of npm packages, as Workers projects are: each route
// answers with what one way of importing produced.
import { Hono } from 'hono';
import { jsx } from 'hono/jsx';
import { z } from 'zod';
import { AutoRouter } from 'itty-router';
import cookie, { parse as parseCookie } from 'cookie';
import ms from 'ms';
import { picked } from 'workerd-pick';
import { sub } from 'workerd-pick/sub/thing';
import config from './data/config.json' with { type: 'json' };
import configPlain from './data/config.json';
import notes from './assets/notes.txt';
import page from './assets/page.html';
import blob from './assets/blob.bin';
import readme from './assets/README.md';
import cycle from './cjs/a.cjs';
import { fromB, name as cycleName } from './cjs/a.cjs';
import mixed from './cjs/mixed.js';

const app = new Hono();

app.get('/hono/:name', (c) => c.json({ hello: c.req.param('name') }));
app.get('/jsx', (c) => c.html(jsx('h1', { class: 'title' }, 'Hello ', c.req.query('name'))));

const User = z.object({ name: z.string().min(2), age: z.coerce.number().int().min(0) });
app.get('/zod', (c) => {
  const parsed = User.safeParse(c.req.query());
  return parsed.success
    ? c.json({ ok: true, user: parsed.data })
    : c.json({ ok: false, issues: parsed.error.issues.map((i) => i.path.join('.')) }, 400);
});

const itty = AutoRouter({ base: '/itty' });
itty.get('/items/:id', ({ params }) => ({ item: params.id, from: 'itty-router' }));
app.all('/itty/*', (c) => itty.fetch(c.req.raw));

app.get('/cjs', (c) =>
  c.json({
    defaultParse: cookie.parse('a=1; b=two').b,
    namedParse: parseCookie('x=42').x,
    serialize: cookie.serialize('k', 'v', { httpOnly: true }),
    ms: ms('2 days'),
  }),
);

app.get('/cycle', (c) => c.json({ name: cycleName, fromB, sawA: cycle.bSawA, same: cycle.fromB === fromB }));

app.get('/mixed', (c) => c.json(mixed));

app.get('/json', (c) =>
  c.json({
    attributes: config.name,
    plain: configPlain.name,
    same: config === configPlain,
    required: cycle.json,
    protoIsAKey: Object.keys(config).includes('__proto__') && config.polluted === undefined,
  }),
);

app.get('/workerd', (c) => c.json({ picked, sub }));

app.get('/assets', (c) =>
  c.json({
    notes,
    page: page.trim(),
    readme: readme.trim(),
    blobIsArrayBuffer: blob instanceof ArrayBuffer,
    blob: [...new Uint8Array(blob)],
  }),
);

export default app;
