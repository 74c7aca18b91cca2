/* Gatehouse gate screen service worker: keeps the gate page and its code available with no network.
 * It caches code and the page only; checks and the offline bundle live in the page's IndexedDB.
 * API calls are never intercepted: the page itself decides what to do when they fail. */
// Named after the release's static files (gate.views.static_version): new code, new worker, new cache.
const CACHE = "gatehouse-gate-{{ version }}";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(
  caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith("gatehouse-gate-") && n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim())
));

self.addEventListener("message", (event) => {
  const urls = (event.data && event.data.cache) || [];
  const same = urls.filter((u) => new URL(u).origin === self.location.origin);
  const reply = () => event.source && event.source.postMessage({ cached: same.length });
  event.waitUntil(
    caches.open(CACHE).then((cache) => Promise.all(same.map((u) => cache.add(u).catch(() => null)))).then(reply)
  );
});

function remember(request, response) {
  if (response && response.ok && response.type === "basic") {
    const copy = response.clone();
    caches.open(CACHE).then((cache) => cache.put(request, copy));
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") {
    // Network first, so a signed-out or changed page is never served stale while online.
    event.respondWith(fetch(request).then((r) => remember(request, r)).catch(() => caches.match(request, { ignoreSearch: true, ignoreVary: true })));
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request, { ignoreVary: true }).then((hit) => hit || fetch(request).then((r) => remember(request, r))));
  }
});
