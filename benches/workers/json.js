// Benchmark workload "json": builds an object of 50 fields (strings,
// numbers, booleans, one nested array) and answers it as JSON. Used by
// `motu bench` and benches/compare/run.sh alike.
export default {
  fetch(request) {
    const out = {};
    const seed = request.url.length;
    for (let i = 0; i < 50; i++) {
      switch (i % 5) {
        case 0:
          out["name" + i] = "value number " + i;
          break;
        case 1:
          out["count" + i] = i * 7919 + seed;
          break;
        case 2:
          out["ratio" + i] = (i + seed) / 7;
          break;
        case 3:
          out["flag" + i] = i % 2 === 0;
          break;
        default:
          out["list" + i] = [i, i + 1, i + 2];
      }
    }
    return new Response(JSON.stringify(out), {
      headers: { "content-type": "application/json" },
    });
  },
};
