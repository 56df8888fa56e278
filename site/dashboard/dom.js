// Building the page without HTML strings: every value becomes a text node or a property, so a lead
// named "<img src=x onerror=alert(1)>" shows those characters and runs nothing. The page's CSP
// (Trusted Types, no policy) makes any innerHTML assignment throw, as a second line of defence.

// Set as DOM properties; everything else becomes an attribute.
const PROPS = new Set(["value", "checked", "disabled", "hidden", "selected", "multiple", "readOnly", "required", "open"]);

/** h("button", { class: "btn", onclick }, "Save") -> <button class="btn">Save</button> */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value == "function") el.addEventListener(key.slice(2), value);
    else if (PROPS.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/** Append children: nodes as they are, anything else as text. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

let uid = 0;
/** A fresh id for label/aria wiring. */
export const newId = (prefix = "f") => `${prefix}-${++uid}`;

/** A labelled form control: <div class="field"><label>…</label>control<p hint></p></div>. */
export function field(label, control, hint) {
  control.id ||= newId("field");
  const hintEl = hint ? h("p", { class: "hint", id: newId("hint") }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hintEl);
}

/** A card: white box with an optional heading. */
export function card(title, ...children) {
  const heading = title ? h("h2", { class: "card-title" }, title) : null;
  return h("section", { class: "card", "aria-labelledby": heading ? (heading.id = newId("card")) : null }, heading, children);
}

/** A status badge; `kind` picks its color (ok, warn, bad, muted, info). */
export const badge = (text, kind = "muted") => h("span", { class: `badge badge-${kind}` }, text);

/** A table with a caption (hidden when `hideCaption`) and column headers. */
export function table(caption, columns, { hideCaption = false } = {}) {
  const body = h("tbody");
  const el = h(
    "table",
    { class: "table" },
    h("caption", { class: hideCaption ? "visually-hidden" : null }, caption),
    h("thead", null, h("tr", null, columns.map((c) => h("th", { scope: "col" }, c)))),
    body,
  );
  return { el, body };
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

/** <time> for an ISO timestamp: the time alone for today, date and time otherwise. */
export function time(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  const when = new Date(iso);
  const today = when.toDateString() === new Date().toDateString();
  return h("time", { datetime: iso, title: dateTime.format(when) }, (today ? timeOnly : dateTime).format(when));
}

/** Keep rows keyed by `keyOf` in `container` up to date without disturbing unchanged ones, so a
 * refresh every few seconds neither moves the reader's place nor steals keyboard focus. */
export function reconcile(container, items, keyOf, render) {
  const old = new Map([...container.children].map((el) => [el.dataset.key, el]));
  const active = document.activeElement;
  let refocus = null;
  const fresh = (item, key, sig) => {
    const el = render(item);
    el.dataset.key = key;
    el.dataset.sig = sig;
    return el;
  };
  items.forEach((item, index) => {
    const key = String(keyOf(item));
    const sig = JSON.stringify(item);
    let el = old.get(key);
    if (el && el.dataset.sig !== sig) {
      const replacement = fresh(item, key, sig);
      if (el.contains(active) && active.dataset.control) refocus = { el: replacement, control: active.dataset.control };
      for (const open of el.querySelectorAll("details[open][data-control]")) {
        const twin = replacement.querySelector(`details[data-control="${open.dataset.control}"]`);
        if (twin) twin.open = true;
      }
      el.replaceWith(replacement);
      el = replacement;
    } else if (!el) {
      el = fresh(item, key, sig);
    }
    old.delete(key);
    const at = container.children[index];
    if (at !== el) container.insertBefore(el, at || null);
  });
  for (const el of old.values()) el.remove();
  if (refocus) refocus.el.querySelector(`[data-control="${refocus.control}"]`)?.focus();
}

/** Copy text to the clipboard; falls back to a selection copy where the Clipboard API is denied. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const before = document.activeElement;
    const area = h("textarea", { class: "offscreen", readOnly: true, "aria-hidden": "true" });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    before?.focus?.();
    return ok;
  }
}

/** An inline confirmation in place of window.confirm: a question with two buttons. Resolves
 * true or false; focus goes to the safe choice first, and back to `returnTo` afterwards. */
export function confirmInline(host, question, confirmLabel, returnTo) {
  return new Promise((resolve) => {
    const done = (answer) => {
      box.remove();
      if (!answer) returnTo?.focus();
      resolve(answer);
    };
    const cancel = h("button", { type: "button", class: "btn", onclick: () => done(false) }, "Cancel");
    const box = h(
      "div",
      { class: "confirm", role: "group", "aria-label": "Confirm" },
      h("p", null, question),
      h("div", { class: "row" }, h("button", { type: "button", class: "btn danger", onclick: () => done(true) }, confirmLabel), cancel),
    );
    box.addEventListener("keydown", (event) => {
      if (event.key === "Escape") done(false);
    });
    host.replaceChildren(box);
    cancel.focus();
  });
}

/** Show a form-level error (role=alert) and mark the field the server named, if any. */
export function showError(alertEl, error, fields = {}) {
  const message = error?.message || String(error);
  alertEl.textContent = message;
  for (const [name, input] of Object.entries(fields)) {
    const bad = message.startsWith(`${name}:`) || message.includes(`; ${name}:`);
    if (bad) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
}

export function clearError(alertEl, fields = {}) {
  alertEl.textContent = "";
  for (const input of Object.values(fields)) input.removeAttribute("aria-invalid");
}

/** A modal confirmation that names what will go: a <dialog> with a heading, the consequences,
 * and Cancel (focused first, and what Escape does) beside the destructive button. Resolves true
 * only when that button is pressed; focus returns to `returnTo` either way. */
export function confirmDialog({ title, body, confirmLabel = "Delete", returnTo }) {
  return new Promise((resolve) => {
    const heading = h("h2", { class: "dialog-title", id: newId("dialog") }, title);
    const text = h("p", { id: newId("dialog-body") }, body);
    const cancel = h("button", { type: "button", class: "btn" }, "Cancel");
    const confirm = h("button", { type: "button", class: "btn danger" }, confirmLabel);
    const dialog = h(
      "dialog",
      { class: "dialog", "aria-labelledby": heading.id, "aria-describedby": text.id },
      heading,
      text,
      h("div", { class: "row" }, confirm, cancel),
    );
    let answer = false;
    cancel.addEventListener("click", () => dialog.close());
    confirm.addEventListener("click", () => {
      answer = true;
      dialog.close();
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      returnTo?.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
