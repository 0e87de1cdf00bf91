// The smallest Worker: `motu serve examples/hello/worker.js`.
export default {
  async fetch(request, env, ctx) {
    return new Response('Hello World!');
  },
};
