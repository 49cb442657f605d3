import { draftStore, forget, queueRequest, queuedRequests, sendQueued, sendable } from "./drafts.js";

// My outing and SOS when the signal goes (issue 10), loaded on those pages, and by app.js on any
// page while an "I'm back" is waiting to be sent.
// - What the offline page needs is kept from what My outing last showed (never a client's name).
// - "I'm back" without signal is queued (drafts.js) with the moment it was pressed, sent once when
//   the signal returns; the page says plainly that it has not been sent and offers call/text/999.
// - SOS is never only queued: without signal it says at once that it has not been sent and shows
//   call/text/999. With signal, it asks for one position and sends without it after 2 seconds.
const store = draftStore("waypoint:offline:");
const user = document.querySelector('meta[name="waypoint-user"]')?.content;
const BACK = /^\/out\/(\d+)\/back$/;
const GEO_WAIT_MS = 2000;
const SOS_CONFIRM_MS = 5000; // no answer by then: show the fallbacks while still trying

function token() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  } catch {
    return undefined;
  }
}

// --- What the offline page shows ---------------------------------------------------------------
function remember() {
  const box = document.querySelector("[data-offline-outing]");
  if (!store || !user || !box) return;
  const { outingId, due, unitPhone, worker, where } = box.dataset;
  store.write(store.name(user, "outing"), { outing: outingId, due, phone: unitPhone, worker, where });
}
function forgetOuting() {
  if (store && user) forget(store, store.name(user, "outing"));
}
remember();
document.body.addEventListener("htmx:afterSettle", () => {
  remember();
  if (document.querySelector("#my-outing-closed, [data-outing-closed]")) forgetOuting();
});

// --- The fallbacks -------------------------------------------------------------------------------
const HELP = {
  sos: ["Your SOS has not been sent", "No signal: nobody has been told. Call or text the unit now, or call 999."],
  sosSlow: [
    "SOS not confirmed yet",
    "Still trying to send it, but it has not reached the unit yet. Call or text the unit now, or call 999.",
  ],
  back: [
    "\u201cI'm back\u201d has not been sent yet",
    "No signal. It is saved on this phone and will be sent when the signal returns, with the time you pressed it. Until then the unit still expects you back: if you will be late, call or text them.",
  ],
};
function showHelp(kind) {
  const help = document.getElementById("offline-help");
  if (!help) return;
  const [title, text] = HELP[kind];
  help.querySelector("[data-offline-help-title]").textContent = title;
  help.querySelector("[data-offline-help-text]").textContent = text;
  help.hidden = false;
  help.focus();
}
function hideHelp() {
  const help = document.getElementById("offline-help");
  if (help) help.hidden = true;
}

// --- "I'm back" ---------------------------------------------------------------------------------
function backName(form) {
  const match = BACK.exec(new URL(form.action, window.location.href).pathname);
  return match && store && user ? store.name(user, `back:${match[1]}`) : null;
}
function queueBack(form) {
  const name = backName(form);
  if (!name) return false;
  const pressed = form.dataset.pressed || new Date().toISOString();
  const pin = form.querySelector('input[name="pin"]');
  queueRequest(store, name, form.action, { pressed }, pin ? { pin: pin.value } : {});
  showHelp("back");
  return true;
}
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target.closest?.("form[data-offline-queue]");
    if (!form) return;
    const pressed = form.querySelector('input[name="pressed"]');
    // A check-in queued earlier on this phone keeps the moment it was first pressed.
    form.dataset.pressed = pressed?.value || new Date().toISOString();
    if (navigator.onLine !== false) return; // htmx sends it; a failure is caught below
    event.preventDefault();
    event.stopImmediatePropagation();
    queueBack(form);
  },
  true,
);
for (const failure of ["htmx:sendError", "htmx:timeout"]) {
  document.body.addEventListener(failure, (event) => {
    const elt = event.detail.requestConfig?.elt ?? event.detail.elt;
    const form = elt?.closest?.("form[data-offline-queue]");
    if (form) queueBack(form);
    if (elt?.matches?.("[data-sos]")) showHelp("sos");
  });
}
// Sent with the page's own button (after a reload the PIN is asked again): the queue is done.
document.body.addEventListener("htmx:afterRequest", (event) => {
  const elt = event.detail.requestConfig?.elt ?? event.detail.elt;
  const form = elt?.closest?.("form[data-offline-queue]");
  const status = event.detail.xhr?.status ?? 0;
  if (!form || status < 200 || status >= 300) return;
  if ((event.detail.xhr.getResponseHeader("HX-Redirect") || "").startsWith("/login")) return;
  const name = backName(form);
  if (name) forget(store, name);
  forgetOuting();
});

function answered(name, entry, response) {
  const target = response.headers.get("HX-Redirect") || "";
  if (target.startsWith("/login")) return; // logged out meanwhile: kept until they log in
  forget(store, name);
  if (response.ok) {
    forgetOuting();
    if (document.getElementById("my-outing") || document.getElementById("offline-help")) {
      window.location.assign(target || "/");
      return;
    }
    // Elsewhere (a note being typed, say) the page stays; a line says it has gone.
    const done = document.createElement("div");
    done.className = "nhsuk-inset-text";
    done.setAttribute("role", "status");
    done.textContent = "Your \u201cI'm back\u201d has now been sent. You are checked in.";
    document.getElementById("maincontent")?.prepend(done);
    return;
  }
  // Refused (a wrong PIN, say): My outing shows why, and the button is there to try again.
  window.location.assign("/out/mine");
}

// A queued "I'm back" this page cannot send (its PIN went with a reload): say so, and let the
// page's own button send it with the moment it was first pressed.
function waitingForPin() {
  for (const [name, entry] of queuedRequests(store)) {
    if (sendable(name, entry)) continue;
    const form = [...document.querySelectorAll("form[data-offline-queue]")].find((f) => backName(f) === name);
    const pressed = form?.querySelector('input[name="pressed"]');
    if (!pressed) continue;
    pressed.value = entry.fields.pressed;
    const notice = document.getElementById("offline-help");
    if (notice) {
      showHelp("back");
      notice.querySelector("[data-offline-help-text]").textContent =
        "Your \u201cI'm back\u201d from earlier has not been sent. Enter your PIN and tap I'm back to send it.";
    }
  }
}

function sendWaiting() {
  if (navigator.onLine === false) return;
  sendQueued(store, token(), answered);
}
waitingForPin();
sendWaiting();
window.addEventListener("online", sendWaiting);
// Phones do not always say when the signal is back (a weak signal looks "online" all along).
setInterval(sendWaiting, 15000);
window.addEventListener("online", hideHelp);

// --- SOS ----------------------------------------------------------------------------------------
document.addEventListener(
  "click",
  (event) => {
    const link = event.target.closest?.("a[data-sos]");
    if (!link || navigator.onLine !== false) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    showHelp("sos");
  },
  true,
);

function sendSos(form, button) {
  const slow = setTimeout(() => showHelp("sosSlow"), SOS_CONFIRM_MS);
  fetch(form.action, {
    method: "POST",
    body: new URLSearchParams(new FormData(form)),
    credentials: "same-origin",
    headers: { "X-CSRFToken": token() ?? "", "HX-Request": "true" },
  })
    .then((response) => {
      clearTimeout(slow);
      if (!response.ok) throw new Error(String(response.status));
      window.location.assign(response.headers.get("HX-Redirect") || "/out/mine");
    })
    .catch(() => {
      clearTimeout(slow);
      if (button) button.disabled = false;
      showHelp("sos");
    });
}

document.addEventListener(
  "submit",
  (event) => {
    const form = event.target.closest?.("form[data-sos-form]");
    if (!form) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (navigator.onLine === false) {
      showHelp("sos");
      return;
    }
    const button = event.submitter ?? form.querySelector("button");
    if (button) button.disabled = true;
    let sent = false;
    const send = () => {
      if (sent) return;
      sent = true;
      sendSos(form, button);
    };
    const timer = setTimeout(send, GEO_WAIT_MS); // never wait longer for a position
    if (!navigator.geolocation) {
      clearTimeout(timer);
      send();
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (position) => {
        clearTimeout(timer);
        if (!sent) {
          form.querySelector('[name="latitude"]').value = String(position.coords.latitude);
          form.querySelector('[name="longitude"]').value = String(position.coords.longitude);
          form.querySelector('[name="accuracy"]').value = String(position.coords.accuracy);
        }
        send();
      },
      () => {
        clearTimeout(timer);
        send();
      },
      { enableHighAccuracy: true, timeout: GEO_WAIT_MS, maximumAge: 30000 },
    );
  },
  true,
);
