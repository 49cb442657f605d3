// A form's typed values kept in this browser's localStorage, so a lost signal or a lost session
// loses nothing. One mechanism for every form that keeps a copy (lone working here; the notes'
// offline drafts can use the same functions: see fieldsOf, fill and draftStore).
//
// - Only what the form holds is kept (never hidden fields: tokens, keys, due times), under
//   "<prefix><staff id>:<form key>", with the time it changed.
// - The page that sent the copy removes it once the server has the form.

// Hidden fields, passwords/PINs and buttons are never copied; ``skip`` names more fields to leave out.
export function fieldsOf(form, skip = new Set()) {
  const data = {};
  for (const el of form.elements) {
    const name = el.name;
    if (!name || skip.has(name) || ["submit", "button", "hidden", "file", "password"].includes(el.type)) {
      continue;
    }
    if (el.type === "radio") {
      if (!(name in data)) data[name] = "";
      if (el.checked) data[name] = el.value;
    } else if (el.type === "checkbox") {
      if (!(name in data)) data[name] = [];
      if (el.checked) data[name].push(el.value);
    } else {
      data[name] = el.value;
    }
  }
  return data;
}

// Put ``data`` (from fieldsOf) back into the form, and let the page react as if typed.
export function fill(form, data, skip = new Set()) {
  for (const el of form.elements) {
    const name = el.name;
    if (!name || !(name in data) || skip.has(name)) continue;
    if (["submit", "button", "hidden", "file", "password"].includes(el.type)) continue;
    const value = data[name];
    if (el.type === "radio") {
      el.checked = el.value === value;
      if (el.checked) el.dispatchEvent(new Event("change", { bubbles: true }));
    } else if (el.type === "checkbox") {
      el.checked = Array.isArray(value) && value.includes(el.value);
    } else if (typeof value === "string") {
      el.value = value;
      // Lets the NHS character count recount the restored text.
      el.dispatchEvent(new Event("input", { bubbles: false }));
    }
  }
}

export function sameFields(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

// localStorage under one prefix; null where storage is switched off (private mode).
export function draftStore(prefix) {
  let storage;
  try {
    storage = window.localStorage;
    storage.getItem(prefix);
  } catch {
    return null;
  }
  const read = (name) => {
    try {
      return JSON.parse(storage.getItem(name));
    } catch {
      return null;
    }
  };
  const names = () => {
    const found = [];
    for (let i = 0; i < storage.length; i += 1) {
      const name = storage.key(i);
      if (name?.startsWith(prefix)) found.push(name);
    }
    return found;
  };
  return {
    name: (user, key) => `${prefix}${user}:${key}`,
    read,
    write(name, value) {
      try {
        storage.setItem(name, JSON.stringify({ ...value, changed: Date.now() }));
      } catch {
        // Storage full or refused: nothing more we can do here.
      }
    },
    remove(name) {
      storage.removeItem(name);
    },
    // Every copy under the prefix, as [name, entry] pairs.
    entries: () => names().map((name) => [name, read(name)]),
    // Remove every copy whose name starts with ``start`` (one person's, at logout).
    removeStartingWith(start) {
      for (const name of names()) if (name.startsWith(start)) storage.removeItem(name);
    },
    // Drop every copy older than ``maxAgeMs``: typed text stays no longer than needed.
    dropOlderThan(maxAgeMs) {
      const now = Date.now();
      for (const name of names()) {
        const entry = read(name);
        if (!entry || typeof entry.changed !== "number" || now - entry.changed > maxAgeMs) {
          storage.removeItem(name);
        }
      }
    },
  };
}

// --- Requests queued without signal ----------------------------------------------------------
// An entry {queued: true, url, fields} in a draftStore is a POST waiting for the signal (a lone
// worker's "I'm back"). What must not rest in storage (a PIN) is held in this page's memory only
// (``secret``): after a reload the page asks for it again. The server treats a repeat as a no-op,
// so a request that may have arrived is safe to send again.
const secrets = new Map();
const sending = new Set();

export function queueRequest(store, name, url, fields, secret = {}) {
  store.write(name, { queued: true, url, fields, needsSecret: Object.keys(secret).length > 0 });
  secrets.set(name, secret);
}

export function queuedRequests(store) {
  return store ? store.entries().filter(([, entry]) => entry?.queued) : [];
}

// Whether this page can send the entry as it stands (it holds the secret, or none is needed).
export function sendable(name, entry) {
  return !entry.needsSecret || secrets.has(name);
}

// Send each sendable queued request once; ``done(name, entry, response)`` hears every answer and
// decides whether the entry goes. One that still finds no signal stays queued.
export async function sendQueued(store, token, done, mine = "") {
  if (!store || navigator.onLine === false) return;
  for (const [name, entry] of queuedRequests(store)) {
    if (!name.startsWith(mine) || sending.has(name) || !sendable(name, entry)) continue;
    sending.add(name);
    const body = new URLSearchParams({ ...entry.fields, ...(secrets.get(name) ?? {}) });
    try {
      const response = await fetch(entry.url, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token, "HX-Request": "true" },
      });
      done(name, entry, response);
    } catch {
      // Still no signal: kept for the next try.
    } finally {
      sending.delete(name);
    }
  }
}

export function forget(store, name) {
  secrets.delete(name);
  store?.remove(name);
}
