import { draftStore, queuedRequests } from "./drafts.js";

// The offline page (templates/core/offline.html): what this phone last saw of the worker's
// outing, kept by static/js/outing.js when My outing was shown: the due time, the outing's
// number, the unit's phone number, and the worker's name and destination for the prefilled
// text. Nothing here is sent anywhere.
const STALE_MS = 12 * 3600 * 1000; // an outing's due time this far past is no longer shown
const store = draftStore("waypoint:offline:");
const entries = store ? store.entries() : [];
const latest = (suffix) =>
  entries
    .filter(([name, entry]) => name.includes(suffix) && entry)
    .sort((a, b) => (b[1].changed ?? 0) - (a[1].changed ?? 0))[0]?.[1];

const london = (ms) =>
  new Date(ms).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/London" });
const $ = (selector) => document.querySelector(selector);

const outing = latest(":outing");
const due = outing ? Date.parse(outing.due) : NaN;
if (outing && !Number.isNaN(due) && Date.now() - due < STALE_MS) {
  $("#offline-outing").hidden = false;
  $("[data-offline-due-time]").textContent = london(due);
  $("[data-offline-seen]").textContent = london(outing.changed);
  const tick = () => {
    const minutes = Math.floor((due - Date.now()) / 60000);
    const abs = Math.abs(minutes);
    const [value, word] = $("[data-offline-due]").children;
    value.textContent = `${Math.floor(abs / 60)} h ${String(abs % 60).padStart(2, "0")} min`;
    word.textContent = minutes >= 0 ? "left" : "overdue";
    $("#offline-outing").className = `app-countdown app-status app-status--${minutes >= 0 ? "ok" : "red"}`;
  };
  tick();
  setInterval(tick, 10000);
}
if (outing?.phone) {
  const number = outing.phone.replace(/[^0-9+]/g, "");
  const text = `SOS. This is ${outing.worker}. I went to ${outing.where}. Waypoint outing ${outing.outing}. No data signal. Please call me.`;
  $("[data-offline-call]").href = `tel:${number}`;
  $("[data-offline-text]").href = `sms:${number}?&body=${encodeURIComponent(text)}`;
  for (const item of document.querySelectorAll("[data-offline-unit]")) item.hidden = false;
  $("#offline-no-unit").hidden = true;
}

const queued = queuedRequests(store).sort((a, b) => (b[1].changed ?? 0) - (a[1].changed ?? 0))[0];
if (queued) {
  $("#offline-queued").hidden = false;
  $("[data-offline-pressed]").textContent = london(Date.parse(queued[1].fields.pressed));
}

// Shown in place of a page that could not be sent: an SOS (without this page's script the
// browser posts it as a plain form) is said plainly not to have gone.
if (/^\/out\/\d+\/sos$/.test(window.location.pathname)) {
  $("#offline-sos-not-sent").hidden = false;
}

// The signal is back: load the real page (My outing, where a queued "I'm back" is sent).
window.addEventListener("online", () => {
  const path = window.location.pathname;
  window.location.replace(path === "/offline" || path.endsWith("/sos") ? "/out/mine" : window.location.href);
});
