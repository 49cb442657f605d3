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

// --- Taps kept while there is no signal ---------------------------------------------------------
// A form marked data-offline-queue="<id>" (a shopping-list tick) that could not reach the server
// is kept here (the newest tap per form only; the form's own fields, which carry the tap's time
// in "seq", so a late tap never undoes a newer one on the server) and sent when the signal is
// back. The page's CSRF token goes with it, never the stored one.
const QUEUE_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export function offlineQueue(user, token) {
  const store = draftStore("waypoint:queue:");
  if (!store || !user) return null;
  store.dropOlderThan(QUEUE_MAX_AGE_MS);
  const mine = store.name(user, "");
  const formFor = (id) => document.querySelector(`form[data-offline-queue="${CSS.escape(id)}"]`);
  let sending = false;

  async function flush(onSent) {
    if (sending || navigator.onLine === false) return;
    sending = true;
    try {
      for (const [name, entry] of store.entries()) {
        if (!name.startsWith(mine) || !entry?.url) continue;
        let response;
        try {
          response = await fetch(entry.url, {
            method: "POST",
            headers: { "X-CSRFToken": token(), "HX-Request": "true" },
            body: new URLSearchParams(entry.fields),
            credentials: "same-origin",
          });
        } catch {
          break; // still no signal: try again at the next chance
        }
        if (response.headers.get("HX-Redirect") || response.status >= 500) break; // logged out
        store.remove(name); // taken, or refused for good (the item is no longer on the list)
        onSent?.(formFor(name.slice(mine.length)), entry, response);
      }
    } finally {
      sending = false;
    }
  }

  return {
    keep(form) {
      const fields = Object.fromEntries(new FormData(form));
      delete fields.csrf_token;
      store.write(store.name(user, form.dataset.offlineQueue), { url: form.action, fields });
    },
    // The taps still waiting, as [form on this page or null, fields].
    waiting: () =>
      store
        .entries()
        .filter(([name, entry]) => name.startsWith(mine) && entry?.url)
        .map(([name, entry]) => [formFor(name.slice(mine.length)), entry.fields]),
    flush,
  };
}
