// The part of @cloudflare/workers-types this project uses (no npm packages
// are needed to run the fixture).
type KVValueType = 'text' | 'json' | 'arrayBuffer' | 'stream';

interface KVListKey {
  name: string;
  expiration?: number;
  metadata?: unknown;
}

interface KVListResult {
  keys: KVListKey[];
  list_complete: boolean;
  cursor?: string;
  cacheStatus: string | null;
}

interface KVNamespace {
  get(key: string | string[], options?: KVValueType | { type?: KVValueType; cacheTtl?: number }): Promise<unknown>;
  getWithMetadata(key: string | string[], options?: KVValueType | { type?: KVValueType; cacheTtl?: number }): Promise<unknown>;
  put(
    key: string,
    value: string | ArrayBuffer | ArrayBufferView | ReadableStream,
    options?: { expiration?: number; expirationTtl?: number; metadata?: unknown },
  ): Promise<void>;
  list(options?: { prefix?: string | null; limit?: number; cursor?: string | null }): Promise<KVListResult>;
  delete(key: string): Promise<void>;
}
