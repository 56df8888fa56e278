// Leads: the agent's leads with search, a CSV export of what the search finds, and deleting a
// lead (after a confirmation that names it).
import { ApiError, api, del, get, seg, withQuery } from "../api.js";
import { card, confirmDialog, field, h, table, time } from "../dom.js";

const SEARCH_DELAY_MS = 250;
const PAGE_SIZE = 200;

const text = (value) => (value == null || value === "" ? h("span", { class: "muted" }, "—") : value);

/** "Ada Lovelace <ada@example.com>", or what there is of it. */
export const leadLabel = (lead) => [lead.name, lead.email ? `<${lead.email}>` : null].filter(Boolean).join(" ") || lead.leadId;

function leadRow(lead, remove) {
  const button = h("button", { type: "button", class: "btn small danger-ghost", "aria-label": `Delete lead ${leadLabel(lead)}` }, "Delete");
  button.addEventListener("click", () => remove(lead, button));
  return h(
    "tr",
    null,
    h("td", { class: "break" }, text(lead.name)),
    h("td", { class: "break" }, text(lead.email)),
    h("td", { class: "nowrap" }, text(lead.phone)),
    h("td", { class: "break" }, text(lead.companyName)),
    h("td", { class: "break clamp" }, text(lead.message)),
    h("td", null, time(lead.createdAt)),
    h("td", null, h("a", { href: `#/conversations/${seg(lead.conversationId)}` }, "Transcript")),
    h("td", null, button),
  );
}

function filenameFrom(response) {
  const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
  return match ? match[1] : "leads.csv";
}

export async function render(view, ctx) {
  const agentId = ctx.agent.agentId;
  const search = h("input", { type: "search", autocomplete: "off", spellcheck: "false", placeholder: "Name, email, phone, company or message" });
  const exportButton = h("button", { type: "button", class: "btn" }, "Export CSV");
  const count = h("p", { class: "muted", role: "status" });
  const alert = h("p", { class: "form-error", role: "alert" });
  const { el: leadsTable, body } = table("Leads", ["Name", "Email", "Phone", "Company", "First message", "Captured", "Conversation", "Actions"], { hideCaption: true });

  let latest = 0;
  const remove = async (lead, button) => {
    const label = leadLabel(lead);
    const ok = await confirmDialog({
      title: `Delete lead ${label}?`,
      body: "This removes the lead's contact details and its pending CRM actions; webhooks about it that were not sent yet are cancelled. The conversation stays. This cannot be undone.",
      confirmLabel: "Delete lead",
      returnTo: button,
    });
    if (!ok) return;
    alert.textContent = "";
    try {
      await del(`/v1/leads/${seg(lead.leadId)}`);
      ctx.toast(`Lead ${label} deleted.`);
      await load();
      search.focus();
    } catch (error) {
      alert.textContent = error.message;
    }
  };
  const load = async () => {
    const ticket = ++latest;
    const q = search.value.trim();
    const { data: leads } = await get(withQuery("/v1/leads", { agentId, q, limit: PAGE_SIZE }));
    if (ticket !== latest || ctx.signal.aborted) return; // a newer search is on its way
    body.replaceChildren(...leads.map((lead) => leadRow(lead, remove)));
    leadsTable.hidden = leads.length === 0;
    const many = leads.length === PAGE_SIZE ? "The newest " : "";
    count.textContent = leads.length
      ? `${many}${leads.length} lead${leads.length === 1 ? "" : "s"}${q ? ` matching “${q}”` : ""}.`
      : q
        ? `No lead matches “${q}”.`
        : "No leads yet. They appear here when a visitor leaves an email address in the chat.";
  };
  let timer = 0;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => load().catch((e) => (alert.textContent = e.message)), SEARCH_DELAY_MS);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      clearTimeout(timer);
      load().catch((e) => (alert.textContent = e.message));
    }
  });
  ctx.onCleanup(() => clearTimeout(timer));

  exportButton.addEventListener("click", async () => {
    alert.textContent = "";
    exportButton.disabled = true;
    try {
      const response = await api("GET", withQuery("/v1/leads.csv", { agentId, q: search.value.trim() }), undefined, { raw: true });
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: filenameFrom(response), hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      ctx.toast(`Downloaded ${filenameFrom(response)}.`);
    } catch (error) {
      alert.textContent = error instanceof ApiError ? error.message : String(error);
    } finally {
      exportButton.disabled = false;
    }
  });

  await load();
  if (ctx.signal.aborted) return;
  view.append(
    card(
      null,
      h("div", { class: "toolbar" }, h("div", { class: "grow" }, field("Search leads", search)), exportButton),
      alert,
      count,
      h("div", { class: "table-wrap" }, leadsTable),
    ),
  );
}
