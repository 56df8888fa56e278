// Parley widget shim: draws the chat launcher, hosts the chat frame (Python runs there) and relays
// the frame's events to widget.on() listeners. Plain ES2020, no build step, no dependencies.
(() => {
  "use strict";
  // Generated (`make gen`): event names from widget/events.py, the frame↔shim message types from
  // widget/contracts/protocol.py, the launcher's words per locale from widget/contracts/locales.py.
  const EVENTS = Object.freeze(/*<events>*/["widget_opened","widget_closed","conversation_started","message_sent","message_received","lead_captured","unread_count_changed"]/*</events>*/);
  const MSG = Object.freeze(/*<messages>*/{"connect":"widget:connect","command":"command","compose":"compose","identify":"identify","locale":"locale","hello":"widget:hello","ready":"ready","event":"event","state":"state","request":"request","stash":"stash","report":"report"}/*</messages>*/);
  const WORDS = /*<launcher>*/{"rtl":["ar"],"strings":{"en":{"open":"Open chat","close":"Close chat","frame":"Chat","unread":{"one":"Open chat, {n} unread message","other":"Open chat, {n} unread messages"}},"de":{"open":"Chat öffnen","close":"Chat schließen","frame":"Chat","unread":{"one":"Chat öffnen, {n} ungelesene Nachricht","other":"Chat öffnen, {n} ungelesene Nachrichten"}},"fr":{"open":"Ouvrir le chat","close":"Fermer le chat","frame":"Chat","unread":{"one":"Ouvrir le chat, {n} message non lu","other":"Ouvrir le chat, {n} messages non lus"}},"es":{"open":"Abrir chat","close":"Cerrar chat","frame":"Chat","unread":{"one":"Abrir chat, {n} mensaje sin leer","other":"Abrir chat, {n} mensajes sin leer"}},"ar":{"open":"فتح الدردشة","close":"إغلاق الدردشة","frame":"الدردشة","unread":{"one":"فتح الدردشة، رسالة واحدة غير مقروءة","two":"فتح الدردشة، رسالتان غير مقروءتين","few":"فتح الدردشة، {n} رسائل غير مقروءة","many":"فتح الدردشة، {n} رسالة غير مقروءة","other":"فتح الدردشة، {n} رسالة غير مقروءة"}}}}/*</launcher>*/;
  const LOCALES = Object.keys(WORDS.strings);

  // The snippet's stub (or an earlier copy of this script) marks window.widget with __q.
  const stub = window.widget && window.widget.__q ? window.widget : null;
  if (stub && stub.__loaded) return; // the shim already runs on this page: one widget only

  const script =
    document.currentScript ||
    [...document.querySelectorAll("script[data-agent-id]")].filter((s) => /widget\.js([?#]|$)/.test(s.src)).pop();
  const agent = script && script.dataset.agentId;
  if (!agent) {
    console.error(
      'Parley widget: the <script> tag that loads widget.js needs a data-agent-id attribute, e.g. <script async src="https://SERVER/widget.js" data-agent-id="ag_demo"></script>',
    );
    return;
  }
  const W = stub || (window.widget = {});

  // Host listeners, one list per event; a registration is {cb, once}.
  const listeners = Object.fromEntries(EVENTS.map((name) => [name, []]));
  const check = (method, name, cb) => {
    const known = EVENTS.includes(name);
    if (known && typeof cb == "function") return;
    const what = known ? `callback for "${name}" must be a function` : `unknown event "${String(name)}"`;
    throw new TypeError(`widget.${method}: ${what}. Valid events: ${EVENTS.join(", ")}`);
  };
  const drop = (name, reg) => {
    const list = listeners[name];
    const i = list.indexOf(reg);
    if (i >= 0) list.splice(i, 1);
    return i >= 0;
  };
  const subscribe = (method) => (name, cb) => {
    check(method, name, cb);
    const reg = { cb, once: method == "once" };
    listeners[name].push(reg);
    return () => void drop(name, reg);
  };
  const off = (name, cb) => {
    check("off", name, cb);
    listeners[name] = listeners[name].filter((reg) => reg.cb !== cb);
  };
  const report = (name, err) => console.error(`widget: a "${name}" listener threw`, err);
  const emit = (name, data) => {
    for (const reg of listeners[name].slice()) {
      // Skip listeners removed meanwhile; a once listener comes off before its call, so it runs once.
      if (reg.once ? !drop(name, reg) : !listeners[name].includes(reg)) continue;
      const { cb } = reg;
      try {
        const result = cb(data);
        if (result && typeof result.then == "function") result.then(null, (err) => report(name, err));
      } catch (err) {
        report(name, err);
      }
    }
  };

  // UI: everything lives in an open shadow root; :host !important beats the page's own rules.
  const base = new URL(".", script.src);
  const frameOrigin = base.origin;
  const nonce = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  const host = document.createElement("parley-widget");
  const root = host.attachShadow({ mode: "open" });
  // Styles come through a constructable stylesheet and the DOM through createElement: a page's
  // strict Content-Security-Policy refuses <style> elements (style-src) and may require Trusted
  // Types for innerHTML, but governs neither of these. A browser without constructable
  // stylesheets gets a <style> element.
  // Theme from the tag (the dashboard's snippet carries the agent's): the launcher is drawn before
  // anything else loads, so its colour, side and label cannot wait for the server.
  const tag = script.dataset;
  const pick = (name, value, ok, fallback) => {
    if (value === undefined || ok(value)) return value === undefined ? fallback : value;
    console.error(`Parley widget: data-${name}="${value}" is not valid; using ${fallback}.`);
    return fallback;
  };
  const color = pick("color", tag.color, (v) => /^#[0-9a-f]{6}$/i.test(v), "#4f46e5").toLowerCase();
  const side = pick("side", tag.side, (v) => v == "right" || v == "left", "right");
  const scheme = pick("scheme", tag.scheme, (v) => ["light", "dark", "auto"].includes(v), "light");
  const label = (tag.launcherLabel || "").trim().slice(0, 40);
  // The UI's language: data-locale, else the browser's first supported language, else English.
  // A tag names a locale by its language ("de", "de-AT").
  const localeOf = (code) => {
    const primary = typeof code == "string" ? code.trim().split(/[-_]/)[0].toLowerCase() : "";
    return LOCALES.includes(primary) ? primary : null;
  };
  if (tag.locale !== undefined && !localeOf(tag.locale)) console.error(`Parley widget: data-locale="${tag.locale}" is not a supported locale (${LOCALES.join(", ")}); using the browser's language.`);
  let locale = localeOf(tag.locale) || (navigator.languages || [navigator.language]).map(localeOf).find(Boolean) || "en";
  // A setLocale() the page called before this script arrived: the frame starts in that language.
  for (const call of (stub && stub.__q) || []) if (call.m == "setLocale") locale = localeOf(call.a[0]) || locale;
  // Text on the brand colour: black or white, whichever contrasts more (WCAG 2: >= 4.58 always).
  const luminance = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)).reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  const contrast = (a, b) => {
    const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (high + 0.05) / (low + 0.05);
  };
  const ink = contrast("#ffffff", color) >= contrast("#000000", color) ? "#ffffff" : "#000000";
  const other = side == "left" ? "right" : "left";
  const dark = "iframe{background:#111827}";
  const CSS = `
:host{all:initial!important;display:block!important;position:fixed!important;${side}:0!important;bottom:0!important;z-index:2147483647!important}
button{all:initial;position:fixed;${side}:24px;bottom:24px;z-index:1;width:60px;height:60px;border-radius:50%;display:grid;place-items:center;background:${color};color:${ink};cursor:pointer;box-shadow:0 4px 16px rgba(0,0,0,.25);transition:transform .15s,background .15s;-webkit-tap-highlight-color:transparent}
button:hover{transform:scale(1.05)}
.label{font:600 15px/1 system-ui,sans-serif}button.labelled{width:auto;border-radius:30px;padding:0 20px 0 16px;gap:8px;grid-auto-flow:column}
button:focus-visible{outline:2px solid transparent;box-shadow:0 0 0 3px #fff,0 0 0 6px #1e1b4b}
button[aria-expanded=true] .chat,button[aria-expanded=false] .x,button[aria-expanded=true] .badge,.badge:empty{display:none}
.badge{position:absolute;top:-4px;${other}:-4px;min-width:22px;height:22px;padding:0 6px;box-sizing:border-box;border-radius:11px;background:#b91c1c;color:#fff;font:700 12px/22px system-ui,sans-serif;text-align:center;box-shadow:0 0 0 2px #fff}
iframe{position:fixed;${side}:24px;bottom:100px;z-index:2;width:400px;max-width:calc(100vw - 48px);height:min(680px,calc(100vh - 120px))}
iframe{border:0;border-radius:16px;background:#fff;color-scheme:normal;box-shadow:0 12px 48px rgba(0,0,0,.28);transform-origin:bottom ${side};transition:opacity .2s,transform .2s}
iframe:not(.open){visibility:hidden;pointer-events:none;opacity:0;transform:translateY(16px) scale(.98);transition:opacity .2s,transform .2s,visibility 0s .2s}
@media (max-width:479.98px){iframe{inset:auto;left:0;top:var(--parley-top,0px);width:100%;height:var(--parley-height,100%);max-width:none;border-radius:0}button[aria-expanded=true]{visibility:hidden}}
${scheme == "dark" ? dark : scheme == "auto" ? `@media (prefers-color-scheme:dark){${dark}}` : ""}
@media (prefers-reduced-motion:reduce){iframe,iframe:not(.open),button{transition:none;transform:none}}
`;
  if (root.adoptedStyleSheets && "replaceSync" in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else root.append(Object.assign(document.createElement("style"), { textContent: CSS }));
  const element = (ns, tag, attributes) => {
    const node = document.createElementNS(ns, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    return node;
  };
  const SVG = "http://www.w3.org/2000/svg";
  const svg = (cls, d) => {
    const icon = element(SVG, "svg", { class: cls, viewBox: "0 0 24 24", width: 28, height: 28, "aria-hidden": "true", focusable: "false", fill: "none", stroke: "currentColor", "stroke-width": 2, "stroke-linecap": "round", "stroke-linejoin": "round" });
    icon.append(element(SVG, "path", { d }));
    return icon;
  };
  const button = element("http://www.w3.org/1999/xhtml", "button", { "type": "button", "aria-expanded": "false", "aria-controls": "chat" });
  // The unread count, drawn on the launcher; its name says it too ("Open chat, 2 unread messages").
  const badge = element("http://www.w3.org/1999/xhtml", "span", { class: "badge", "aria-hidden": "true" });
  button.append(svg("chat", "M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"), svg("x", "M6 6l12 12M18 6L6 18"), badge);
  if (label) {
    // A visible label beside the icon while closed; the button's name stays "Open chat".
    const text = element("http://www.w3.org/1999/xhtml", "span", { class: "label chat", "aria-hidden": "true" });
    text.textContent = label;
    button.insertBefore(text, badge);
    button.classList.add("labelled");
  }
  let unread = 0;
  const launcherName = () => {
    const words = WORDS.strings[locale];
    if (shown) return words.close;
    if (!unread) return words.open;
    const forms = words.unread;
    return (forms[new Intl.PluralRules(locale).select(unread)] || forms.other).replace("{n}", unread);
  };
  // The launcher in the locale: its name, and the direction of its label.
  const word = () => {
    button.lang = locale;
    button.dir = WORDS.rtl.includes(locale) ? "rtl" : "ltr";
    button.setAttribute("aria-label", launcherName());
    if (frame) frame.title = WORDS.strings[locale].frame;
  };
  root.append(button);
  // The frame (and with it Python) comes only when boot() runs: see the loading policy below.
  let frame = null;

  // Open/close are optimistic; the frame's "state" is applied only once it has seen our last command.
  let shown = false;
  let seq = 0;
  let port = null;
  let stash = null; // what the visitor typed before Python ran, kept here too for a frame reload
  const pending = []; // commands issued before the frame connected
  let dead = false; // destroy() ran: this copy does nothing more
  let fresh = false; // reset() asked for a frame that forgets what the widget stored
  let lastState = null; // the last widget_opened/widget_closed relayed
  // Consent (data-consent="required"): no frame, so no request beyond widget.js and nothing
  // stored, until widget.consent(true) or the visitor opens the chat (asking for it is consent).
  const consentSetting = script.dataset.consent;
  let allowed = consentSetting === undefined;
  if (!allowed && consentSetting != "required") console.error(`Parley widget: data-consent="${consentSetting}" is not a consent setting; use required. Waiting for consent.`);
  let wanted = false; // load(), eager or idle asked for the widget: it starts once consent comes
  word();
  const boot = () => {
    if (frame || dead || !allowed) return;
    frame = document.createElement("iframe");
    frame.id = "chat";
    frame.title = WORDS.strings[locale].frame;
    frame.inert = !shown;
    frame.classList.toggle("open", shown);
    const look = `&color=${encodeURIComponent(color)}&scheme=${scheme}&locale=${locale}`;
    frame.src = new URL(`frame.html?agent=${encodeURIComponent(agent)}${look}${fresh ? "&fresh=1" : ""}#${nonce}`, base);
    fresh = false;
    root.append(frame);
  };
  const show = (open) => {
    const hadFocus = document.activeElement === host; // the launcher or the frame
    shown = open;
    if (open) {
      allowed = true;
      boot();
    }
    frame.inert = !open;
    frame.classList.toggle("open", open);
    button.setAttribute("aria-expanded", open);
    button.setAttribute("aria-label", launcherName());
    if (open) frame.focus();
    else if (hadFocus) button.focus();
    fit();
  };
  // Phones: the panel is full screen. The on-screen keyboard shrinks the visual viewport, not the
  // layout one, so the frame follows the visual viewport (the composer stays above the keyboard),
  // and the page behind does not scroll while the panel covers it.
  const phone = matchMedia("(max-width: 479.98px)");
  const viewport = window.visualViewport;
  let pageOverflow = null; // the page's own inline overflow, restored when the panel uncovers it
  const fit = () => {
    const covered = shown && !dead && phone.matches;
    if (viewport && covered) {
      host.style.setProperty("--parley-top", `${viewport.offsetTop}px`);
      host.style.setProperty("--parley-height", `${viewport.height}px`);
    }
    const page = document.documentElement.style;
    if (covered && !pageOverflow) {
      pageOverflow = [page.getPropertyValue("overflow"), page.getPropertyPriority("overflow")];
      page.setProperty("overflow", "hidden", "important");
    } else if (!covered && pageOverflow) {
      page.setProperty("overflow", ...pageOverflow);
      pageOverflow = null;
    }
  };
  if (viewport) for (const type of ["resize", "scroll"]) viewport.addEventListener(type, fit);
  phone.addEventListener("change", fit);
  const post = (msg) => {
    if (port) port.postMessage(msg);
    else pending.push(msg);
  };
  const command = (name) => post({ type: MSG.command, name, seq: ++seq });
  const open = () => {
    if (shown || dead) return;
    show(true);
    command("open");
  };
  const close = () => {
    if (!shown) return;
    show(false);
    command("close");
  };
  const toggle = () => (shown ? close() : open());
  // send(text): as if the visitor sent it (the panel opens); prefill(text): in the composer.
  // Before Python runs the frame keeps a send with what the visitor typed, sent in order, once.
  const text = (method, value) => {
    if (typeof value == "string") return;
    throw new TypeError(`widget.${method}: pass the message text as a string, e.g. widget.${method}("Hello")`);
  };
  const send = (value) => {
    text("send", value);
    if (dead) return;
    open();
    post({ type: MSG.compose, action: "send", text: value });
  };
  // identify({ userId, userHash, email?, name?, attributes? }): the page's signed-in user. Kept, so
  // that a reloaded frame hears it again; reset() (a logout) forgets it.
  let identity = null;
  const identify = (user) => {
    const bad = (what) => {
      throw new TypeError(`widget.identify: ${what}. Pass { userId: string, userHash: string, email?: string, name?: string, attributes?: object }`);
    };
    if (!user || typeof user != "object") bad("pass an object");
    if (typeof user.userId != "string" || !user.userId.trim()) bad("userId must be a non-empty string");
    for (const key of ["userHash", "email", "name"]) if (user[key] !== undefined && typeof user[key] != "string") bad(`${key} must be a string`);
    if (user.attributes !== undefined && (!user.attributes || typeof user.attributes != "object")) bad("attributes must be an object");
    if (dead) return;
    identity = JSON.parse(JSON.stringify(user)); // a plain copy: the page may change its object
    post({ type: MSG.identify, identity });
  };
  // setLocale(code): the launcher and the frame (open, closed or not started yet) change language;
  // the conversation and the composer's text stay.
  const setLocale = (code) => {
    const found = localeOf(code);
    if (!found) throw new TypeError(`widget.setLocale: unknown locale ${typeof code == "string" ? `"${code}"` : String(code)}. Pass one of the supported locales as a string: ${LOCALES.join(", ")}`);
    if (dead || found == locale) return;
    locale = found;
    word();
    if (frame) post({ type: MSG.locale, locale });
  };
  const prefill = (value) => {
    text("prefill", value);
    if (dead) return;
    post({ type: MSG.compose, action: "prefill", text: value });
  };
  const start = () => {
    wanted = true;
    boot();
  };
  const load = () => {
    start();
    return W.ready;
  };
  const consent = (granted) => {
    if (typeof granted != "boolean") throw new TypeError("widget.consent: pass true (the visitor agreed) or false (the visitor withdrew)");
    if (dead) return;
    allowed = granted;
    if (granted) return void (wanted && boot());
    // Withdrawn: the panel closes and the frame goes, and with it every request, until consent.
    if (shown) {
      show(false);
      relay("widget_closed", {});
    }
    if (frame) frame.remove();
    frame = null;
    if (port) port.close();
    port = null;
    pending.length = 0;
    stash = null;
  };
  // Tag managers: every event is also a `parley:<name>` CustomEvent on window (detail: the data)
  // and, with data-datalayer on the tag, `{ event: "parley.<name>", ...data }` pushed to
  // window.dataLayer, Google Tag Manager's convention (data-datalayer="name" picks another array).
  const layer = script.dataset.datalayer;
  const layerName = layer && layer != "true" ? layer : "dataLayer";
  const broadcast = (name, data) => {
    dispatchEvent(new CustomEvent(`parley:${name}`, { detail: { ...data } }));
    if (layer === undefined) return;
    try {
      (window[layerName] = window[layerName] || []).push({ event: `parley.${name}`, ...data });
    } catch (err) {
      console.error(`Parley widget: could not push "${name}" to window.${layerName}`, err);
    }
  };
  // A frame that reloads (a boot retry, a widget put back after a single-page app replaced the
  // body) or a reset() starts closed and reports the opening again: the page hears it once.
  const relay = (name, data) => {
    if (name == "widget_opened" || name == "widget_closed") {
      if (name === lastState) return;
      lastState = name;
    }
    if (name == "unread_count_changed") {
      if (data.count === unread) return;
      unread = data.count;
      badge.textContent = unread ? String(Math.min(unread, 99)) : "";
      button.setAttribute("aria-label", launcherName());
    }
    emit(name, data);
    broadcast(name, data);
  };

  const onFrameMessage = ({ data: msg }) => {
    if (!msg || typeof msg != "object") return;
    if (msg.type == MSG.ready) W.__r();
    else if (msg.type == MSG.event && EVENTS.includes(msg.name)) relay(msg.name, msg.data);
    else if (msg.type == MSG.state && msg.ack === seq && typeof msg.open == "boolean" && msg.open !== shown) show(msg.open);
    // Before Python runs, the frame's close button and Escape ask us to close (and tell it so).
    else if (msg.type == MSG.request && msg.name == "close") close();
    else if (msg.type == MSG.stash) stash = msg.stash;
    else if (msg.type == MSG.report) console.error(`Parley widget: ${msg.text}`);
  };
  const onHello = (e) => {
    if (!frame || e.source !== frame.contentWindow || e.origin !== frameOrigin || !e.data || e.data.type !== MSG.hello) return;
    // A hello after the first one means the frame reloaded: give it a new channel and our state.
    const reconnect = !!port;
    if (port) port.close();
    const channel = new MessageChannel();
    port = channel.port1;
    port.onmessage = onFrameMessage;
    frame.contentWindow.postMessage({ type: MSG.connect, nonce, stash }, frameOrigin, [channel.port2]);
    if (reconnect && identity) post({ type: MSG.identify, identity });
    if (reconnect) post({ type: MSG.locale, locale }); // a reloaded frame has the URL's locale
    if (reconnect) command(shown ? "open" : "close");
    else pending.splice(0).forEach((msg) => port.postMessage(msg));
  };
  addEventListener("message", onHello);
  button.addEventListener("click", toggle);

  // Loading policy (data-load): "intent" (default) fetches nothing more until the visitor shows
  // intent; "idle" waits for the page's load event and an idle moment; "eager" starts at once.
  const policy = script.dataset.load || "intent";
  const idle = () => (window.requestIdleCallback ? requestIdleCallback(start, { timeout: 3000 }) : setTimeout(start, 200));
  if (policy == "eager") start();
  else if (policy == "idle") {
    if (document.readyState == "complete") idle();
    else addEventListener("load", idle, { once: true });
  } else if (policy != "intent") console.error(`Parley widget: data-load="${policy}" is not a loading policy; use intent, idle or eager. Using intent.`);
  // Intent: the pointer on the launcher, keyboard focus on it, or a touch (a click opens, below).
  for (const type of ["pointerenter", "focus", "touchstart"]) button.addEventListener(type, boot, { passive: true });

  // A single-page app may replace the body's children, or the body itself: put the widget back.
  // The frame reloads when it is moved, and restores the conversation from its storage.
  const watch = new MutationObserver(() => {
    if (document.body) watch.observe(document.body, { childList: true });
    if (!host.isConnected) (document.body || document.documentElement).append(host);
  });
  // reset(): a logout. A fresh frame forgets what the widget stored for this visitor (the
  // conversation, unsent drafts) before anything reads it, and starts afresh; the panel stays
  // as it was. Only the widget's own frame can reach its storage, so reset() starts the widget.
  const reset = () => {
    if (dead) return;
    if (unread) relay("unread_count_changed", { count: 0 }); // the new frame starts with none
    stash = null;
    identity = null;
    fresh = true;
    if (frame) frame.remove();
    frame = null;
    if (port) port.close();
    port = null;
    pending.length = 0;
    if (shown) command("open");
    boot();
  };
  // destroy(): an unmount. Launcher, frame, listeners and observers go, and window.widget with
  // them, so that the snippet loaded again starts a new widget.
  const destroy = () => {
    if (dead) return;
    dead = true;
    fit();
    if (viewport) for (const type of ["resize", "scroll"]) viewport.removeEventListener(type, fit);
    phone.removeEventListener("change", fit);
    watch.disconnect();
    removeEventListener("message", onHello);
    removeEventListener("load", idle);
    if (port) port.close();
    port = null;
    host.remove();
    for (const name of EVENTS) listeners[name] = [];
    if (window.widget === W) delete window.widget;
  };

  // Take the stub over in place (pages may hold a reference to it), then replay its queued calls.
  if (!W.__r) W.ready = new Promise((resolve) => (W.__r = resolve));
  const queued = W.__q || [];
  Object.assign(W, { __q: [], __loaded: true, events: EVENTS, on: subscribe("on"), once: subscribe("once"), off, open, close, toggle, load, reset, destroy, consent, send, prefill, identify, setLocale });
  (document.body || document.documentElement).append(host);
  watch.observe(document.documentElement, { childList: true });
  if (document.body) watch.observe(document.body, { childList: true });
  for (const call of queued) {
    if (call.x) continue; // unsubscribed before we arrived
    try {
      call.u = W[call.m](...call.a); // on/once: the stub's unsubscribe now calls this one
    } catch (err) {
      console.error(err);
    }
  }
})();
