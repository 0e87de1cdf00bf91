// Bindings made from what they are given at start (init's `platform` list,
// runtime/src/worker.rs), as `wrangler dev` gives them:
//
// - a rate limiter (`RateLimit`): `limit({ key })` counts the call in the
//   binding's namespace on the host (runtime/src/bindings/ratelimit.rs) and
//   answers `{ success }`; the options are checked here first, with the
//   messages wrangler's local rate limiter gives;
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

const RATE_LIMIT_OPTIONS = ['key', 'limit', 'period'];

class RateLimit {
  #index;
  #limit;
  #period;
  constructor(token, index, defaults) {
    if (token !== platformConstructing) throw new TypeError('Illegal constructor');
    this.#index = index;
    this.#limit = defaults.limit;
    this.#period = defaults.period;
  }

  async limit(options) {
    if (typeof options !== 'object' || options === null) throw new Error('invalid rate limit options');
    const unknown = Object.keys(options).filter(k => !RATE_LIMIT_OPTIONS.includes(k));
    if (unknown.length > 0) throw new Error(`bad rate limit options: [${unknown.join(',')}]`);
    const { key = '', limit = this.#limit, period = this.#period } = options;
    if (typeof key !== 'string') throw new Error(`invalid key: ${key}`);
    if (typeof limit !== 'number') throw new Error(`limit must be a number: ${limit}`);
    if (typeof period !== 'number') throw new Error(`period must be a number: ${period}`);
    if (period !== 10 && period !== 60) throw new Error(`unsupported period: ${period}`);
    const outcome = await hostWork('storage', this.#index, 'limit', key, limit, period);
    return { success: outcome.success };
  }
}
webidlInterface(RateLimit);

// The rate limiter of storage binding `index`, with its config's limit and
// period as defaults.
function makeRateLimit(index, defaults) {
  return new RateLimit(platformConstructing, index, defaults);
}

// A service binding to a Worker the server does not run (a Wrangler
// config's binding to a Worker deployed on its own): as wrangler dev's
// while that Worker is not running, `fetch()` answers 503 and any method
// called over RPC throws, each saying so.
function absentService(service) {
  const message = `Worker "${service}" not found. Make sure it is running locally.`;
  const fetch = async () => new Response(message, { status: 503 });
  return new Proxy({ fetch }, {
    get(target, key) {
      if (key === 'fetch') return target.fetch;
      if (typeof key === 'symbol' || key === 'then') return undefined;
      return () => { throw new Error(message); };
    },
  });
}

// The binding object for `data` (a map whose `type` says which).
function makePlatformBinding(data) {
  if (data.type === 'analytics_engine') return new AnalyticsEngineDataset(platformConstructing);
  if (data.type === 'absent_service') return absentService(data.service);
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
