// The hello of async_context.js inside AsyncLocalStorage's run(), reading
// the store after the awaits, for benches/async_context.rs.
import { AsyncLocalStorage } from 'node:async_hooks';

const als = new AsyncLocalStorage();
const tick = () => Promise.resolve();

export default {
  fetch(request) {
    return als.run(request.url, async () => {
      await tick();
      await tick();
      if (als.getStore() !== request.url) return new Response('the store was lost', { status: 500 });
      return new Response('hello');
    });
  },
};
