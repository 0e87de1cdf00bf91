// Benchmark workload "echo": answers the request body (64 KiB in the
// benchmark) as it came, after reading it whole. Used by `motu bench` and
// benches/compare/run.sh alike.
export default {
  async fetch(request) {
    const body = await request.arrayBuffer();
    return new Response(body, {
      headers: { "content-type": "application/octet-stream" },
    });
  },
};
