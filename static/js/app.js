import { draftStore, fieldsOf, fill, sameFields } from "./drafts.js";

// Waypoint's own script, loaded as a module. It starts the NHS.UK frontend components on the page
// and again inside any content htmx swaps in. Everything works without it (progressive enhancement).
const nhsukUrl = document.querySelector('meta[name="waypoint-nhsuk-js"]')?.content;

// The NHS.UK script (14 KB) is fetched only for a page, or swapped-in content, with a component
// that needs it: buttons, checkboxes, radios, character counts, error summaries... The header
// needs it only for a navigation menu (ours has none) and the skip link only to move focus
// (done below), so the home page and the board never fetch it. tests/core/test_weight.py uses
// the same selector.
const NEEDS_NHSUK_JS =
  '[data-module^="nhsuk-"]:not([data-module="nhsuk-header"]):not([data-module="nhsuk-skip-link"]), ' +
  '[data-module="nhsuk-header"] .nhsuk-header__navigation';
let nhsuk = null;
function startNhsuk(scope) {
  if (!nhsukUrl || !(scope.matches?.(NEEDS_NHSUK_JS) || scope.querySelector?.(NEEDS_NHSUK_JS))) {
    return;
  }
  const first = nhsuk === null;
  nhsuk ??= import(nhsukUrl);
  // Components mark themselves initialised, so running again on swapped content is safe.
  nhsuk.then(({ initAll }) => (first ? initAll() : initAll({ scope })));
}
startNhsuk(document);
document.body.addEventListener("htmx:afterSettle", (event) => startNhsuk(event.detail.elt));

// The skip link moves focus to the main content (what the NHS.UK script would do for it).
document.addEventListener("click", (event) => {
  const link = event.target.closest?.(".nhsuk-skip-link");
  const target = link && document.getElementById(link.hash.slice(1));
  if (!target) return;
  target.setAttribute("tabindex", "-1");
  target.focus();
});

// Polls (the whereabouts board): send back the ETag of the last answer for the same URL, and
// leave the page as it is when the server says 304 Not Modified (nothing has changed). Only the
// ETag is kept, in memory; pages are never stored in the browser's cache.
const etags = new Map();
document.body.addEventListener("htmx:configRequest", (event) => {
  const tag = event.detail.verb === "get" && etags.get(event.detail.path);
  if (tag) event.detail.headers["If-None-Match"] = tag;
});
document.body.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 304) event.detail.shouldSwap = false;
});
document.body.addEventListener("htmx:afterRequest", (event) => {
  const path = event.detail.requestConfig?.path;
  if (!path || event.detail.requestConfig.verb !== "get") return;
  const tag = event.detail.xhr.getResponseHeader("ETag");
  if (tag) etags.set(path, tag);
  else etags.delete(path);
});

// After an htmx swap that shows an error summary or a new page heading, move focus there so
// screen-reader and keyboard users hear what changed.
document.body.addEventListener("htmx:afterSettle", (event) => {
  const target = event.detail.elt;
  const focusable = target.querySelector?.(".nhsuk-error-summary") ?? null;
  if (focusable) {
    focusable.setAttribute("tabindex", "-1");
    focusable.focus();
  }
});

// My outing: keep the countdown moving between the 15-second refreshes.
function updateCountdowns() {
  for (const el of document.querySelectorAll("[data-due]")) {
    const minutes = Math.floor((Date.parse(el.dataset.due) - Date.now()) / 60000);
    const abs = Math.abs(minutes);
    const value = el.querySelector(".app-countdown__value");
    if (!value) continue;
    value.textContent = `${Math.floor(abs / 60)} h ${String(abs % 60).padStart(2, "0")} min`;
    value.nextSibling.textContent = minutes >= 0 ? " left" : " overdue";
  }
}
setInterval(updateCountdowns, 10000);

// Check out: a recent destination fills the field instead of reloading the form.
document.addEventListener("click", (event) => {
  const chip = event.target.closest("a[data-fill]");
  if (!chip) return;
  const input = document.getElementById(chip.dataset.fill);
  if (!input) return;
  event.preventDefault();
  input.value = chip.textContent.trim();
  input.dispatchEvent(new Event("input", { bubbles: true })); // kept in the form's copy too
  input.focus();
});

// --- Check out: one way of setting the due time at a time -----------------------------------
// The Back-by box shows only with "At a time" chosen (hidden and not sent otherwise). Without
// this script both are on the page, and the server refuses a chip and a different typed time.
function syncBackBy(scope) {
  for (const box of scope.querySelectorAll?.("[data-back-by]") ?? []) {
    const exact = box.closest("form")?.querySelector('input[name="return_in"][value="exact"]');
    const input = box.querySelector("input");
    if (!exact || !input) continue;
    // A refused submission keeps the box open with its message and the time typed.
    const show = exact.checked || box.querySelector(".nhsuk-form-group--error") !== null;
    box.hidden = !show;
    input.disabled = !show;
  }
}
syncBackBy(document);
document.addEventListener("change", (event) => {
  if (event.target.name === "return_in") syncBackBy(event.target.closest("form") ?? document);
});
document.body.addEventListener("htmx:afterSettle", (event) => syncBackBy(event.detail.elt));

// --- Lone-working forms keep what was typed through a lost signal or a lost session -----------
// A copy of the form as the worker types, keyed by staff id and the form's address (an outing
// id at most, never a client's name), put back when the form is shown again (after signing in
// again, say), and removed once the server has taken the form.
const DRAFT_FORMS = /^\/out\/(new|\d+\/(extend|welfare|resolve))$/;
const DRAFT_MAX_AGE_MS = 12 * 3600 * 1000;
const drafts = draftStore("waypoint:form:");
const staffId = document.querySelector('meta[name="waypoint-user"]')?.content;

function draftName(form) {
  if (!drafts || !staffId || form?.tagName !== "FORM") return null;
  const path = new URL(form.getAttribute("action") || "", window.location.href).pathname;
  return DRAFT_FORMS.test(path) ? drafts.name(staffId, path) : null;
}

function rememberForm(event) {
  const form = event.target.closest?.("form");
  const name = draftName(form);
  if (name) drafts.write(name, { fields: fieldsOf(form) });
}
document.addEventListener("input", rememberForm);
document.addEventListener("change", rememberForm);

function changedFromPage(el) {
  if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
  if (el.tagName === "SELECT") return [...el.options].some((o) => o.selected !== o.defaultSelected);
  return el.value !== el.defaultValue;
}

function restoreForms() {
  if (!drafts) return;
  drafts.dropOlderThan(DRAFT_MAX_AGE_MS);
  for (const form of document.forms) {
    const name = draftName(form);
    const entry = name && drafts.read(name);
    if (!entry?.fields) continue;
    if (sameFields(entry.fields, fieldsOf(form))) continue;
    fill(form, entry.fields);
    syncBackBy(form);
    // Open a folded section that now holds something other than what the page came with.
    for (const details of form.querySelectorAll("details")) {
      if ([...details.querySelectorAll("input, select, textarea")].some(changedFromPage)) {
        details.open = true;
      }
    }
    const notice = document.createElement("div");
    notice.className = "nhsuk-inset-text app-draft-restored";
    notice.setAttribute("role", "status");
    notice.tabIndex = -1;
    const text = document.createElement("p");
    text.textContent = "We put back what you typed before. Check it, then send it.";
    notice.append(text);
    form.before(notice);
    notice.focus();
  }
}
restoreForms();

// Logging out on purpose (a shared unit phone). Unsent note text is one person's clinical record
// left for the next: say so and offer to send it or delete it, never delete it silently (issue 13
// item 13; the panel is static/js/logout.js, fetched only when needed). Otherwise this person's
// unsent lone-working copies go with the logout.
const NOTE_PREFIX = "waypoint:note:"; // notes.js's copies
const OFFLINE_PREFIX = "waypoint:offline:"; // outing.js's: the offline page's outing, queued check-ins
function unsentNotes(user) {
  const notes = draftStore(NOTE_PREFIX);
  const mine = `${NOTE_PREFIX}${user}:`;
  const unsent = notes?.entries().filter(([name, entry]) => name.startsWith(mine) && entry?.pending);
  return [notes, unsent ?? []];
}
document.addEventListener("submit", (event) => {
  const form = event.target.closest?.("form[data-logout]");
  if (!form || form.dataset.confirmed) return;
  const leave = () => {
    if (drafts && staffId) drafts.removeStartingWith(drafts.name(staffId, ""));
    if (staffId) draftStore(OFFLINE_PREFIX)?.removeStartingWith(`${OFFLINE_PREFIX}${staffId}:`);
    form.dataset.confirmed = "true";
    form.submit();
  };
  const [notes, unsent] = unsentNotes(form.dataset.noteUser);
  if (unsent.length) {
    event.preventDefault();
    import("./logout.js").then(({ logoutChoice }) => logoutChoice(form, notes, unsent, leave));
  } else if (drafts && staffId && navigator.onLine !== false) {
    drafts.removeStartingWith(drafts.name(staffId, ""));
    draftStore(OFFLINE_PREFIX)?.removeStartingWith(`${OFFLINE_PREFIX}${staffId}:`);
  }
});

// "Same as last time" asks for other values: the copy of what was typed before goes.
document.addEventListener("click", (event) => {
  const link = event.target.closest?.("a[data-draft-reset]");
  const name = draftName(link?.closest("form"));
  if (name) drafts.remove(name);
});

document.body.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.requestConfig?.elt ?? event.detail.elt;
  const name = draftName(form);
  const xhr = event.detail.xhr;
  if (!name || !xhr || xhr.status < 200 || xhr.status >= 300) return;
  // Sent to the login page (the session had ended): the form was not taken, keep the copy.
  if ((xhr.getResponseHeader("HX-Redirect") || "").startsWith("/login")) return;
  drafts.remove(name);
});

// --- No tap fails silently -------------------------------------------------------------------
// No answer at all (no signal, or too slow): say so next to the button that was tapped, keep
// what was typed, and offer to try again. The notes' own forms say it their own way (notes.js).
const NOT_SENT = "Not sent — no signal. What you entered is still here.";

function sayNotSent(form, button) {
  form.querySelector(".app-not-sent")?.remove();
  const box = document.createElement("div");
  box.className = "app-not-sent";
  box.setAttribute("role", "alert");
  const text = document.createElement("p");
  text.textContent = NOT_SENT;
  const retry = document.createElement("button");
  retry.type = "button";
  retry.className = "nhsuk-button nhsuk-button--secondary";
  retry.textContent = "Try again";
  retry.addEventListener("click", () => {
    box.remove();
    form.requestSubmit(button?.form === form ? button : undefined);
  });
  box.append(text, retry);
  (button ?? form.lastElementChild ?? form).after(box);
}

function submitButton(form, event) {
  const submitter = event?.submitter ?? event?.detail?.requestConfig?.triggeringEvent?.submitter;
  return submitter ?? form.querySelector("button:not([type=button]), input[type=submit]");
}

for (const failure of ["htmx:sendError", "htmx:timeout"]) {
  document.body.addEventListener(failure, (event) => {
    const elt = event.detail.requestConfig?.elt ?? event.detail.elt;
    const form = elt?.tagName === "FORM" ? elt : elt?.closest?.("form");
    if (!form || elt.id === "note-autosave" || form.querySelector("[data-note-form]")) return;
    // Kept on the phone instead: outing.js queues "I'm back", the shopping-list ticks are below.
    if (form.matches("[data-offline-queue], [data-offline-tick]")) return;
    sayNotSent(form, submitButton(form, event));
  });
}
document.body.addEventListener("htmx:beforeRequest", (event) => {
  const elt = event.detail.requestConfig?.elt ?? event.detail.elt;
  (elt?.tagName === "FORM" ? elt : elt?.closest?.("form"))?.querySelector(".app-not-sent")?.remove();
});

// A plain form (no htmx) offline would leave the page for the browser's error page and lose
// what was typed: stay, and say so.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || navigator.onLine !== false) return;
  if (form.matches("[hx-post], [hx-get], [hx-put], [hx-delete]")) return; // htmx says it
  event.preventDefault();
  sayNotSent(form, submitButton(form, event));
});
window.addEventListener("online", () => {
  for (const box of document.querySelectorAll(".app-not-sent p")) {
    box.textContent = "The signal is back. Tap Try again to send it.";
  }
});

// --- Installable app, offline shell (issue 10) ----------------------------------------------
// The service worker keeps one offline page and its static files (static/js/sw.js). A queued
// "I'm back" is sent from whatever page is open when the signal returns (static/js/outing.js,
// fetched only then).
if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => navigator.serviceWorker.register("/sw.js").catch(() => {}));
}
function sendQueuedCheckIns() {
  const queued = draftStore(OFFLINE_PREFIX)?.entries().some(([, entry]) => entry?.queued);
  if (queued && staffId) import("./outing.js");
}
sendQueuedCheckIns();
window.addEventListener("online", sendQueuedCheckIns);

// --- Shopping-list ticks with no signal: static/js/ticks.js, fetched for a shopping list or
// while a tick made without signal is still waiting on this phone.
const tickQueue = staffId ? draftStore("waypoint:queue:") : null;
if (
  document.querySelector("form[data-offline-tick]") ||
  tickQueue?.entries().some(([name]) => name.startsWith(tickQueue.name(staffId, "")))
) {
  import("./ticks.js");
}
