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
