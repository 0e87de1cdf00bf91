// A Worker over the D1 database `env.DB`, driven by the tests over HTTP.
//
// Requests carry JSON; values that JSON cannot spell are tagged:
// {"$": "bytes", "v": [1, 2]} is an ArrayBuffer, {"$": "u8", …} a
// Uint8Array, {"$": "u16", …} a Uint16Array, {"$": "bool", "v": true} a
// boolean, {"$": "bigint", "v": "5"} a BigInt, {"$": "undefined"}
// undefined. Errors come back as 500 with { error, cause }.

interface D1Result<T = Record<string, unknown>> {
  results: T[];
  success: boolean;
  meta: Record<string, unknown>;
}
interface D1PreparedStatement {
  bind(...values: unknown[]): D1PreparedStatement;
  first<T = unknown>(column?: string): Promise<T | null>;
  run(): Promise<D1Result>;
  all(): Promise<D1Result>;
  raw(options?: { columnNames?: boolean }): Promise<unknown[][]>;
}
interface D1DatabaseSession {
  prepare(sql: string): D1PreparedStatement;
  batch(statements: D1PreparedStatement[]): Promise<D1Result[]>;
  getBookmark(): string | null;
}
interface D1Database {
  prepare(sql: string): D1PreparedStatement;
  batch(statements: D1PreparedStatement[]): Promise<D1Result[]>;
  exec(sql: string): Promise<{ count: number; duration: number }>;
  dump(): Promise<ArrayBuffer>;
  withSession(constraintOrBookmark?: string): D1DatabaseSession;
}
interface Env {
  DB: D1Database;
}

type Tagged = { $: string; v?: unknown };
type Query = { sql: string; params?: unknown[] };

function decode(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const t = value as Tagged;
  switch (t.$) {
    case "bytes":
      return new Uint8Array(t.v as number[]).buffer;
    case "u8":
      return new Uint8Array(t.v as number[]);
    case "u16":
      return new Uint16Array(t.v as number[]);
    case "bool":
      return Boolean(t.v);
    case "bigint":
      return BigInt(t.v as string);
    case "undefined":
      return undefined;
    default:
      return value;
  }
}

function statement(db: D1Database | D1DatabaseSession, q: Query): D1PreparedStatement {
  const s = db.prepare(q.sql);
  return q.params ? s.bind(...q.params.map(decode)) : s;
}

function failure(e: unknown): Response {
  const err = e as Error & { cause?: Error };
  return Response.json(
    { error: err.message, cause: err.cause?.message ?? null, name: err.name },
    { status: 500 },
  );
}

async function handle(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  const body = request.method === "POST" && url.pathname !== "/pair" ? await request.json<any>() : {};
  switch (url.pathname) {
    // One statement, run with the method the body names.
    case "/query": {
      const s = statement(env.DB, body);
      switch (body.method ?? "all") {
        case "all":
          return Response.json(await s.all());
        case "run":
          return Response.json(await s.run());
        case "first":
          return Response.json({
            value: body.column === undefined ? await s.first() : await s.first(body.column),
          });
        case "raw":
          return Response.json(await s.raw(body.options));
      }
      return new Response("unknown method", { status: 400 });
    }
    case "/batch":
      return Response.json(await env.DB.batch(body.statements.map((q: Query) => statement(env.DB, q))));
    case "/exec":
      return Response.json(await env.DB.exec(body.sql));
    case "/dump":
      return new Response(await env.DB.dump());
    // A session: its bookmark before and after each query, and the first
    // query's rows.
    case "/session": {
      const session = env.DB.withSession(body.constraint);
      const bookmarks: (string | null)[] = [session.getBookmark()];
      const rows = [];
      for (const q of body.statements as Query[]) {
        rows.push((await statement(session, q).all()).results);
        bookmarks.push(session.getBookmark());
      }
      const batch = await session.batch([session.prepare("SELECT 1 AS one")]);
      return Response.json({ bookmarks, rows, batch: batch[0].results });
    }
    // `n` queries in one invocation: how many ran, and the error that
    // stopped them.
    case "/many": {
      const n = Number(url.searchParams.get("n"));
      let ran = 0;
      try {
        for (let i = 0; i < n; i++) {
          await env.DB.prepare("SELECT ?1 AS i").bind(i).first("i");
          ran++;
        }
        return Response.json({ ran });
      } catch (e) {
        return Response.json({ ran, error: (e as Error).message });
      }
    }
    // What the classes look like from a Worker.
    case "/shape": {
      const s = env.DB.prepare("SELECT 1");
      return Response.json({
        database: Object.prototype.toString.call(env.DB),
        statement: Object.prototype.toString.call(s),
        session: Object.prototype.toString.call(env.DB.withSession()),
        bound: s.bind(1) !== s,
        text: (s as unknown as { statement: string }).statement,
      });
    }
    // Durability: a write acknowledged only once it committed.
    case "/put": {
      const k = url.searchParams.get("k");
      const v = url.searchParams.get("v");
      await env.DB.prepare("INSERT OR REPLACE INTO entries (k, v) VALUES (?, ?)").bind(k, v).run();
      return new Response("ok");
    }
    // Two rows in one batch (the durability test): both or neither.
    case "/pair": {
      const k = url.searchParams.get("k");
      const v = await request.text();
      const insert = env.DB.prepare("INSERT INTO entries (k, v) VALUES (?, ?)");
      await env.DB.batch([insert.bind(`${k}/a`, v), insert.bind(`${k}/b`, v)]);
      return new Response("ok");
    }
    case "/get": {
      const v = await env.DB.prepare("SELECT v FROM entries WHERE k = ?").bind(url.searchParams.get("k")).first("v");
      return v === null ? new Response("missing", { status: 404 }) : new Response(String(v));
    }
    // The benchmark's point select by primary key, and its insert.
    case "/user": {
      const row = await env.DB.prepare("SELECT id, email, name FROM users WHERE id = ?")
        .bind(Number(url.searchParams.get("id") ?? 1))
        .first();
      return Response.json(row);
    }
    case "/insert": {
      const r = await env.DB.prepare("INSERT INTO entries (k, v) VALUES (?, ?)")
        .bind(crypto.randomUUID(), "v")
        .run();
      return Response.json({ changes: r.meta.changes });
    }
  }
  return new Response("not found", { status: 404 });
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      return await handle(request, env);
    } catch (e) {
      return failure(e);
    }
  },
};
