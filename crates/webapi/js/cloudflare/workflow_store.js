// What a Workflow instance keeps (workflow_engine.js), in the SQL storage
// of the Durable Object that holds it: its record (status, when it was
// made, its error, whether it is paused), its parameters and output, one
// row per step it reached (what it returned, or how it failed; its
// attempts so far; when a sleep, a retry or a wait for an event is over),
// and the events sent to it, each taken by at most one step. Values are
// kept in the structured-clone form queues use (QUEUE_BINDING's
// `queueSerialize`), so a step's Date or Map comes back as one.

class WfStore {
  constructor(sql) {
    this.sql = sql;
    sql.exec('CREATE TABLE IF NOT EXISTS motu_workflow (k TEXT PRIMARY KEY, v BLOB)');
    sql.exec(`CREATE TABLE IF NOT EXISTS motu_workflow_steps (key TEXT PRIMARY KEY, state TEXT NOT NULL,
      value BLOB, attempts INTEGER NOT NULL, wake REAL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS motu_workflow_events (seq INTEGER PRIMARY KEY AUTOINCREMENT,
      type TEXT NOT NULL, payload BLOB NOT NULL, at REAL NOT NULL, step TEXT)`);
  }

  encode(value) { return loadGroup(QUEUE_BINDING).queueSerialize(value); }
  decode(bytes) { return loadGroup(QUEUE_BINDING).queueDeserialize(new Uint8Array(bytes)); }

  // The value kept under `k` ('record', 'params', 'output'), or undefined.
  get(k) {
    const rows = this.sql.exec('SELECT v FROM motu_workflow WHERE k = ?', k).toArray();
    return rows.length === 0 ? undefined : this.decode(rows[0].v);
  }
  put(k, value) {
    this.sql.exec('INSERT OR REPLACE INTO motu_workflow (k, v) VALUES (?, ?)', k, this.encode(value));
  }
  delete(k) { this.sql.exec('DELETE FROM motu_workflow WHERE k = ?', k); }

  // Step `key`'s row ({ state, value, attempts, wake }), or null.
  step(key) {
    const rows = this.sql.exec('SELECT state, value, attempts, wake FROM motu_workflow_steps WHERE key = ?', key).toArray();
    return rows.length === 0 ? null : rows[0];
  }
  setStep(key, state, value, attempts, wake) {
    this.sql.exec('INSERT OR REPLACE INTO motu_workflow_steps (key, state, value, attempts, wake) VALUES (?, ?, ?, ?, ?)',
      key, state, value, attempts, wake);
  }

  addEvent(type, payload, at) {
    this.sql.exec('INSERT INTO motu_workflow_events (type, payload, at) VALUES (?, ?, ?)', type, payload, at);
  }
  // The oldest event of `type` no step took, now taken by step `key`
  // ({ payload, at }), or null.
  takeEvent(type, key) {
    const rows = this.sql.exec('SELECT seq, payload, at FROM motu_workflow_events WHERE type = ? AND step IS NULL ORDER BY seq LIMIT 1', type).toArray();
    if (rows.length === 0) return null;
    this.sql.exec('UPDATE motu_workflow_events SET step = ? WHERE seq = ?', key, rows[0].seq);
    return rows[0];
  }

  // Forgets the steps, events and output (a restart).
  clearProgress() {
    this.sql.exec('DELETE FROM motu_workflow_steps');
    this.sql.exec('DELETE FROM motu_workflow_events');
    this.delete('output');
  }
}
