// Benchmark workload "cpu": a deterministic integer hash loop (xorshift and
// multiply over 32-bit integers) of fixed length, about 1-2 ms of JIT-compiled
// code; an interpreter takes longer. Answers the final hash so the loop
// cannot be elided. Used by `motu bench` and benches/compare/run.sh alike.
const ROUNDS = 400000;

export default {
  fetch() {
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < ROUNDS; i++) {
      h ^= i;
      h = Math.imul(h, 0x01000193);
      h ^= h >>> 13;
    }
    return new Response(String(h >>> 0));
  },
};
