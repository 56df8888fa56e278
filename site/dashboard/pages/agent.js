// Agent: name, prompt, welcome message, allowed origins, retention, the wait for a person, CRM
// integrations, new agents, and deleting the agent (after a confirmation that names what goes
// with it).
// Saving sends only the fields that changed, so `agent.updated` lists exactly those.
import { api, del, get, patch, post, put, seg } from "../api.js";
import { card, clearError, confirmDialog, confirmInline, copyText, field, h, newId, showError } from "../dom.js";

const FIELD_LABELS = {
  name: "name",
  prompt: "prompt",
  welcomeMessage: "welcome message",
  allowedOrigins: "allowed origins",
  retentionDays: "retention",
  handoffTimeoutSeconds: "wait for a person",
};
// The widget's locales, generated from widget/contracts/locales.py (`make gen`).
const LOCALES = /*<locales>*/["en","de","fr","es","ar"]/*</locales>*/;
const CRMS = [
  { provider: "hubspot", label: "HubSpot" },
  { provider: "pipedrive", label: "Pipedrive" },
];

const originsFrom = (text) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

function settingsForm(ctx) {
  const agent = ctx.agent;
  const name = h("input", { type: "text", value: agent.name, required: true, maxlength: "200", autocomplete: "off" });
  const welcome = h("textarea", { rows: "2", maxlength: "2000" });
  welcome.value = agent.welcomeMessage;
  const prompt = h("textarea", { rows: "7", maxlength: "20000" });
  prompt.value = agent.prompt;
  const origins = h("textarea", { rows: "3", spellcheck: "false", autocapitalize: "off" });
  origins.value = agent.allowedOrigins.join("\n");
  const retention = h("input", { type: "number", min: "1", max: "36500", step: "1", inputmode: "numeric", value: agent.retentionDays ?? "" });
  const handoff = h("input", { type: "number", min: "10", max: "86400", step: "1", inputmode: "numeric", required: true, value: agent.handoffTimeoutSeconds ?? 120 });
  const alert = h("p", { class: "form-error", role: "alert" });
  const saved = h("p", { class: "form-ok", role: "status" });
  const save = h("button", { type: "submit", class: "btn primary" }, "Save changes");
  const fields = { name, prompt, welcomeMessage: welcome, allowedOrigins: origins, retentionDays: retention, handoffTimeoutSeconds: handoff };

  const form = h(
    "form",
    { novalidate: true, "aria-label": "Agent settings" },
    h("p", { class: "muted" }, "Agent ID ", h("code", null, agent.agentId)),
    field("Name", name, "Shown at the top of the chat."),
    field("Welcome message", welcome, "The first thing visitors read when they open the chat."),
    field("Prompt", prompt, "Instructions for the agent: tone, what to help with, when to ask for an email address."),
    field("Allowed origins", origins, "Sites that may embed this agent, one per line, like https://www.example.com. A single * allows any site."),
    field("Keep conversations for (days)", retention, "Conversations and their leads idle for longer are removed automatically. Leave empty to keep them until you delete them."),
    field("Wait for a person (seconds)", handoff, "When a visitor asks for a person and nobody replies from the Inbox within this time, the chat says so and asks for their email address. 10 to 86400."),
    alert,
    h("div", { class: "row" }, save, saved),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError(alert, fields);
    saved.textContent = "";
    const current = ctx.agent;
    const wanted = {
      name: name.value.trim(),
      welcomeMessage: welcome.value,
      prompt: prompt.value,
      allowedOrigins: originsFrom(origins.value),
      retentionDays: retention.value.trim() === "" ? null : Number(retention.value),
      handoffTimeoutSeconds: Number(handoff.value),
    };
    const wait = wanted.handoffTimeoutSeconds;
    if (handoff.value.trim() === "" || !(Number.isInteger(wait) && wait >= 10 && wait <= 86400)) {
      showError(alert, new Error("handoffTimeoutSeconds: enter a whole number of seconds from 10 to 86400."), fields);
      handoff.focus();
      return;
    }
    if (wanted.retentionDays !== null && !(Number.isInteger(wanted.retentionDays) && wanted.retentionDays >= 1)) {
      showError(alert, new Error("retentionDays: enter a whole number of days (1 or more), or leave it empty."), fields);
      retention.focus();
      return;
    }
    if (!wanted.name) {
      showError(alert, new Error("name: enter a name for the agent."), fields);
      name.focus();
      return;
    }
    const changes = {};
    for (const [key, value] of Object.entries(wanted)) {
      if (JSON.stringify(value) !== JSON.stringify(current[key] ?? null)) changes[key] = value;
    }
    if (!Object.keys(changes).length) {
      saved.textContent = "Nothing changed.";
      return;
    }
    save.disabled = true;
    try {
      const updated = await patch(`/v1/agents/${seg(current.agentId)}`, changes);
      ctx.setAgent(updated);
      origins.value = updated.allowedOrigins.join("\n");
      const what = Object.keys(changes).map((k) => FIELD_LABELS[k]);
      saved.textContent = `Saved. Changed: ${what.join(", ")}.`;
    } catch (error) {
      showError(alert, error, fields);
      const bad = Object.values(fields).find((f) => f.getAttribute("aria-invalid") === "true");
      (bad || name).focus();
    } finally {
      save.disabled = false;
    }
  });
  return card("Settings", form);
}

function crmCard(ctx, { provider, label }, existing, rerender) {
  const path = `/v1/agents/${seg(ctx.agent.agentId)}/integrations/${provider}`;
  const token = h("input", { type: "password", autocomplete: "new-password", spellcheck: "false", required: true });
  const baseUrl = h("input", { type: "url", autocomplete: "off", spellcheck: "false", placeholder: existing?.baseUrl || "" });
  const alert = h("p", { class: "form-error", role: "alert" });
  const status = existing
    ? h("p", null, h("span", { class: "badge badge-ok" }, "Connected"), " Token ", h("code", null, existing.apiToken), " · ", h("span", { class: "break" }, existing.baseUrl))
    : h("p", null, h("span", { class: "badge badge-muted" }, "Not connected"));
  const saveButton = h("button", { type: "submit", class: "btn primary" }, existing ? `Replace ${label} token` : `Connect ${label}`);
  const actions = h("div", { class: "row" }, saveButton);
  if (existing) {
    const remove = h("button", { type: "button", class: "btn danger-ghost" }, `Remove ${label}`);
    remove.addEventListener("click", async () => {
      remove.disabled = true;
      try {
        await del(path);
        ctx.toast(`${label} removed.`);
        await rerender();
      } catch (error) {
        showError(alert, error);
        remove.disabled = false;
      }
    });
    actions.append(remove);
  }
  const form = h(
    "form",
    { novalidate: true, "aria-label": label },
    status,
    field(`${label} API token`, token, existing ? "Write-only: enter a new token to replace the stored one." : "Write-only: after saving, only its last characters are shown."),
    field(`${label} base URL (optional)`, baseUrl, "Leave empty for the vendor's own API."),
    alert,
    actions,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError(alert, { apiToken: token, baseUrl });
    if (!token.value.trim()) {
      showError(alert, new Error("apiToken: enter the API token."), { apiToken: token });
      token.focus();
      return;
    }
    const body = { apiToken: token.value.trim() };
    if (baseUrl.value.trim()) body.baseUrl = baseUrl.value.trim();
    saveButton.disabled = true;
    try {
      await put(path, body);
      token.value = "";
      ctx.toast(`${label} connected: new leads go to ${label}.`);
      await rerender();
    } catch (error) {
      showError(alert, error, { apiToken: token, baseUrl });
      saveButton.disabled = false;
    }
  });
  return h("section", { class: "subcard", "aria-label": label }, h("h3", null, label), form);
}

async function integrationsCard(ctx) {
  const body = h("div", { class: "grid-2" });
  const section = card(
    "CRM integrations",
    h("p", { class: "muted" }, "Every captured lead is sent to each connected CRM; an ai-action.completed or ai-action.failed webhook follows."),
    body,
  );
  const rerender = async () => {
    const { data } = await get(`/v1/agents/${seg(ctx.agent.agentId)}/integrations`);
    if (ctx.signal.aborted) return;
    const active = document.activeElement;
    const hadFocus = body.contains(active) ? active.closest("section")?.getAttribute("aria-label") : null;
    body.replaceChildren(...CRMS.map((crm) => crmCard(ctx, crm, data.find((i) => i.provider === crm.provider), rerender)));
    if (hadFocus) body.querySelector(`section[aria-label="${hadFocus}"] input`)?.focus();
  };
  await rerender();
  return section;
}

// Appearance: the agent's theme. The frame takes it from the server; the launcher, drawn before
// anything loads, takes it from the snippet's data-* (the Install page's snippet carries them).
function themeCard(ctx) {
  const theme = ctx.agent.theme;
  const color = h("input", { type: "color", value: theme.color });
  const side = h("select", null, h("option", { value: "right" }, "Right"), h("option", { value: "left" }, "Left"));
  side.value = theme.side;
  const scheme = h("select", null, h("option", { value: "light" }, "Light"), h("option", { value: "dark" }, "Dark"), h("option", { value: "auto" }, "Auto (follows the visitor's system)"));
  scheme.value = theme.scheme;
  const label = h("input", { type: "text", value: theme.launcherLabel, maxlength: "40", autocomplete: "off" });
  const alert = h("p", { class: "form-error", role: "alert" });
  const saved = h("p", { class: "form-ok", role: "status" });
  const save = h("button", { type: "submit", class: "btn primary" }, "Save appearance");
  const fields = { color, side, scheme, launcherLabel: label };
  const form = h(
    "form",
    { novalidate: true, "aria-label": "Appearance" },
    field("Brand colour", color, "The launcher, the chat's header and the visitor's messages; their text is black or white, whichever reads better."),
    field("Side", side, "Where the launcher and the chat sit on the page."),
    field("Launcher label", label, "Text beside the launcher's icon, like “Chat with us”. Leave empty for the icon alone."),
    field("Colour scheme", scheme),
    h("p", { class: "hint" }, "The chat picks this up at once. The launcher is drawn from the snippet's data-color, data-side, data-launcher-label and data-scheme: copy the snippet again from the Install page after a change."),
    alert,
    h("div", { class: "row" }, save, saved),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError(alert, fields);
    saved.textContent = "";
    const wanted = { color: color.value.toLowerCase(), side: side.value, scheme: scheme.value, launcherLabel: label.value.trim() };
    const changes = Object.fromEntries(Object.entries(wanted).filter(([key, value]) => value !== ctx.agent.theme[key]));
    if (!Object.keys(changes).length) {
      saved.textContent = "Nothing changed.";
      return;
    }
    save.disabled = true;
    try {
      ctx.setAgent(await patch(`/v1/agents/${seg(ctx.agent.agentId)}`, { theme: changes }));
      saved.textContent = "Appearance saved.";
    } catch (error) {
      showError(alert, error, fields);
    } finally {
      save.disabled = false;
    }
  });
  return card("Appearance", form);
}

// Welcome message per language: the frame greets a visitor in the widget's locale with that
// text, else with the general welcome message above. Saved as one map (welcomeMessages).
function welcomesCard(ctx) {
  const current = ctx.agent.welcomeMessages || {};
  const names = new Intl.DisplayNames(["en"], { type: "language" });
  const boxes = Object.fromEntries(LOCALES.map((code) => [code, h("textarea", { rows: "2", maxlength: "2000" })]));
  for (const [code, box] of Object.entries(boxes)) box.value = current[code] || "";
  const alert = h("p", { class: "form-error", role: "alert" });
  const saved = h("p", { class: "form-ok", role: "status" });
  const save = h("button", { type: "submit", class: "btn primary" }, "Save welcome messages");
  const form = h(
    "form",
    { novalidate: true, "aria-label": "Welcome message per language" },
    h("p", { class: "hint" }, "The chat shows the visitor's language's welcome; a language left empty gets the welcome message above."),
    ...LOCALES.map((code) => field(`${names.of(code)} (${code})`, boxes[code])),
    alert,
    h("div", { class: "row" }, save, saved),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError(alert);
    saved.textContent = "";
    const wanted = Object.fromEntries(LOCALES.map((code) => [code, boxes[code].value.trim()]).filter(([, text]) => text));
    const before = ctx.agent.welcomeMessages || {};
    const same = LOCALES.every((code) => (wanted[code] || "") === (before[code] || ""));
    if (same) {
      saved.textContent = "Nothing changed.";
      return;
    }
    save.disabled = true;
    try {
      ctx.setAgent(await patch(`/v1/agents/${seg(ctx.agent.agentId)}`, { welcomeMessages: wanted }));
      saved.textContent = "Welcome messages saved.";
    } catch (error) {
      showError(alert, error);
    } finally {
      save.disabled = false;
    }
  });
  return card("Welcome message per language", form);
}

// Identity: the secret the host page's backend signs userIds with (widget.identify), masked until
// revealed so a shared screen does not leak it, and the switch that accepts unsigned identities.
function identityCard(ctx, secret) {
  const path = `/v1/agents/${seg(ctx.agent.agentId)}/identity-secret`;
  let current = secret;
  let shown = false;
  const MASK = "•".repeat(24);
  const value = h("input", { type: "text", readOnly: true, value: MASK, spellcheck: "false", class: "mono", autocomplete: "off" });
  const reveal = h("button", { type: "button", class: "btn", "aria-pressed": "false" }, "Reveal secret");
  const copy = h("button", { type: "button", class: "btn" }, "Copy secret");
  const rotate = h("button", { type: "button", class: "btn danger-ghost" }, "Rotate secret");
  const status = h("p", { class: "form-ok", role: "status" });
  const alert = h("p", { class: "form-error", role: "alert" });
  const confirmHost = h("div");
  const paint = () => {
    value.value = shown ? current : MASK;
    reveal.textContent = shown ? "Hide secret" : "Reveal secret";
    reveal.setAttribute("aria-pressed", String(shown));
  };
  value.addEventListener("focus", () => shown && value.select());
  reveal.addEventListener("click", () => {
    shown = !shown;
    paint();
  });
  copy.addEventListener("click", async () => {
    const ok = await copyText(current);
    status.textContent = ok ? "Identity secret copied." : "Copying was refused: reveal the secret, select it and press Ctrl+C.";
  });
  rotate.addEventListener("click", async () => {
    const question = "Rotate the identity secret? Hashes made with the current one are refused at once: update your server first.";
    if (!(await confirmInline(confirmHost, question, "Rotate now", rotate))) return;
    clearError(alert);
    try {
      current = (await post(path)).identitySecret;
      paint();
      status.textContent = "Identity secret rotated: sign userIds with the new one.";
    } catch (error) {
      showError(alert, error);
    }
    rotate.focus();
  });

  const allow = h("input", { type: "checkbox", role: "switch", checked: ctx.agent.allowUnverifiedIdentity });
  allow.addEventListener("change", async () => {
    clearError(alert);
    const wanted = allow.checked;
    try {
      ctx.setAgent(await patch(`/v1/agents/${seg(ctx.agent.agentId)}`, { allowUnverifiedIdentity: wanted }));
      status.textContent = wanted ? "Identities without a userHash are now accepted." : "Identities without a userHash are now refused.";
    } catch (error) {
      allow.checked = !wanted;
      showError(alert, error);
    }
  });
  const allowHint = h("p", { class: "hint", id: newId("hint") }, "Anyone can then claim any userId and read that user's conversation: only for testing.");
  allow.setAttribute("aria-describedby", allowHint.id);
  allow.id = newId("field");

  return card(
    "Identity",
    h("p", { class: "muted" }, "For widget.identify(): your server sends userHash = hex(HMAC-SHA256(identity secret, userId)) with each signed-in user."),
    field("Identity secret", value),
    h("div", { class: "row" }, reveal, copy, rotate),
    confirmHost,
    h("div", { class: "field switch" }, allow, h("label", { for: allow.id }, "Accept identities without a userHash"), allowHint),
    alert,
    status,
  );
}

function newAgentCard(ctx) {
  const name = h("input", { type: "text", required: true, maxlength: "200", autocomplete: "off" });
  const alert = h("p", { class: "form-error", role: "alert" });
  const form = h(
    "form",
    { novalidate: true, "aria-label": "New agent" },
    field("New agent name", name, "Starts with the default prompt and welcome message; allow its sites above once created."),
    alert,
    h("div", { class: "row" }, h("button", { type: "submit", class: "btn" }, "Create agent")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError(alert, { name });
    if (!name.value.trim()) {
      showError(alert, new Error("name: enter a name for the new agent."), { name });
      name.focus();
      return;
    }
    try {
      const created = await post("/v1/agents", { name: name.value.trim() });
      await ctx.selectAgent(created.agentId);
      ctx.toast(`Agent ${created.name} created and selected.`);
      dispatchEvent(new HashChangeEvent("hashchange")); // show the new agent's settings
    } catch (error) {
      showError(alert, error, { name });
      name.focus();
    }
  });
  return card("Add another agent", form);
}

function deleteAgentCard(ctx) {
  const agent = ctx.agent;
  const alert = h("p", { class: "form-error", role: "alert" });
  const button = h("button", { type: "button", class: "btn danger-ghost" }, `Delete agent ${agent.name}`);
  button.addEventListener("click", async () => {
    const ok = await confirmDialog({
      title: `Delete agent ${agent.name} (${agent.agentId})?`,
      body: "This removes the agent with all its conversations, messages, leads, knowledge, training runs and CRM integrations; webhooks about them not sent yet are cancelled, and the snippet on your site stops working. This cannot be undone.",
      confirmLabel: "Delete agent",
      returnTo: button,
    });
    if (!ok) return;
    try {
      const gone = await del(`/v1/agents/${seg(agent.agentId)}`);
      const next = ctx.agents.find((a) => a.agentId !== agent.agentId);
      await ctx.selectAgent(next ? next.agentId : "");
      ctx.toast(`Agent ${agent.name} deleted, with ${gone.conversations} conversation${gone.conversations === 1 ? "" : "s"} and ${gone.leads} lead${gone.leads === 1 ? "" : "s"}.`);
      dispatchEvent(new HashChangeEvent("hashchange"));
    } catch (error) {
      showError(alert, error);
    }
  });
  return card("Delete this agent", h("p", { class: "muted" }, "Everything stored for this agent goes with it."), alert, h("div", { class: "row" }, button));
}

export async function render(view, ctx) {
  // Fresh from the server: another tab may have changed it.
  const fresh = await api("GET", `/v1/agents/${seg(ctx.agent.agentId)}`);
  if (ctx.signal.aborted) return;
  ctx.setAgent(fresh);
  const [integrations, { identitySecret }] = await Promise.all([
    integrationsCard(ctx),
    get(`/v1/agents/${seg(ctx.agent.agentId)}/identity-secret`),
  ]);
  if (ctx.signal.aborted) return;
  view.append(settingsForm(ctx), welcomesCard(ctx), themeCard(ctx), identityCard(ctx, identitySecret), integrations, newAgentCard(ctx), deleteAgentCard(ctx));
}
