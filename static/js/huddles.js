// The huddle page: when another phone changes the huddle, each part reloads itself
// ("huddle-changed", sent by the 15-s poll) — except a part you are typing in, which waits
// until you leave it, so a reload never throws away what you typed.

function busy(part) {
  const active = document.activeElement;
  if (active && part.contains(active) && active.matches("input, textarea, select")) return true;
  for (const el of part.querySelectorAll("input[type=text], textarea")) {
    if (el.value !== el.defaultValue) return true;
  }
  return false;
}

document.body.addEventListener("htmx:beforeRequest", (event) => {
  const part = event.detail.elt;
  if (!part.matches || !part.matches("[data-huddle-part]")) return;
  if (event.detail.requestConfig && event.detail.requestConfig.verb !== "get") return;
  if (busy(part)) {
    event.preventDefault();
    part.dataset.stale = "1";
  }
});

function catchUp() {
  for (const part of document.querySelectorAll("[data-huddle-part][data-stale]")) {
    if (!busy(part) && window.htmx) {
      delete part.dataset.stale;
      window.htmx.trigger(part, "huddle-refresh");
    }
  }
}

// A part that waited catches up once you leave it or your own change to it has saved.
document.body.addEventListener("focusout", () => setTimeout(catchUp, 200));
document.body.addEventListener("htmx:afterSettle", () => setTimeout(catchUp, 200));

for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
