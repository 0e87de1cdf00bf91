// A service-worker script: bindings such as SITE_NAME are globals.
addEventListener('fetch', event => {
  event.respondWith(new Response(`Welcome to ${SITE_NAME}`));
});
