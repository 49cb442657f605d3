// Waypoint's service worker: small and ours. VERSION and KEEP (the offline page and the static
// files it needs, at their versioned URLs) are written above this line by the server
// (app/core/routes.py::service_worker).
//
// - Pages are network-only. With no network at all, a page load shows the kept offline page
//   instead of the browser's error. No page is ever stored: notes, clients, boards and My outing
//   are fetched fresh every time, and nothing htmx fetches or posts is touched.
// - Static files on the KEEP list at a versioned URL (?v=) come from the cache; one at a plain
//   path (a module another imports) is fetched fresh, the kept copy used only without signal.
//   Everything else goes to the network untouched.
/* global VERSION, KEEP */
const CACHE = `waypoint-${VERSION}`;
const OFFLINE = KEEP[0];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      // No cookies: the kept offline page is the same for everyone.
      .then((cache) => cache.addAll(KEEP.map((url) => new Request(url, { credentials: "omit" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names.filter((n) => n.startsWith("waypoint-") && n !== CACHE).map((n) => caches.delete(n)),
        ),
      )
      // The page's request starts while this worker wakes up: no delay added to a page load.
      .then(() => self.registration.navigationPreload?.enable())
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(
      (async () => {
        try {
          return (await event.preloadResponse) || (await fetch(request));
        } catch {
          const page = await caches.match(OFFLINE, { ignoreSearch: true, ignoreVary: true });
          return page || Response.error();
        }
      })(),
    );
    return;
  }
  if (request.method !== "GET" || !KEEP.includes(url.pathname + url.search)) return;
  const kept = () => caches.match(request, { ignoreVary: true });
  if (url.searchParams.has("v")) {
    event.respondWith(kept().then((hit) => hit || fetch(request)));
  } else {
    event.respondWith(fetch(request).catch(() => kept()));
  }
});
