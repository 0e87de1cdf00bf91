// Benchmark workload "hello": the smallest response, to measure the cost of
// a request itself. Used by `motu bench` and benches/compare/run.sh alike.
export default {
  fetch() {
    return new Response("Hello World!");
  },
};
