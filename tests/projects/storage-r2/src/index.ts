// A Worker over two R2 buckets, for tests/storage_r2.rs and
// benches/storage_r2.rs. Each route does one R2 operation and answers with
// what it returned: JSON describing objects, or the object's body with its
// HTTP metadata. An operation that throws answers 400 with the error's
// name and message.

import type { R2Bucket, R2Object, R2ObjectBody } from './r2.ts';

interface Env {
  readonly BUCKET: R2Bucket;
  readonly EU: R2Bucket;
}

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

// An object as JSON: its own properties (as JSON.stringify shows them),
// plus what only a method or getter shows.
function describe(object: R2Object | null): unknown {
  if (object === null) return null;
  const body = 'body' in object;
  return {
    ...JSON.parse(JSON.stringify(object)),
    uploadedMs: object.uploaded.getTime(),
    isDate: object.uploaded instanceof Date,
    md5Bytes: object.checksums.md5?.byteLength ?? null,
    hasBody: body,
    className: Object.prototype.toString.call(object),
  };
}

// Custom metadata from the request's `x-meta-NAME` headers.
function customMetadata(headers: Headers): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let any = false;
  for (const [name, value] of headers) {
    if (name.startsWith('x-meta-')) {
      out[name.slice('x-meta-'.length)] = value;
      any = true;
    }
  }
  return any ? out : undefined;
}

function date(value: string | null): Date | undefined {
  return value === null ? undefined : new Date(Number(value));
}

function number(value: string | null): number | undefined {
  return value === null ? undefined : Number(value);
}

// The value of a put in the form `as` names.
async function value(request: Request, as: string | null): Promise<unknown> {
  switch (as) {
    case 'text':
      return await request.text();
    case 'buffer':
      return await request.arrayBuffer();
    case 'view':
      return new Uint8Array(await request.arrayBuffer()).subarray(0);
    case 'blob':
      return new Blob([await request.arrayBuffer()]);
    case 'null':
      return null;
    case 'number':
      return 42;
    case 'generated': {
      // A stream of `n` pieces of `size` bytes, made here (not a request body).
      const url = new URL(request.url);
      const n = Number(url.searchParams.get('n') ?? '4');
      const size = Number(url.searchParams.get('size') ?? '1000');
      let i = 0;
      return new ReadableStream({
        pull(controller) {
          if (i === n) {
            controller.close();
            return;
          }
          controller.enqueue(new Uint8Array(size).fill(i % 256));
          i++;
        },
      });
    }
    default:
      return request.body;
  }
}

async function route(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  const q = url.searchParams;
  const [, op, ...rest] = url.pathname.split('/');
  const key = decodeURIComponent(rest.join('/'));
  const bucket = q.get('bucket') === 'eu' ? env.EU : env.BUCKET;

  switch (op) {
    case 'put': {
      // The request's headers as httpMetadata and onlyIf (the Headers
      // forms) unless the query gives them as objects.
      const options: Record<string, unknown> = {};
      if (q.get('http') === 'object') {
        options.httpMetadata = {
          contentType: q.get('contentType') ?? undefined,
          contentLanguage: q.get('contentLanguage') ?? undefined,
          contentDisposition: q.get('contentDisposition') ?? undefined,
          contentEncoding: q.get('contentEncoding') ?? undefined,
          cacheControl: q.get('cacheControl') ?? undefined,
          cacheExpiry: date(q.get('cacheExpiry')),
        };
      } else {
        options.httpMetadata = request.headers;
      }
      const custom = customMetadata(request.headers);
      if (custom !== undefined) options.customMetadata = custom;
      if (q.has('etagMatches') || q.has('etagDoesNotMatch') || q.has('uploadedBefore') || q.has('uploadedAfter')) {
        options.onlyIf = {
          etagMatches: q.get('etagMatches') ?? undefined,
          etagDoesNotMatch: q.get('etagDoesNotMatch') ?? undefined,
          uploadedBefore: date(q.get('uploadedBefore')),
          uploadedAfter: date(q.get('uploadedAfter')),
        };
      } else if (request.headers.has('if-match') || request.headers.has('if-none-match')) {
        options.onlyIf = request.headers;
      }
      for (const alg of ['md5', 'sha1', 'sha256', 'sha384', 'sha512']) {
        const hex = q.get(alg);
        if (hex === null) continue;
        if (q.get('checksumAs') === 'buffer') {
          const bytes = new Uint8Array(hex.length / 2);
          for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
          options[alg] = bytes.buffer;
        } else {
          options[alg] = hex;
        }
      }
      if (q.has('storageClass')) options.storageClass = q.get('storageClass');
      const stored = await bucket.put(key, await value(request, q.get('as')), options);
      return json(describe(stored), stored === null ? 412 : 200);
    }

    case 'get': {
      // Headers forms unless the query gives the options as objects.
      const options: Record<string, unknown> = {};
      if (q.has('offset') || q.has('length') || q.has('suffix')) {
        options.range = { offset: number(q.get('offset')), length: number(q.get('length')), suffix: number(q.get('suffix')) };
      } else if (request.headers.has('range')) {
        options.range = request.headers;
      }
      if (q.has('etagMatches') || q.has('etagDoesNotMatch') || q.has('uploadedBefore') || q.has('uploadedAfter')) {
        options.onlyIf = {
          etagMatches: q.get('etagMatches') ?? undefined,
          etagDoesNotMatch: q.get('etagDoesNotMatch') ?? undefined,
          uploadedBefore: date(q.get('uploadedBefore')),
          uploadedAfter: date(q.get('uploadedAfter')),
        };
      } else if (['if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since'].some(h => request.headers.has(h))) {
        options.onlyIf = request.headers;
      }
      const object = await bucket.get(key, options);
      if (object === null) return new Response('not found', { status: 404 });
      const headers = new Headers();
      object.writeHttpMetadata(headers);
      headers.set('etag', object.httpEtag);
      headers.set('x-object', JSON.stringify(describe(object)));
      if (!('body' in object)) return new Response(null, { status: 412, headers });
      const body = object as R2ObjectBody;
      const read = q.get('read');
      if (read === 'text') return new Response(await body.text(), { headers });
      if (read === 'json') return json({ parsed: await body.json(), used: body.bodyUsed });
      if (read === 'arrayBuffer') return new Response(await body.arrayBuffer(), { headers });
      if (read === 'blob') {
        const blob = await body.blob();
        headers.set('x-blob-type', blob.type);
        return new Response(blob, { headers });
      }
      if (read === 'twice') {
        const first = await body.text();
        try {
          await body.text();
          return new Response('read twice', { status: 500 });
        } catch (e) {
          return json({ first, error: (e as Error).message, name: (e as Error).name, used: body.bodyUsed });
        }
      }
      if (read === 'stream') {
        // Read the stream here, piece by piece, and answer with the count.
        const reader = body.body.getReader();
        let bytes = 0;
        let pieces = 0;
        for (;;) {
          const { done, value: piece } = await reader.read();
          if (done) break;
          bytes += piece.byteLength;
          pieces++;
        }
        return json({ bytes, pieces, used: body.bodyUsed });
      }
      if (read === 'cancel') {
        const reader = body.body.getReader();
        const { value: piece } = await reader.read();
        await reader.cancel();
        return json({ first: piece.byteLength });
      }
      return new Response(body.body, { headers });
    }

    case 'head': {
      return json(describe(await bucket.head(key)));
    }

    case 'delete': {
      const keys = request.method === 'POST' ? ((await request.json()) as string[]) : key;
      return json({ deleted: await bucket.delete(keys) ?? null });
    }

    case 'list': {
      const options: Record<string, unknown> = {};
      for (const name of ['prefix', 'cursor', 'delimiter', 'startAfter']) {
        if (q.has(name)) options[name] = q.get(name);
      }
      if (q.has('limit')) options.limit = Number(q.get('limit'));
      if (q.has('include')) options.include = q.get('include')!.split(',').filter(s => s !== '');
      const listed = await bucket.list(options);
      return json({
        ...listed,
        objects: listed.objects.map(o => ({
          key: o.key,
          size: o.size,
          etag: o.etag,
          httpMetadata: o.httpMetadata ?? null,
          customMetadata: o.customMetadata ?? null,
        })),
        hasCursor: 'cursor' in listed,
      });
    }

    case 'mpu': {
      const action = q.get('action');
      if (action === 'create') {
        const upload = await bucket.createMultipartUpload(key, {
          httpMetadata: request.headers,
          customMetadata: customMetadata(request.headers),
          storageClass: q.get('storageClass') ?? undefined,
        });
        return json({ key: upload.key, uploadId: upload.uploadId });
      }
      const upload = bucket.resumeMultipartUpload(key, q.get('uploadId') ?? '');
      if (action === 'part') {
        const part = await upload.uploadPart(Number(q.get('partNumber')), await value(request, q.get('as')));
        return json(part);
      }
      if (action === 'complete') {
        return json(describe(await upload.complete(await request.json())));
      }
      if (action === 'abort') {
        await upload.abort();
        return json({ aborted: true });
      }
      return new Response('unknown action', { status: 400 });
    }

    case 'misuse': {
      // Calls R2 rejects before anything reaches the bucket: the error of each.
      const cases: Record<string, () => Promise<unknown> | unknown> = {
        quotedEtag: () => bucket.get(key, { onlyIf: { etagMatches: '"abc"' } }),
        twoHashes: () => bucket.put(key, 'x', { md5: '0'.repeat(32), sha1: '0'.repeat(40) }),
        shortMd5: () => bucket.put(key, 'x', { md5: 'abc' }),
        badHexSha1: () => bucket.put(key, 'x', { sha1: 'z'.repeat(40) }),
        shortSha256Buffer: () => bucket.put(key, 'x', { sha256: new ArrayBuffer(5) }),
        negativeOffset: () => bucket.get(key, { range: { offset: -1 } }),
        fractionalLength: () => bucket.get(key, { range: { offset: 0, length: 1.5 } }),
        suffixAndOffset: () => bucket.get(key, { range: { offset: 1, suffix: 2 } }),
        badInclude: () => bucket.list({ include: ['everything'] }),
        partZero: () => bucket.resumeMultipartUpload(key, 'id').uploadPart(0, 'x'),
        partTooHigh: () => bucket.resumeMultipartUpload(key, 'id').uploadPart(10001, 'x'),
        badValue: () => bucket.put(key, 42),
        badIfMatchHeader: () => bucket.get(key, { onlyIf: new Headers({ 'if-match': 'unquoted' }) }),
        noArguments: () => (bucket.put as unknown as () => Promise<unknown>)(),
        listedWithoutHttp: async () => {
          const listed = await bucket.list({ prefix: key, include: ['customMetadata'] });
          listed.objects[0].writeHttpMetadata(new Headers());
        },
        illegalConstructor: () => {
          const Ctor = (bucket as unknown as { constructor: new () => unknown }).constructor;
          return new Ctor();
        },
      };
      const name = q.get('case') ?? '';
      try {
        await cases[name]();
        return json({ threw: false });
      } catch (e) {
        return json({ threw: true, name: (e as Error).name, message: (e as Error).message });
      }
    }

    case 'ops': {
      // `n` operations in one invocation (heads of `key`), then, if asked,
      // the request's body stored under `${key}-copy` (written in pieces)
      // and the object read as a stream: neither's pieces are counted.
      const n = Number(q.get('n') ?? '0');
      try {
        for (let i = 0; i < n; i++) await bucket.head(key);
        if (q.get('write') === 'stream') await bucket.put(`${key}-copy`, request.body);
        let bytes = 0;
        if (q.get('read') === 'stream') {
          const object = (await bucket.get(key)) as R2ObjectBody;
          const reader = object.body.getReader();
          for (;;) {
            const { done, value: piece } = await reader.read();
            if (done) break;
            bytes += piece.byteLength;
          }
        }
        return json({ ok: true, bytes });
      } catch (e) {
        return json({ ok: false, message: (e as Error).message });
      }
    }

    case 'loop': {
      // For the durability test: object `key` holds `n` bytes of `fill`.
      const n = Number(q.get('n') ?? '1024');
      const fill = Number(q.get('fill') ?? '0');
      const stored = await bucket.put(key, new Uint8Array(n).fill(fill));
      return json({ etag: stored!.etag });
    }

    case 'types': {
      const found = await bucket.get(key);
      return json({
        bucket: Object.prototype.toString.call(bucket),
        object: found === null ? null : Object.prototype.toString.call(found),
        body: found !== null && 'body' in found ? Object.prototype.toString.call((found as R2ObjectBody).body) : null,
        globals: ['R2Bucket', 'R2Object', 'R2ObjectBody'].map(n => typeof (globalThis as Record<string, unknown>)[n]),
      });
    }
  }
  return new Response('no such route', { status: 404 });
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      return await route(request, env);
    } catch (e) {
      return json({ name: (e as Error).name, message: (e as Error).message }, 400);
    }
  },
};
