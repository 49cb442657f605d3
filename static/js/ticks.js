import { draftStore, forget, queueRequest, queuedRequests, sendQueued } from "./drafts.js";

// --- Shopping-list ticks with no signal (the one queue in drafts.js) ---------------------------
// A tick form (data-offline-tick="<client>:<week>:<item>") that cannot reach the server is queued,
// the newest tap per item of that client's week only; its fields carry the tap's time in "seq",
// so a late tap never undoes a newer one on the server. Sent when the signal is back (or at the
// next page that loads with a signal).
const TICKS = draftStore("waypoint:queue:");
const staffId = document.querySelector('meta[name="waypoint-user"]')?.content;
const TICK_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
const myTicks = TICKS && staffId ? TICKS.name(staffId, "") : null;
const csrf = () => JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
const tickForm = (name) =>
  document.querySelector(`form[data-offline-tick="${CSS.escape(name.slice(myTicks.length))}"]`);
function tickStatus(form, text) {
  const status = form?.querySelector(".app-tick-status");
  if (status) status.textContent = text;
}
function tickBox(form, fields) {
  const box = form?.querySelector('input[type="checkbox"]');
  if (box) box.checked = fields.ticked === "1";
}
document.addEventListener(
  "change",
  (event) => {
    const form = event.target.closest?.("form[data-offline-tick]");
    if (form?.elements.seq) form.elements.seq.value = String(Date.now());
  },
  true, // before htmx reads the form
);
if (myTicks) {
  TICKS.dropOlderThan(TICK_MAX_AGE_MS);
  const sent = (name, entry, response) => {
    if (response.headers.get("HX-Redirect") || response.status >= 500) return; // kept: try later
    forget(TICKS, name); // taken, or refused for good (the item is no longer on the list)
    const form = tickForm(name);
    tickBox(form, entry.fields);
    tickStatus(form, response.ok ? "Sent now the signal is back" : "Not saved: refresh the list");
  };
  const flush = () => sendQueued(TICKS, csrf(), sent, myTicks);
  document.body.addEventListener("htmx:sendError", (event) => {
    const elt = event.detail.requestConfig?.elt ?? event.detail.elt;
    const form = elt?.closest?.("form[data-offline-tick]");
    if (!form) return;
    const fields = Object.fromEntries(new FormData(form));
    delete fields.csrf_token;
    queueRequest(TICKS, TICKS.name(staffId, form.dataset.offlineTick), form.action, fields);
    tickStatus(form, "No signal: kept on this phone, sent when the signal is back");
  });
  document.body.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.successful) flush();
  });
  window.addEventListener("online", flush);
  for (const [name, entry] of queuedRequests(TICKS)) {
    if (!name.startsWith(myTicks)) continue;
    tickBox(tickForm(name), entry.fields);
    tickStatus(tickForm(name), "Waiting for a signal to send");
  }
  flush();
}
