// Hello after two awaits (promise jobs run for each request), for
// benches/async_context.rs; it never touches AsyncLocalStorage.
const tick = () => Promise.resolve();

export default {
  async fetch() {
    await tick();
    await tick();
    return new Response('hello');
  },
};
