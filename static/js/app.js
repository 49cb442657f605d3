// Waypoint's own script, loaded as a module. It starts the NHS.UK frontend components on the page
// and again inside any content htmx swaps in. Everything works without it (progressive enhancement).
const nhsukUrl = document.querySelector('meta[name="waypoint-nhsuk-js"]')?.content;

if (nhsukUrl) {
  import(nhsukUrl).then(({ initAll }) => {
    initAll();
    document.body.addEventListener("htmx:afterSettle", (event) => {
      // Components mark themselves initialised, so re-running on the swapped element is safe.
      initAll({ scope: event.detail.elt });
    });
  });
}

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
  input.focus();
});
