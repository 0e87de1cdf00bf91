// D1 (`env.DB` of a `d1_databases` binding): D1Database, D1DatabaseSession
// and D1PreparedStatement, as Cloudflare documents them. The database is
// the host's (motu_storage::d1); every call is host work,
// `hostWork('storage', index, method, …args)`:
//
// - `batch(queries, wants)`: queries are `[sql, params]`; one transaction.
//   The answer is `[bookmark, results]`, each result `[columns, rows,
//   meta]` (D1's "rows and columns" form); `wants` says what the caller
//   uses besides the rows (WANT_META, WANT_BOOKMARK): the rest is left
//   out (`null`).
// - `exec(sql)`: `{ count, duration }`.
// - `dump()`: the database as a SQLite file image (bytes).
//
// Errors come back as `Error`s whose message is D1's (`D1_ERROR: …`,
// `D1_EXEC_ERROR: …`); they are thrown again with D1's `cause` (the message
// without its prefix).

const D1_FIRST_PRIMARY = 'first-primary';
const D1_FIRST_UNCONSTRAINED = 'first-unconstrained';
const WANT_META = 1;
const WANT_BOOKMARK = 2;

// A D1 error with its cause, as D1 throws them.
function d1Error(prefix, message) {
  return new Error(`${prefix}: ${message}`, { cause: new Error(message) });
}

// Rethrows a host error with D1's cause.
function rethrowD1(e) {
  const message = e && typeof e.message === 'string' ? e.message : String(e);
  const m = /^(D1_[A-Z_]+): ([\s\S]*)$/.exec(message);
  if (m !== null) throw d1Error(m[1], m[2]);
  throw e;
}

// A value bound to a statement as D1 converts it: numbers and strings as
// they are, booleans as 1/0, buffers and views (and arrays of bytes) as
// bytes, null as NULL; anything else is a D1_TYPE_ERROR.
function bindValue(value) {
  const type = typeof value;
  if (type === 'number' || type === 'string') return value;
  if (type === 'boolean') return value ? 1 : 0;
  if (type === 'object') {
    if (value === null) return null;
    if (Array.isArray(value) && value.every(b => typeof b === 'number' && b >= 0 && b < 256)) {
      return new Uint8Array(value);
    }
    if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
    if (ArrayBuffer.isView(value)) {
      return new Uint8Array(Array.from(value));
    }
  }
  throw d1Error('D1_TYPE_ERROR', `Type '${type}' not supported for value '${String(value)}'`);
}

// A value read from a row: blobs as arrays of numbers.
function readValue(value) {
  return value instanceof Uint8Array ? Array.from(value) : value;
}

function rowsOf(rows) {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    for (let j = 0; j < row.length; j++) {
      if (row[j] instanceof Uint8Array) row[j] = readValue(row[j]);
    }
  }
  return rows;
}

// A row as an object, keyed by column (a later column of the same name wins).
function rowObject(columns, row) {
  const object = {};
  for (let j = 0; j < columns.length; j++) object[columns[j]] = row[j];
  return object;
}

// D1's result object: `results` as objects, keyed by column.
function toResult(columns, rows, meta) {
  const results = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) results[i] = rowObject(columns, rows[i]);
  return { success: true, meta, results };
}

// One session: where queries go and the newest bookmark seen.
class Session {
  constructor(index, constraintOrBookmark) {
    this.index = index;
    this.bookmark = constraintOrBookmark;
  }

  // Runs `statements` (D1PreparedStatements) as one batch; `fn` gets the
  // host's `[columns, rows, meta]` results (`meta` only if `meta`).
  query(statements, meta, fn) {
    const queries = new Array(statements.length);
    for (let i = 0; i < statements.length; i++) {
      const s = statements[i];
      queries[i] = [s.statement, s.params];
    }
    const wants = (meta ? WANT_META : 0) | (this.bookmark === null ? 0 : WANT_BOOKMARK);
    return afterWork(hostWork('storage', this.index, 'batch', queries, wants), answer => {
      if (this.bookmark !== null) this.seen(answer[0]);
      const results = answer[1];
      for (let i = 0; i < results.length; i++) rowsOf(results[i][1]);
      return fn(results);
    }, rethrowD1);
  }

  seen(bookmark) {
    const current = this.getBookmark();
    if (current === null || current < bookmark) this.bookmark = bookmark;
  }

  getBookmark() {
    const b = this.bookmark;
    return b === null || b === D1_FIRST_PRIMARY || b === D1_FIRST_UNCONSTRAINED ? null : b;
  }
}

const sessionOf = new WeakMap();

function sessionFrom(owner) {
  const session = sessionOf.get(owner);
  if (session === undefined) throw new TypeError('Illegal invocation');
  return session;
}

function checkStatements(statements) {
  if (!Array.isArray(statements)) {
    throw new TypeError('D1_ERROR: batch() takes an array of prepared statements');
  }
  for (const s of statements) {
    if (!(s instanceof D1PreparedStatement)) {
      throw new TypeError('D1_ERROR: batch() takes an array of prepared statements');
    }
  }
}

function batchOn(session, statements) {
  try {
    checkStatements(statements);
    return promiseResolvedWith(session.query(statements, true, results =>
      results.map(r => toResult(r[0], r[1], r[2]))));
  } catch (e) {
    return promiseRejectedWith(e);
  }
}

class D1PreparedStatement {
  #session;
  constructor(session, statement, params) {
    if (!(session instanceof Session)) throw new TypeError('Illegal constructor');
    this.#session = session;
    this.statement = String(statement);
    this.params = params;
  }

  bind(...values) {
    return new D1PreparedStatement(this.#session, this.statement, values.map(bindValue));
  }

  first(colName) {
    return this.#one(false, r => {
      const rows = r[1];
      if (rows.length === 0) return null;
      const columns = r[0];
      if (colName !== undefined) {
        const i = columns.lastIndexOf(colName);
        if (i < 0) throw d1Error('D1_COLUMN_NOTFOUND', `Column not found (${colName})`);
        return rows[0][i];
      }
      return rowObject(columns, rows[0]);
    });
  }

  run() {
    return this.#one(true, r => toResult(r[0], r[1], r[2]));
  }

  all() {
    return this.#one(true, r => toResult(r[0], r[1], r[2]));
  }

  raw(options) {
    const columnNames = options != null && !!options.columnNames;
    return this.#one(false, r => (columnNames ? [r[0], ...r[1]] : r[1]));
  }

  #one(meta, fn) {
    try {
      return promiseResolvedWith(this.#session.query([this], meta, results => fn(results[0])));
    } catch (e) {
      return promiseRejectedWith(e);
    }
  }
}

class D1DatabaseSession {
  constructor(session) {
    if (!(session instanceof Session)) throw new TypeError('Illegal constructor');
    sessionOf.set(this, session);
  }

  prepare(query) {
    requireArgs(arguments.length, 1, "Failed to execute 'prepare' on 'D1DatabaseSession'");
    return new D1PreparedStatement(sessionFrom(this), query, []);
  }

  batch(statements) {
    return batchOn(sessionFrom(this), statements);
  }

  getBookmark() {
    return sessionFrom(this).getBookmark();
  }
}

class D1Database {
  constructor(session) {
    if (!(session instanceof Session)) throw new TypeError('Illegal constructor');
    sessionOf.set(this, session);
  }

  prepare(query) {
    requireArgs(arguments.length, 1, "Failed to execute 'prepare' on 'D1Database'");
    return new D1PreparedStatement(sessionFrom(this), query, []);
  }

  batch(statements) {
    return batchOn(sessionFrom(this), statements);
  }

  exec(query) {
    const session = sessionFrom(this);
    try {
      return promiseResolvedWith(afterWork(
        hostWork('storage', session.index, 'exec', String(query)),
        r => ({ count: r.count, duration: r.duration }),
        rethrowD1));
    } catch (e) {
      return promiseRejectedWith(e);
    }
  }

  withSession(constraintOrBookmark) {
    let c = constraintOrBookmark == null ? '' : String(constraintOrBookmark).trim();
    if (c === '') c = D1_FIRST_UNCONSTRAINED;
    return new D1DatabaseSession(new Session(sessionFrom(this).index, c));
  }

  dump() {
    const session = sessionFrom(this);
    try {
      return promiseResolvedWith(afterWork(
        hostWork('storage', session.index, 'dump'),
        bytes => bytes.buffer.byteLength === bytes.byteLength ? bytes.buffer : bytes.slice().buffer,
        rethrowD1));
    } catch (e) {
      return promiseRejectedWith(e);
    }
  }
}

tag(D1Database);
tag(D1DatabaseSession);
tag(D1PreparedStatement);

// env[name] for the binding at `index`.
function makeBinding(index) {
  return new D1Database(new Session(index, null));
}
