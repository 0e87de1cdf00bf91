// npm database drivers against a real PostgreSQL (env.PG_URL), as a
// Workers project uses them: each route creates its own table, inserts,
// selects, runs a transaction that commits and one that rolls back, and
// answers JSON of what it saw. The drivers pick their Cloudflare paths
// (`postgres` over cloudflare:sockets, `pg` through pg-cloudflare) by the
// `workerd` export condition and navigator.userAgent; the `-net` routes
// hand them node:net sockets instead.
import postgres from 'postgres';
import pg from 'pg';
import net from 'node:net';

// One run of the same steps whatever the driver: `query(text, params)`
// answers rows; `transaction(fn)` runs `fn(query)` in a transaction.
async function exercise(table, query, transaction) {
  await query(`drop table if exists ${table}`);
  await query(`create table ${table} (id serial primary key, name text unique not null, score int)`);
  await query(`insert into ${table} (name, score) values ($1, $2), ($3, $4)`, ['ann', 3, 'bob', 5]);
  const rows = await query(`select name, score from ${table} order by id`);
  await transaction(async q => {
    await q(`insert into ${table} (name, score) values ($1, $2)`, ['cy', 8]);
    await q(`update ${table} set score = score + 1 where name = $1`, ['ann']);
  });
  let rolledBack = 'no error';
  try {
    await transaction(async q => {
      await q(`insert into ${table} (name, score) values ($1, $2)`, ['dee', 1]);
      // A duplicate: the transaction fails and nothing of it stays.
      await q(`insert into ${table} (name, score) values ($1, $2)`, ['bob', 0]);
    });
  } catch (e) {
    rolledBack = `${e.code}`;
  }
  const after = await query(`select name, score from ${table} order by id`);
  const [{ total }] = await query(`select sum(score)::int as total from ${table}`);
  const big = await query(`select repeat('x', 100000) as text`);
  await query(`drop table ${table}`);
  return { rows, rolledBack, after, total, bigLength: big[0].text.length };
}

async function withPostgres(url, options, table) {
  const sql = postgres(url, { max: 1, ...options });
  try {
    const query = (text, params = []) => sql.unsafe(text, params).then(r => r.map(row => ({ ...row })));
    const transaction = fn => sql.begin(tx => fn((text, params = []) => tx.unsafe(text, params)));
    return await exercise(table, query, transaction);
  } finally {
    await sql.end();
  }
}

async function withPg(url, options, table) {
  const client = new pg.Client({ connectionString: url, ...options });
  await client.connect();
  try {
    const query = (text, params = []) => client.query(text, params).then(r => r.rows);
    const transaction = async fn => {
      await client.query('begin');
      try {
        await fn(query);
        await client.query('commit');
      } catch (e) {
        await client.query('rollback');
        throw e;
      }
    };
    return await exercise(table, query, transaction);
  } finally {
    await client.end();
  }
}

// A node:net socket, connected, for `postgres`'s `socket` option.
function netSocket(_options, host, port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, host);
    s.once('error', reject);
    s.once('connect', () => { s.off('error', reject); resolve(s); });
  });
}

const routes = {
  '/postgres': env => withPostgres(env.PG_URL, {}, 'motu_postgres'),
  '/postgres-net': env => withPostgres(env.PG_URL, { socket: netSocket }, 'motu_postgres_net'),
  '/pg': env => withPg(env.PG_URL, {}, 'motu_pg'),
  '/pg-net': env => withPg(env.PG_URL, { stream: () => new net.Socket() }, 'motu_pg_net'),
  // TLS through node:tls, upgrading the node:net socket once the server
  // agrees, trusting the test's own CA (env.PG_CA): `ssl` says whether the
  // session is encrypted, as the server sees it. (`pg` cannot: on Workers
  // it upgrades only pg-cloudflare's sockets.)
  '/postgres-net-tls': env => withTls(env, env.PG_CA),
  // The same without the CA: the certificate cannot be trusted.
  '/postgres-net-tls-untrusted': env => withTls(env, undefined),
  // A Hyperdrive binding (env.HYPERDRIVE), as Workers use one: its
  // connection string, or its parts, given to a driver.
  '/hyperdrive-postgres': env => withPostgres(env.HYPERDRIVE.connectionString, {}, 'motu_hd_postgres'),
  '/hyperdrive-pg-parts': env => {
    const { host, port, user, password, database } = env.HYPERDRIVE;
    return withPg(undefined, { host, port, user, password, database }, 'motu_hd_pg');
  },
  '/hyperdrive-info': env => {
    const h = env.HYPERDRIVE;
    return { host: h.host, port: h.port, user: h.user, database: h.database, same: h.connectionString === env.PG_URL, password: h.password === new URL(env.PG_URL).password };
  },
  // Whether each driver's session, opened with the Hyperdrive's connection
  // string, is encrypted as the server sees it, and the string's sslmode.
  '/hyperdrive-ssl': async env => {
    const state = 'select ssl from pg_stat_ssl where pid = pg_backend_pid()';
    const sql = postgres(env.HYPERDRIVE.connectionString, { max: 1 });
    let viaPostgres;
    try {
      [{ ssl: viaPostgres }] = await sql.unsafe(state);
    } finally {
      await sql.end();
    }
    const client = new pg.Client({ connectionString: env.HYPERDRIVE.connectionString });
    await client.connect();
    let viaPg;
    try {
      viaPg = (await client.query(state)).rows[0].ssl;
    } finally {
      await client.end();
    }
    const sslmode = new URL(env.HYPERDRIVE.connectionString).searchParams.get('sslmode');
    return { postgres: viaPostgres, pg: viaPg, sslmode };
  },
  // Its own socket: the server's answer to an SSLRequest ('S' or 'N').
  '/hyperdrive-connect': async env => {
    const socket = env.HYPERDRIVE.connect();
    const writer = socket.writable.getWriter();
    await writer.write(new Uint8Array([0, 0, 0, 8, 4, 210, 22, 47]));
    const reader = socket.readable.getReader();
    const { value } = await reader.read();
    await socket.close();
    return { answer: String.fromCharCode(value[0]) };
  },
};

async function withTls(env, ca) {
  const sql = postgres(env.PG_URL, { max: 1, socket: netSocket, ssl: { ca, servername: 'localhost' } });
  try {
    const [state] = await sql`select ssl, version from pg_stat_ssl where pid = pg_backend_pid()`;
    const query = (text, params = []) => sql.unsafe(text, params).then(r => r.map(row => ({ ...row })));
    const transaction = fn => sql.begin(tx => fn((text, params = []) => tx.unsafe(text, params)));
    const table = await exercise('motu_postgres_tls', query, transaction);
    return { ssl: state.ssl, version: state.version, total: table.total };
  } finally {
    await sql.end();
  }
}

export default {
  async fetch(request, env) {
    const route = routes[new URL(request.url).pathname];
    if (!route) return new Response('no such route', { status: 404 });
    try {
      return Response.json(await route(env));
    } catch (e) {
      return Response.json({ error: `${e && e.name}: ${e && e.message}`, code: e && e.code, stack: e && e.stack }, { status: 500 });
    }
  },
};
