// Conversations: the list, newest activity first, and each one's transcript, with the owner's
// controls: delete the conversation, export or erase everything of its visitor (each delete after
// a confirmation that names what will go).
import { del, get, post, seg, withQuery } from "../api.js";
import { badge, card, confirmDialog, h, table, time } from "../dom.js";
import { leadLabel } from "./leads.js";

const PAGE_SIZE = 200;

function conversationRow(c) {
  const first = c.firstUserMessage ? c.firstUserMessage : "(no message yet)";
  return h(
    "tr",
    null,
    h("td", { class: "break clamp" }, h("a", { href: `#/conversations/${seg(c.conversationId)}` }, first)),
    h("td", { class: "num" }, String(c.messageCount)),
    h("td", null, c.leadId ? badge("Lead", "ok") : h("span", { class: "muted" }, "—")),
    h("td", null, c.endedAt ? badge("Ended", "muted") : badge("Open", "info")),
    h("td", null, time(c.createdAt)),
    h("td", null, time(c.lastActivityAt)),
  );
}

async function list(view, ctx) {
  const { data: conversations } = await get(withQuery("/v1/conversations", { agentId: ctx.agent.agentId, limit: PAGE_SIZE }));
  if (ctx.signal.aborted) return;
  if (!conversations.length) {
    view.append(card(null, h("p", { class: "muted" }, "No conversations yet. Open the chat on the Install page preview or your site and say hello.")));
    return;
  }
  const { el, body } = table("Conversations", ["First message", "Messages", "Lead", "Status", "Started", "Last activity"], { hideCaption: true });
  body.append(...conversations.map(conversationRow));
  const note = conversations.length === PAGE_SIZE ? `The ${PAGE_SIZE} most recent conversations.` : `${conversations.length} conversation${conversations.length === 1 ? "" : "s"}.`;
  view.append(card(null, h("p", { class: "muted" }, note), h("div", { class: "table-wrap" }, el)));
}

function leadCard(lead) {
  const rows = [
    ["Name", lead.name],
    ["Email", lead.email],
    ["Phone", lead.phone],
    ["Company", lead.companyName],
  ];
  return card(
    "Lead",
    h(
      "dl",
      { class: "facts" },
      rows.map(([label, value]) => [h("dt", null, label), h("dd", { class: "break" }, value || "—")]),
    ),
  );
}

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

function download(name, value) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(value, null, 2)], { type: "application/json" }));
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function controlsCard(ctx, c) {
  const alert = h("p", { class: "form-error", role: "alert" });
  const visitor = c.lead?.email ? { email: c.lead.email } : { conversationId: c.conversationId };
  const who = c.lead ? leadLabel(c.lead) : "this visitor";
  const fail = (error) => (alert.textContent = error.message);

  const remove = h("button", { type: "button", class: "btn danger-ghost" }, "Delete conversation");
  remove.addEventListener("click", async () => {
    const ok = await confirmDialog({
      title: "Delete this conversation?",
      body: `This removes its ${plural(c.messageCount, "message")}${c.lead ? ` and the lead ${leadLabel(c.lead)}` : ""}; the visitor's chat stops working and webhooks not sent yet are cancelled. This cannot be undone.`,
      confirmLabel: "Delete conversation",
      returnTo: remove,
    });
    if (!ok) return;
    try {
      await del(`/v1/conversations/${seg(c.conversationId)}`);
      ctx.toast("Conversation deleted.");
      ctx.go("#/conversations");
    } catch (error) {
      fail(error);
    }
  });

  const exportButton = h("button", { type: "button", class: "btn" }, "Export visitor data");
  exportButton.addEventListener("click", async () => {
    try {
      download(`visitor-${c.conversationId}.json`, await get(withQuery("/v1/visitors/export", visitor)));
      ctx.toast(`Downloaded everything stored about ${who}.`);
    } catch (error) {
      fail(error);
    }
  });

  const erase = h("button", { type: "button", class: "btn danger-ghost" }, "Erase visitor");
  erase.addEventListener("click", async () => {
    const ok = await confirmDialog({
      title: `Erase everything of ${who}?`,
      body: visitor.email
        ? `This removes every conversation whose lead has the address ${visitor.email}, with their messages, leads and pending CRM actions; webhooks not sent yet are cancelled. This cannot be undone.`
        : "This removes this conversation, its messages and pending CRM actions; webhooks not sent yet are cancelled. This cannot be undone.",
      confirmLabel: "Erase visitor",
      returnTo: erase,
    });
    if (!ok) return;
    try {
      const gone = await post("/v1/visitors/erase", visitor);
      ctx.toast(`Erased ${plural(gone.conversations, "conversation")} and ${plural(gone.leads, "lead")}.`);
      ctx.go("#/conversations");
    } catch (error) {
      fail(error);
    }
  });
  return card("Visitor data", h("div", { class: "row" }, exportButton, erase, remove), alert);
}

async function transcript(view, ctx, conversationId) {
  const c = await get(`/v1/conversations/${seg(conversationId)}`);
  if (ctx.signal.aborted) return;
  ctx.setTitle("Conversation");
  const messages = h(
    "ol",
    { class: "transcript", "aria-label": "Transcript" },
    c.messages.map((m) =>
      h(
        "li",
        { class: `msg msg-${m.role === "assistant" ? "agent" : "visitor"}` },
        h("p", { class: "msg-meta" }, h("strong", null, m.role === "assistant" ? "Agent" : "Visitor"), " · ", time(m.createdAt)),
        h("p", { class: "msg-text" }, m.content),
      ),
    ),
  );
  view.append(
    h("p", null, h("a", { href: "#/conversations", class: "back" }, "← All conversations")),
    h(
      "div",
      { class: "grid-side" },
      card(
        "Transcript",
        h("p", { class: "muted" }, `${c.messageCount} message${c.messageCount === 1 ? "" : "s"} · started `, time(c.createdAt), c.endedAt ? [" · ended ", time(c.endedAt)] : " · open"),
        c.messages.length ? messages : h("p", { class: "muted" }, "No messages."),
      ),
      h("div", null, c.lead ? leadCard(c.lead) : card("Lead", h("p", { class: "muted" }, "No lead captured in this conversation.")), controlsCard(ctx, c), card("Details", h("dl", { class: "facts" }, h("dt", null, "Conversation ID"), h("dd", null, h("code", null, c.conversationId)), h("dt", null, "Agent ID"), h("dd", null, h("code", null, c.agentId))))),
    ),
  );
}

export async function render(view, ctx, conversationId) {
  if (conversationId) await transcript(view, ctx, conversationId);
  else await list(view, ctx);
}
