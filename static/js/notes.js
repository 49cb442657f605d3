// Activity notes that survive a lost signal. Loaded as a module on note pages (app.js asks about
// unsent notes at logout on every page, through static/js/logout.js).
//
// - Every change to the note form is copied into this browser's localStorage, under a key made
//   of the person's id and the note's idempotency key, marked "pending" until the server has it.
// - htmx saves the draft to the server (the #note-autosave element) 2 s after typing pauses, and
//   this file asks it to save at least every 10 s while typing goes on; when a save succeeds and
//   nothing changed meanwhile, the copy is deleted (only unsent text is kept on the phone).
// - On a page load, a pending copy that differs from what the server sent is put back into the
//   form, the OT is told, and it is sent to the server.
// - The copy is removed once the note is signed (the signed note's page says so) or the draft is
//   deleted, and any copy older than a week is dropped: clinical text stays no longer than needed.
// Everything works without this file; it only makes a lost signal lose nothing.

import { draftStore, fieldsOf as formFields, fill as fillForm, sameFields } from "./drafts.js";

const PREFIX = "waypoint:note:";
const MAX_AGE_MS = 7 * 24 * 3600 * 1000;
// A fresh "Write a note" form takes over an unsent note for the same client this recent.
const ADOPT_WITHIN_MS = 12 * 3600 * 1000;
// While typing goes on without a pause, save at least this often.
const SAVE_AT_LEAST_EVERY_MS = 10 * 1000;
const NOT_COPIED = new Set(["csrf_token", "idempotency_key", "client_id", "outing_id", "action"]);

// The one mechanism for typed values kept on this phone (static/js/drafts.js), shared with the
// lone-working forms.
const store = draftStore(PREFIX); // null in private mode: the server autosave still works

function entryName(user, key) {
  return `${PREFIX}${user}:${key}`;
}

const read = (name) => store.read(name);
const write = (name, value) => store.write(name, value);
const entries = () => store.entries();
const dropOld = () => store.dropOlderThan(MAX_AGE_MS);

// --- the form ------------------------------------------------------------------------------

function noteForm() {
  return document.querySelector("[data-note-form]")?.closest("form") ?? null;
}

function rootOf(form) {
  return form.querySelector("[data-note-form]");
}

function nameFor(form) {
  return entryName(rootOf(form).dataset.noteUser, form.elements.idempotency_key.value);
}

const fieldsOf = (form) => formFields(form, NOT_COPIED);
const fill = (form, data) => fillForm(form, data, NOT_COPIED);
const same = sameFields;

function remember(form) {
  const root = rootOf(form);
  write(nameFor(form), {
    key: form.elements.idempotency_key.value,
    client: root.dataset.noteClient,
    fields: fieldsOf(form),
    pending: true,
    changed: Date.now(),
  });
}

// --- MOHOST section totals, live -----------------------------------------------------------

function updateTotals(scope) {
  for (const section of scope.querySelectorAll("[data-mohost-section]")) {
    const names = new Set(
      [...section.querySelectorAll("input[type=radio]")].map((input) => input.name),
    );
    let total = 0;
    let rated = 0;
    for (const name of names) {
      const checked = section.querySelector(`input[name="${name}"]:checked`);
      const score = Number(checked?.dataset.score || 0);
      if (score) {
        total += score;
        rated += 1;
      }
    }
    const items = names.size;
    let text = "Not rated";
    if (rated === items) text = `${total} of ${items * 4}`;
    else if (rated) text = `${total} (${rated} of ${items} items rated)`;
    const out = section.querySelector("[data-mohost-total] span");
    if (out) out.textContent = text;
  }
}

// --- autosave status -----------------------------------------------------------------------

function autosaveElement() {
  return document.getElementById("note-autosave");
}

function announce(text) {
  const live = document.getElementById("note-autosave-problem");
  if (live && live.textContent !== text) live.textContent = text;
}

function say(text, state) {
  const element = autosaveElement();
  if (!element) return;
  const span = document.createElement("span");
  span.className = "app-autosave__text";
  span.dataset.state = state;
  span.textContent = text;
  element.replaceChildren(span);
  announce(text);
}

let lastSaveAsked = Date.now();

function saveNow() {
  lastSaveAsked = Date.now();
  autosaveElement()?.dispatchEvent(new Event("waypoint:autosave"));
}

function saveIfDue() {
  if (Date.now() - lastSaveAsked >= SAVE_AT_LEAST_EVERY_MS && navigator.onLine) saveNow();
}

const OFFLINE_TEXT = "No signal. Kept on this phone; saved when the signal is back.";

// --- restoring on a page load --------------------------------------------------------------

function adoptable(user, client) {
  // A new note's form has a new key, so look for this person's unsent note for the same client.
  const now = Date.now();
  let best = null;
  for (const [name, entry] of entries()) {
    if (!name.startsWith(`${PREFIX}${user}:`) || !entry?.pending) continue;
    if (entry.client !== client || now - entry.changed > ADOPT_WITHIN_MS) continue;
    if (!best || entry.changed > best.changed) best = entry;
  }
  return best;
}

// The server gave this form a new key because its old one belongs to a note signed meanwhile
// (issue 13 item 12): move the unsent copy to the new key, so it is neither adopted back onto
// the signed note nor dropped when that note's page is opened.
function rekey(form) {
  const old = rootOf(form)?.dataset.noteReplaces;
  if (!old) return;
  const from = entryName(rootOf(form).dataset.noteUser, old);
  const entry = read(from);
  const key = form.elements.idempotency_key.value;
  if (entry) write(nameFor(form), { ...entry, key, pending: true, changed: Date.now() });
  else remember(form);
  store.remove(from);
}

function restore(form) {
  const root = rootOf(form);
  rekey(form);
  let entry = read(nameFor(form));
  if (!entry && root.dataset.noteRevision === "0") {
    entry = adoptable(root.dataset.noteUser, root.dataset.noteClient);
    // Keep the unsent note's key, so it lands on the same draft and never on a second one.
    if (entry) form.elements.idempotency_key.value = entry.key;
  }
  if (!entry || !entry.pending || same(entry.fields, fieldsOf(form))) return;
  fill(form, entry.fields);
  updateTotals(form);
  const mohost = form.querySelector("#mohost");
  if (mohost && form.querySelector(".app-segmented .nhsuk-radios__input:checked:not([value=''])")) {
    mohost.open = true;
  }
  const notice = document.getElementById("note-restored");
  if (notice) {
    notice.hidden = false;
    // The browser would put the old scroll position back after this and hide the notice.
    if ("scrollRestoration" in history) history.scrollRestoration = "manual";
    notice.focus();
    notice.scrollIntoView({ block: "start" });
  }
  if (navigator.onLine) saveNow();
  else say(OFFLINE_TEXT, "offline");
}

// --- wiring --------------------------------------------------------------------------------

function isAutosave(event) {
  const elt = event.detail?.requestConfig?.elt ?? event.detail?.elt;
  return elt?.id === "note-autosave";
}

function isNoteSubmit(event) {
  const elt = event.detail?.requestConfig?.elt ?? event.detail?.elt;
  return elt?.tagName === "FORM" && Boolean(elt.querySelector("[data-note-form]"));
}

const sentFields = new WeakMap();
// The Save draft or Sign note button last pressed, so "Try again" repeats the same action.
let lastSubmitter = null;

function serverFailed() {
  const box = document.getElementById("note-server-error");
  if (!box) return;
  const title = box.querySelector("#note-server-error-title");
  const signing = !lastSubmitter || lastSubmitter.value === "sign";
  title.textContent = signing ? title.dataset.signing : title.dataset.saving;
  const form = noteForm();
  if (form) remember(form); // the copy on this phone is the fallback if the server stays down
  box.hidden = false;
  box.focus();
  box.scrollIntoView({ block: "start" });
}

function start() {
  const signed = document.querySelector("[data-note-signed]");
  if (signed) store.remove(entryName(signed.dataset.noteUser, signed.dataset.noteKey));
  dropOld();

  const form = noteForm();
  if (form) restore(form);

  document.addEventListener("input", (event) => {
    const target = event.target.closest?.("form");
    if (!target || !rootOf(target)) return;
    remember(target);
    saveIfDue();
  });
  document.addEventListener("change", (event) => {
    const target = event.target.closest?.("form");
    if (!target || !rootOf(target)) return;
    remember(target);
    if (event.target.closest(".app-segmented")) updateTotals(target);
  });
  // Before app.js's logout check looks at the copies, make the one on screen the latest.
  document.addEventListener(
    "submit",
    (event) => {
      const logout = event.target.closest?.("form[data-logout]");
      const current = noteForm();
      if (logout && current && rootOf(current).dataset.noteUser === logout.dataset.noteUser) {
        if (read(nameFor(current))?.pending) remember(current);
      }
    },
    { capture: true },
  );
  document.addEventListener("submit", (event) => {
    if (event.target.id === "discard-form") {
      const current = noteForm();
      if (current) store.remove(nameFor(current));
    }
  });

  let submitting = false;
  document.body.addEventListener("htmx:configRequest", (event) => {
    const current = noteForm();
    if (!current) return;
    if (isAutosave(event)) {
      // A "Save draft" or "Sign note" on its way carries everything: no autosave to race it.
      if (submitting) {
        event.preventDefault();
        return;
      }
      lastSaveAsked = Date.now();
      sentFields.set(autosaveElement(), fieldsOf(current));
    }
    if (isNoteSubmit(event)) {
      submitting = true;
      document.getElementById("note-send-failed")?.setAttribute("hidden", "");
      document.getElementById("note-server-error")?.setAttribute("hidden", "");
    }
  });
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    // A server error must not replace the form: keep the page as it is, and say so.
    if (isAutosave(event) && event.detail.xhr.status >= 500) {
      event.detail.shouldSwap = false;
      say("Not saved to the server yet. Kept on this phone.", "failed");
    }
    if (isNoteSubmit(event) && event.detail.xhr.status >= 500) {
      event.detail.shouldSwap = false;
      event.detail.isError = false; // handled here: the form and its text stay on screen
      serverFailed();
    }
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest?.("button[name=action]");
    if (button?.form && rootOf(button.form)) lastSubmitter = button;
    if (event.target.closest?.("#note-retry")) {
      const form = noteForm();
      document.getElementById("note-server-error")?.setAttribute("hidden", "");
      // A real click, so htmx sends the button's action=sign|draft as it did the first time.
      if (lastSubmitter?.form === form && lastSubmitter.isConnected) lastSubmitter.click();
      else form?.requestSubmit();
    }
  });
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const swapped = noteForm();
    if (swapped && isNoteSubmit(event)) {
      rekey(swapped);
      // What is on screen is what counts now: keep it as this form's copy.
      remember(swapped);
    }
    // The server's own answer: say a refusal (over a limit, signed elsewhere) out loud once.
    if (!isAutosave(event)) return;
    const answer = autosaveElement()?.querySelector(".app-autosave__text");
    if (answer?.dataset.state === "failed") announce(answer.textContent);
    else announce("");
  });
  document.body.addEventListener("htmx:afterRequest", (event) => {
    if (isNoteSubmit(event)) {
      // Saved or signed: the browser is on its way to the note, and an autosave whose delay ran
      // out meanwhile would only be refused (the note is signed). Stay "submitting" till we go.
      // (htmx leaves ``successful`` unset on a redirect: the header is what tells.)
      submitting = Boolean(event.detail.xhr?.getResponseHeader("HX-Redirect"));
    }
    const current = noteForm();
    if (!current) return;
    if (isAutosave(event) && event.detail.successful) {
      const sent = sentFields.get(autosaveElement());
      const name = nameFor(current);
      const entry = read(name);
      if (entry && sent && same(sent, fieldsOf(current))) {
        // The server has it all: no clinical text stays on the phone that it does not need.
        store.remove(name);
      }
    }
  });
  // No answer at all: no signal (sendError) or it took too long (timeout).
  for (const failure of ["htmx:sendError", "htmx:timeout"]) {
    document.body.addEventListener(failure, (event) => {
      if (isAutosave(event)) say(OFFLINE_TEXT, "offline");
      if (isNoteSubmit(event)) {
        const warning = document.getElementById("note-send-failed");
        if (warning) {
          warning.hidden = false;
          warning.focus();
        }
      }
    });
  }
  window.addEventListener("offline", () => {
    if (noteForm()) say(OFFLINE_TEXT, "offline");
  });
  window.addEventListener("online", () => {
    if (noteForm()) saveNow();
  });
}

// --- character counts that count as the server does ----------------------------------------

// The server counts code points (Python's len); NHS's counter counts UTF-16 units, so with
// emoji it said 3 193 where the server said 3 000. Note fields are rendered with
// data-module="app-character-count" (the own_counter filter), which NHS's initAll leaves alone,
// and started here with a code-point count.
const nhsukUrl = document.querySelector('meta[name="waypoint-nhsuk-js"]')?.content;
const countCodePoints = (text) => [...text].length;

function startCounters(scope) {
  const roots = [...(scope?.querySelectorAll?.('[data-module="app-character-count"]') ?? [])];
  const fresh = roots.filter((root) => !root.dataset.appCounted);
  if (!nhsukUrl || !fresh.length) return;
  for (const root of fresh) root.dataset.appCounted = "true";
  import(nhsukUrl).then(({ CharacterCount }) => {
    for (const root of fresh) new CharacterCount(root, { countFunction: countCodePoints });
  });
}

function startCountersOnce() {
  startCounters(document);
  document.body.addEventListener("htmx:afterSettle", (event) => startCounters(event.detail.elt));
}
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", startCountersOnce, { once: true });
} else startCountersOnce();

// htmx (a deferred script, so its listener is first) sets itself up on DOMContentLoaded. Start
// after it, so that a restored draft can be sent through the autosave element straight away.
// Module scripts run before DOMContentLoaded; "load" is only a fallback.
let started = false;
function startOnce() {
  if (started || !store) return;
  started = true;
  start();
}
if (document.readyState === "complete") startOnce();
else {
  document.addEventListener("DOMContentLoaded", startOnce);
  window.addEventListener("load", startOnce);
}

// --- the task cue section: shown for cooking and shopping --------------------------------

// Without JavaScript the section is always there. Here it hides for other activity types while
// nothing in it is filled in (never hiding something typed), and shows again on a type change.
const CUE_TYPES = ["cooking", "shopping"];

function syncCueSection(scope) {
  const section = (scope ?? document).querySelector?.("[data-cue-section]");
  if (!section) return;
  const form = section.closest("form");
  const type = form?.querySelector('input[name="activity_type"]:checked')?.value ?? "";
  const filled = [...section.querySelectorAll("input, textarea")].some((input) =>
    input.type === "radio" ? input.checked && input.value !== "" : input.value.trim() !== "",
  );
  section.hidden = !CUE_TYPES.includes(type) && !filled;
}

function startCueSection() {
  syncCueSection(document);
  document.body.addEventListener("change", (event) => {
    if (event.target?.name === "activity_type") syncCueSection(document);
  });
  document.body.addEventListener("htmx:afterSettle", () => syncCueSection(document));
}
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", startCueSection, { once: true });
} else startCueSection();
