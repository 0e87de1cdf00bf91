// Bindings made from what they are given at start (init's `platform` list,
// runtime/src/worker.rs), as `wrangler dev` gives them:
//
// - an Analytics Engine dataset (`AnalyticsEngineDataset`): `writeDataPoint`
//   records nothing in local development;
// - a Hyperdrive configuration (`Hyperdrive`): the database's connection
//   string and its parts, and `connect()`, a socket to the database (through
//   `cloudflare:sockets`, under the egress policy, which the config opened
//   to it). Local development has no pool in between: the connection string
//   is the database's own.

const platformConstructing = Symbol('platform binding');

class AnalyticsEngineDataset {
  constructor(token) {
    if (token !== platformConstructing) throw new TypeError('Illegal constructor');
  }

  writeDataPoint(event = undefined) {
    if (event !== undefined && event !== null && typeof event !== 'object') {
      throw new TypeError("Failed to execute 'writeDataPoint' on 'AnalyticsEngineDataset': parameter 1 is not of type 'AnalyticsEngineDataPoint'.");
    }
  }
}
webidlInterface(AnalyticsEngineDataset);

class Hyperdrive {
  #config;
  constructor(token, config) {
    if (token !== platformConstructing) throw new TypeError('Illegal constructor');
    this.#config = config;
  }

  get connectionString() { return this.#config.connectionString; }
  get host() { return this.#config.host; }
  get port() { return this.#config.port; }
  get user() { return this.#config.user; }
  get password() { return this.#config.password; }
  get database() { return this.#config.database; }

  connect() {
    return loadGroup(CLOUDFLARE_SOCKETS).socketsExports().connect({ hostname: this.#config.host, port: this.#config.port });
  }
}
webidlInterface(Hyperdrive);

// The binding object for `data` (a map whose `type` says which).
function makePlatformBinding(data) {
  if (data.type === 'analytics_engine') return new AnalyticsEngineDataset(platformConstructing);
  // A connection string's parts are percent-encoded in it.
  const decode = text => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  return new Hyperdrive(platformConstructing, {
    connectionString: data.connectionString,
    host: data.host,
    port: data.port,
    user: decode(data.user),
    password: decode(data.password),
    database: decode(data.database),
  });
}
