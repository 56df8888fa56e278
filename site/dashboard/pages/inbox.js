// Inbox: the open conversations, those waiting for a person first, live; and one conversation's
// transcript with the owner's reply composer, "Hand back to the AI" and "Close conversation".
// Both views follow the admin stream (/v1/inbox/stream) and refetch what they show when it says
// a conversation changed, and after every reconnection, so nothing is missed while away.
import { get, post, seg, withQuery } from "../api.js";
import { badge, card, confirmDialog, field, h, reconcile, time } from "../dom.js";
import { follow } from "../stream.js";

const PAGE_SIZE = 100;
const AUTHOR_KEY = "parley.authorName";
// How often the waiting times are redrawn (ms); refetches coalesce within REFRESH_DELAY.
const TICK = 15_000;
const REFRESH_DELAY = 150;

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** "2 min", "1 h 5 min", "less than a minute" since an ISO time. */
export function waited(iso, now = Date.now()) {
  const minutes = Math.floor((now - new Date(iso).getTime()) / 60_000);
  if (minutes < 1) return "less than a minute";
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function modeBadge(item) {
  if (item.endedAt) return badge("Closed", "muted");
  if (item.mode === "waiting") return badge("Waiting", "warn");
  if (item.mode === "person") return badge("With a person", "info");
  return badge("AI", "muted");
}

function who(item) {
  return item.lead?.name || item.visitorEmail || item.lead?.email || item.userId || "Visitor";
}

function inboxRow(item) {
  const last = item.lastMessage;
  return h(
    "li",
    { class: `inbox-item${item.mode === "waiting" ? " waiting" : ""}` },
    h(
      "a",
      { href: `#/inbox/${seg(item.conversationId)}`, class: "inbox-link", dataset: { control: "open" } },
      h("span", { class: "inbox-head" }, modeBadge(item), h("strong", { class: "break" }, who(item)), item.waited ? h("span", { class: "inbox-wait" }, `waiting ${item.waited}`) : null),
      h("span", { class: "inbox-last clamp break" }, last ? `${last.role === "user" ? "Visitor" : "Reply"}: ${last.content}` : "(no message yet)"),
      h("span", { class: "inbox-meta muted" }, plural(item.messageCount, "message"), " · ", time(item.lastActivityAt)),
    ),
  );
}

/** A status line saying whether the page is live; `set(state)` from `follow`'s onState. */
function liveLine() {
  const el = h("p", { class: "live-line muted", role: "status" }, "Connecting…");
  const set = (state) => {
    el.textContent = state === "live" ? "Live: new messages appear as they arrive." : state === "refused" ? "Live updates are off: the admin key was refused." : "Reconnecting…";
    el.dataset.state = state;
  };
  return { el, set };
}

/** Calls `fn` once, REFRESH_DELAY after the last of a burst of calls. */
function coalesce(fn) {
  let timer = 0;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, REFRESH_DELAY);
  };
}

async function list(view, ctx) {
  const agentId = ctx.agent.agentId;
  const line = liveLine();
  const status = h("p", { class: "muted" }, "Loading conversations…");
  const alert = h("p", { class: "form-error", role: "alert" });
  const items = h("ul", { class: "inbox", "aria-label": "Open conversations" });
  view.append(card(null, h("div", { class: "row spread" }, status, line.el), alert, items));
  let latest = [];
  const draw = () => {
    // The waiting time is part of each row's data, so a tick redraws only the rows it changes.
    const shown = latest.map((item) => ({ ...item, waited: item.mode === "waiting" && item.waitingSince ? waited(item.waitingSince) : null }));
    reconcile(items, shown, (item) => item.conversationId, inboxRow);
    const waiting = latest.filter((item) => item.mode === "waiting").length;
    status.textContent = latest.length
      ? `${plural(latest.length, "open conversation")}${waiting ? `, ${waiting} waiting for a person` : ""}.`
      : "No open conversations. When a visitor asks for a person, they appear here first.";
  };
  const load = async () => {
    try {
      const { data } = await get(withQuery("/v1/inbox", { agentId, limit: PAGE_SIZE }));
      if (ctx.signal.aborted) return;
      latest = data.filter((item) => !item.endedAt);
      alert.textContent = "";
      draw();
    } catch (error) {
      if (!ctx.signal.aborted) alert.textContent = error.message;
    }
  };
  await load();
  const refresh = coalesce(load);
  const tick = setInterval(draw, TICK);
  ctx.onCleanup(() => clearInterval(tick));
  follow("/v1/inbox/stream", {
    signal: ctx.signal,
    onOpen: refresh,
    onState: line.set,
    onEvent: (event) => {
      if (event.event !== "conversation") return;
      try {
        const item = JSON.parse(event.data);
        if (item.agentId && item.agentId !== agentId) return;
      } catch {
        // Not JSON: refetch all the same.
      }
      refresh();
    },
  });
}

function authorLabel(m) {
  const kind = m.author?.kind ?? (m.role === "assistant" ? "agent" : "visitor");
  if (kind === "visitor") return "Visitor";
  if (kind === "person") return m.author?.name || "Support team";
  return "AI agent";
}

function messageRow(m) {
  const kind = m.author?.kind ?? (m.role === "assistant" ? "agent" : "visitor");
  return h(
    "li",
    { class: `msg msg-${kind === "visitor" ? "visitor" : kind === "person" ? "person" : "agent"}` },
    h("p", { class: "msg-meta" }, h("strong", null, authorLabel(m)), " · ", time(m.createdAt)),
    h("p", { class: "msg-text" }, m.content),
  );
}

const MODE_TEXT = {
  waiting: "The visitor is waiting for a person. Your reply takes the conversation over; the AI stays silent.",
  person: "You are answering: the AI stays silent until you hand the conversation back.",
  agent: "The AI is answering. A reply from you takes the conversation over.",
};

async function conversation(view, ctx, conversationId) {
  const path = `/v1/conversations/${seg(conversationId)}`;
  let c = await get(path);
  if (ctx.signal.aborted) return;
  ctx.setTitle("Conversation");
  const line = liveLine();
  const modeText = h("p", { class: "mode-line" });
  const messages = h("ol", { class: "transcript", "aria-label": "Transcript" });
  const log = h("div", { role: "log", "aria-live": "polite", "aria-label": "Messages" }, messages);
  const empty = h("p", { class: "muted" }, "No messages yet.");

  const alert = h("p", { class: "form-error", role: "alert" });
  const replyBox = h("textarea", { rows: 3, maxlength: 4000, required: true });
  const nameBox = h("input", { type: "text", maxlength: 200, autocomplete: "name", value: sessionStorage.getItem(AUTHOR_KEY) || "" });
  const send = h("button", { type: "submit", class: "btn primary" }, "Send reply");
  const form = h(
    "form",
    { class: "reply-form", novalidate: true },
    field("Reply", replyBox, "Ctrl+Enter sends. The visitor sees it at once, under your name."),
    field("Your name (shown to the visitor)", nameBox, "Empty: the visitor sees “Support team”."),
    h("div", { class: "row" }, send),
    alert,
  );
  const handBack = h("button", { type: "button", class: "btn" }, "Hand back to the AI");
  const close = h("button", { type: "button", class: "btn danger-ghost" }, "Close conversation");
  const controls = h("div", { class: "row" }, handBack, close);

  const draw = () => {
    reconcile(messages, c.messages, (m) => m.messageId, messageRow);
    empty.hidden = c.messages.length > 0;
    const ended = Boolean(c.endedAt);
    modeText.replaceChildren(modeBadge(c), " ", ended ? "This conversation is closed." : MODE_TEXT[c.mode] || "");
    form.hidden = ended;
    handBack.disabled = ended || c.mode === "agent";
    close.disabled = ended;
  };
  const load = async () => {
    try {
      const fresh = await get(path);
      if (ctx.signal.aborted) return;
      c = fresh;
      draw();
    } catch (error) {
      if (!ctx.signal.aborted) alert.textContent = error.message;
    }
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const content = replyBox.value;
    if (!content.trim()) {
      alert.textContent = "Write a reply first.";
      replyBox.setAttribute("aria-invalid", "true");
      replyBox.focus();
      return;
    }
    const authorName = nameBox.value.trim();
    sessionStorage.setItem(AUTHOR_KEY, authorName);
    send.disabled = true;
    alert.textContent = "";
    replyBox.removeAttribute("aria-invalid");
    try {
      await post(`${path}/replies`, authorName ? { content, authorName } : { content });
      // Only now: a failed send keeps what was typed.
      if (replyBox.value === content) replyBox.value = "";
      await load();
    } catch (error) {
      alert.textContent = `Not sent: ${error.message}`;
    } finally {
      send.disabled = false;
      replyBox.focus();
    }
  });
  replyBox.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  handBack.addEventListener("click", async () => {
    handBack.disabled = true;
    try {
      await post(`${path}/handback`);
      ctx.toast("Handed back: the AI answers the visitor again.");
      await load();
    } catch (error) {
      alert.textContent = error.message;
      draw();
    }
  });
  close.addEventListener("click", async () => {
    const ok = await confirmDialog({
      title: "Close this conversation?",
      body: "The visitor's chat says the conversation has ended; their next message starts a new one. The transcript stays under Conversations.",
      confirmLabel: "Close conversation",
      returnTo: close,
    });
    if (!ok) return;
    try {
      await post(`${path}/close`);
      ctx.toast("Conversation closed.");
      ctx.go("#/inbox");
    } catch (error) {
      alert.textContent = error.message;
    }
  });

  view.append(
    h("div", { class: "row spread" }, h("a", { href: "#/inbox", class: "back" }, "← Inbox"), line.el),
    h(
      "div",
      { class: "grid-side" },
      card("Transcript", modeText, log, empty),
      h("div", null, card("Reply", form, controls), card("Details", h("dl", { class: "facts" }, h("dt", null, "Conversation ID"), h("dd", null, h("code", null, c.conversationId)), h("dt", null, "Details"), h("dd", null, h("a", { href: `#/conversations/${seg(c.conversationId)}` }, "Lead and visitor data"))))),
    ),
  );
  draw();
  const refresh = coalesce(load);
  follow("/v1/inbox/stream", {
    signal: ctx.signal,
    onOpen: refresh,
    onState: line.set,
    onEvent: (event) => {
      if (event.event !== "conversation") return;
      try {
        if (JSON.parse(event.data).conversationId !== conversationId) return;
      } catch {
        // Not JSON: refetch all the same.
      }
      refresh();
    },
  });
}

export async function render(view, ctx, conversationId) {
  if (conversationId) await conversation(view, ctx, conversationId);
  else await list(view, ctx);
}
