// The Cache API: `caches.default`, `caches.open(name)` and the `Cache`
// methods Cloudflare's runtime has (put, match, delete), as Cloudflare
// documents them. `add`, `addAll`, `matchAll` and `keys` are not part of
// it and throw.
//
// The store is the runtime's (runtime/src/bindings/cache.rs over
// motu_storage::cache): each Worker has its own caches, kept in the state
// folder. Every Worker has one hidden storage binding of kind 'cache',
// whose index `cacheBinding()` gives (events.js); each method calls
// `hostWork('storage', index, method, cacheName, …)`, which counts against
// the event's operations to external services and, like every storage
// call, is refused at a Worker's top level.
//
// A group of its own, loaded on first use of `caches`, `Cache` or
// `CacheStorage`.

const cacheCreate = Symbol('cache');

// The request a Cache method is given (a Request, a URL or a string), as a
// Request.
function cacheRequest(request) {
  return request instanceof Request ? request : new Request(request);
}

function headerList(headers) {
  const list = [];
  for (const pair of headers) list.push(pair);
  return list;
}

// A Worker without a cache of its own (a dynamic Worker, whose code is not
// trusted with a store that outlives it) has one that keeps nothing, as
// Cloudflare's is on a workers.dev address.
const NO_CACHE_ANSWERS = { __proto__: null, put: undefined, match: null, delete: false };

function cacheCall(method, name, ...args) {
  if (cacheBinding() < 0) return promiseResolvedWith(NO_CACHE_ANSWERS[method]);
  return new PromiseCtor(resolve => resolve(hostWork('storage', cacheBinding(), method, name, ...args)));
}

class Cache {
  #name;

  constructor(token, name) {
    if (token !== cacheCreate) throw new TypeError('Illegal constructor');
    this.#name = name;
  }

  // Stores `response` for GET requests of `request`'s URL, as far as its
  // headers allow (the store decides; see motu_storage::cache::policy).
  put(request, response) {
    return new PromiseCtor(resolve => {
      requireArgs(arguments.length, 2, "Failed to execute 'put' on 'Cache'");
      const key = cacheRequest(request);
      if (!(response instanceof Response)) {
        throw new TypeError("Failed to execute 'put' on 'Cache': parameter 2 is not of type 'Response'.");
      }
      if (key.method !== 'GET') throw new TypeError('Cannot cache response to non-GET request.');
      if (response.status === 206) {
        throw new TypeError('Cannot cache response to a range request (206 Partial Content).');
      }
      const vary = response.headers.get('vary');
      if (vary !== null && vary.includes('*')) throw new TypeError("Cannot cache response with 'Vary: *' header.");
      if (response.webSocket) throw new TypeError('Cannot cache WebSocket upgrade response.');
      if (response.bodyUsed) throw new TypeError('Body has already been used. It can only be used once. Use tee() first if you need to read it twice.');
      const url = key.url;
      if (!/^https?:/i.test(url)) throw new TypeError(`Cannot cache a request for '${url}': only http: and https: URLs can be cached.`);
      const requestHeaders = headerList(key.headers);
      const responseHeaders = headerList(response.headers);
      const status = response.status;
      // The body is read (disturbing the response) whatever is stored; a
      // 304 is read and dropped, as Cloudflare drops it.
      resolve(transformPromise(response.arrayBuffer(), body => {
        if (status === 304) return undefined;
        return transformPromise(
          cacheCall('put', this.#name, url, requestHeaders, status, responseHeaders, new Uint8Array(body)),
          () => undefined);
      }));
    });
  }

  // The stored response for a GET of `request`'s URL, or undefined.
  match(request, options = undefined) {
    return new PromiseCtor(resolve => {
      requireArgs(arguments.length, 1, "Failed to execute 'match' on 'Cache'");
      const key = cacheRequest(request);
      const ignoreMethod = options !== undefined && options !== null && Boolean(options.ignoreMethod);
      if (key.method !== 'GET' && !ignoreMethod) return resolve(undefined);
      resolve(transformPromise(cacheCall('match', this.#name, key.url, headerList(key.headers)), found => {
        if (found === null) return undefined;
        const [status, headers, body] = found;
        const nullBody = status === 304 || status === 416 ? null : body;
        return new Response(nullBody, { status, headers });
      }));
    });
  }

  // Removes what is stored for `request`'s URL: whether anything was.
  delete(request, options = undefined) {
    return new PromiseCtor(resolve => {
      requireArgs(arguments.length, 1, "Failed to execute 'delete' on 'Cache'");
      const key = cacheRequest(request);
      const ignoreMethod = options !== undefined && options !== null && Boolean(options.ignoreMethod);
      if (key.method !== 'GET' && !ignoreMethod) return resolve(false);
      resolve(cacheCall('delete', this.#name, key.url));
    });
  }

  add() { return promiseRejectedWith(new TypeError("Failed to execute 'add' on 'Cache': the method is not implemented.")); }
  addAll() { return promiseRejectedWith(new TypeError("Failed to execute 'addAll' on 'Cache': the method is not implemented.")); }
  matchAll() { return promiseRejectedWith(new TypeError("Failed to execute 'matchAll' on 'Cache': the method is not implemented.")); }
  keys() { return promiseRejectedWith(new TypeError("Failed to execute 'keys' on 'Cache': the method is not implemented.")); }
}
webidlInterface(Cache);
tag(Cache);

// The longest name `caches.open` takes, in UTF-16 code units.
const CACHE_NAME_MAX = 1024;

class CacheStorage {
  #default = new Cache(cacheCreate, 'default');
  #opened = new Map();

  constructor(token) {
    if (token !== cacheCreate) throw new TypeError('Illegal constructor');
  }

  // The default cache (`caches.default`).
  get default() {
    return this.#default;
  }

  // The cache named `name`, made on first use. The name `default` is a
  // cache apart from `caches.default`, as on Cloudflare.
  open(name) {
    return new PromiseCtor(resolve => {
      requireArgs(arguments.length, 1, "Failed to execute 'open' on 'CacheStorage'");
      const text = String(name);
      if (text.length > CACHE_NAME_MAX) throw new TypeError(`Cache name is too long (at most ${CACHE_NAME_MAX} characters).`);
      let cache = this.#opened.get(text);
      if (cache === undefined) {
        cache = new Cache(cacheCreate, `named:${text}`);
        this.#opened.set(text, cache);
      }
      resolve(cache);
    });
  }
}
webidlInterface(CacheStorage);
tag(CacheStorage);

defineGlobal('Cache', Cache);
defineGlobal('CacheStorage', CacheStorage);
defineGlobal('caches', new CacheStorage(cacheCreate));
