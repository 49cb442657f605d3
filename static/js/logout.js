// Logging out with unsent note text on the phone: loaded by app.js only when there is some.
//

// On a shared unit phone, unsent text is one person's clinical record left for the next. At
// logout (the header's form[data-logout]) say so, and offer to send it now or delete it; never
// delete it silently (issue 13 item 13).
const AUTOSAVE_URL = "/notes/autosave";

// ``notes`` is the notes' draftStore, ``unsent`` its pending copies for this person (from
// unsentNotes in app.js); ``leave`` logs out.
export function logoutChoice(form, notes, unsent, leave) {
  document.getElementById("logout-unsent")?.remove();
  const box = document.createElement("div");
  box.className = "nhsuk-warning-callout app-logout-unsent";
  box.id = "logout-unsent";
  box.tabIndex = -1;
  box.setAttribute("role", "region");
  box.setAttribute("aria-labelledby", "logout-unsent-title");
  const count = unsent.length === 1 ? "1 note" : `${unsent.length} notes`;
  // Built element by element: notes.js never parses HTML (see tests/notes/test_drafts.py).
  const make = (tag, className, text) => {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text) el.textContent = text;
    return el;
  };
  const title = make("h2", "nhsuk-warning-callout__label");
  title.id = "logout-unsent-title";
  title.append(make("span", "nhsuk-u-visually-hidden", "Important: "), "Unsent text on this phone");
  const message = make(
    "p",
    "",
    `${count} you typed on this phone ${unsent.length === 1 ? "has" : "have"} not reached the ` +
      "server. Someone else may use this phone next: send it now, or delete it from this phone.",
  );
  const statusLine = make("p", "nhsuk-body-s");
  statusLine.id = "logout-unsent-status";
  statusLine.setAttribute("role", "status");
  const buttons = [
    ["nhsuk-button", "Send now, then log out", "send"],
    ["nhsuk-button nhsuk-button--secondary", "Delete from this phone and log out", "delete"],
    ["nhsuk-button nhsuk-button--secondary", "Stay logged in", "cancel"],
  ].map(([className, text, action]) => {
    const button = make("button", className, text);
    button.type = "button";
    button.dataset[`logout${action[0].toUpperCase()}${action.slice(1)}`] = "";
    return button;
  });
  box.append(title, message, statusLine, ...buttons);
  const status = box.querySelector("#logout-unsent-status");
  box.querySelector("[data-logout-cancel]").addEventListener("click", () => box.remove());
  box.querySelector("[data-logout-delete]").addEventListener("click", () => {
    for (const [name] of unsent) notes.remove(name);
    leave();
  });
  box.querySelector("[data-logout-send]").addEventListener("click", async () => {
    status.textContent = "Sending…";
    const token = form.elements.csrf_token?.value ?? "";
    let failed = 0;
    for (const [name, entry] of unsent) {
      const body = new URLSearchParams({ idempotency_key: entry.key, client_id: entry.client });
      for (const [field, value] of Object.entries(entry.fields ?? {})) {
        for (const one of Array.isArray(value) ? value : [value]) body.append(field, one);
      }
      try {
        const answer = await fetch(AUTOSAVE_URL, {
          method: "POST",
          body,
          credentials: "same-origin",
          headers: { "X-CSRFToken": token, "HX-Request": "true" },
        });
        if (answer.ok) notes.remove(name);
        else failed += 1;
      } catch {
        failed += 1;
      }
    }
    if (!failed) {
      leave();
      return;
    }
    status.textContent =
      `Not sent — ${failed === 1 ? "1 note" : `${failed} notes`} did not reach the server ` +
      "(no signal, or it refused). The text is still on this phone: try again, or delete it.";
  });
  const main = document.getElementById("maincontent") ?? document.body;
  main.prepend(box);
  box.focus();
  box.scrollIntoView({ block: "start" });
}
