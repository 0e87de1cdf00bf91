// The npm mysql2 driver against a real MariaDB, as Cloudflare's
// mysql-hyperdrive-template uses it: a connection made from the parts of
// a Hyperdrive binding (env.HYPERDRIVE), or from its connection string;
// each route creates its own table, inserts, selects, runs a transaction
// that commits and one that rolls back, and answers JSON of what it saw,
// with the TLS cipher of the session as the server sees it ('' for none).
import { createConnection } from 'mysql2/promise';

async function exercise(connection, table) {
  const query = async (text, params = []) => (await connection.query(text, params))[0];
  await query(`drop table if exists ${table}`);
  await query(`create table ${table} (id int auto_increment primary key, name varchar(32) unique not null, score int)`);
  await query(`insert into ${table} (name, score) values (?, ?), (?, ?)`, ['ann', 3, 'bob', 5]);
  const rows = await query(`select name, score from ${table} order by id`);
  await connection.beginTransaction();
  await query(`insert into ${table} (name, score) values (?, ?)`, ['cy', 8]);
  await query(`update ${table} set score = score + 1 where name = ?`, ['ann']);
  await connection.commit();
  let rolledBack = 'no error';
  await connection.beginTransaction();
  try {
    await query(`insert into ${table} (name, score) values (?, ?)`, ['dee', 1]);
    // A duplicate: the transaction fails and nothing of it stays.
    await query(`insert into ${table} (name, score) values (?, ?)`, ['bob', 0]);
    await connection.commit();
  } catch (e) {
    rolledBack = e.code;
    await connection.rollback();
  }
  const after = await query(`select name, score from ${table} order by id`);
  const [{ total }] = await query(`select cast(sum(score) as signed) as total from ${table}`);
  const [{ Value: cipher }] = await query(`show session status like 'Ssl_cipher'`);
  await query(`drop table ${table}`);
  return { rows: rows.map(r => ({ ...r })), rolledBack, after: after.map(r => ({ ...r })), total: Number(total), cipher };
}

async function run(options, table) {
  const connection = await createConnection(options);
  try {
    return await exercise(connection, table);
  } finally {
    await connection.end();
  }
}

const routes = {
  // As the template: the binding's parts, and mysql2's static parser
  // (disableEval), since Workers forbid eval().
  '/parts': env => {
    const { host, port, user, password, database } = env.HYPERDRIVE;
    return run({ host, port, user, password, database, disableEval: true }, 'motu_parts');
  },
  '/string': env => run({ uri: env.HYPERDRIVE.connectionString, disableEval: true }, 'motu_string'),
};

export default {
  async fetch(request, env) {
    const route = routes[new URL(request.url).pathname];
    if (!route) return new Response('no such route', { status: 404 });
    try {
      return Response.json(await route(env));
    } catch (e) {
      return Response.json({ error: `${e && e.name}: ${e && e.message}`, code: e && e.code }, { status: 500 });
    }
  },
};
