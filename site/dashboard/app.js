// The dashboard shell: sign-in, the current agent, navigation between pages (#/install, …).
import { adminKey, api, whenUnauthorized } from "./api.js";
import { h } from "./dom.js";
import * as agentPage from "./pages/agent.js";
import * as conversationsPage from "./pages/conversations.js";
import * as inboxPage from "./pages/inbox.js";
import * as installPage from "./pages/install.js";
import * as knowledgePage from "./pages/knowledge.js";
import * as leadsPage from "./pages/leads.js";
import * as webhooksPage from "./pages/webhooks.js";

const ROUTES = {
  install: { title: "Install", group: "Your agent", page: installPage },
  agent: { title: "Agent", group: "Your agent", page: agentPage },
  knowledge: { title: "Knowledge", group: "Your agent", page: knowledgePage },
  inbox: { title: "Inbox", group: "Activity", page: inboxPage },
  leads: { title: "Leads", group: "Activity", page: leadsPage },
  conversations: { title: "Conversations", group: "Activity", page: conversationsPage },
  webhooks: { title: "Webhooks", group: "Settings", page: webhooksPage },
};
const DEFAULT_ROUTE = "install";
const AGENT_KEY = "parley.agent";

const $ = (id) => document.getElementById(id);
const signin = $("signin");
const signinForm = $("signin-form");
const keyInput = $("admin-key");
const signinError = $("signin-error");
const app = $("app");
const agentSelect = $("agent-select");
const pageTitle = $("page-title");
const crumbs = $("crumbs");
const pageEl = $("page");
const toastEl = $("toast");

const state = { agents: [], agentId: sessionStorage.getItem(AGENT_KEY), flash: null, render: null };

let toastTimer = 0;
function toast(message) {
  clearTimeout(toastTimer);
  toastEl.textContent = message;
  toastEl.classList.add("shown");
  toastEl.dataset.at = String(Date.now());
  toastTimer = setTimeout(() => {
    toastEl.classList.remove("shown");
    toastEl.textContent = "";
  }, 6000);
}

function currentAgent() {
  return state.agents.find((a) => a.agentId === state.agentId) || state.agents[0] || null;
}

function fillAgentSelect() {
  const current = currentAgent();
  agentSelect.replaceChildren(
    ...state.agents.map((a) => h("option", { value: a.agentId, selected: a === current }, `${a.name} (${a.agentId})`)),
  );
  state.agentId = current ? current.agentId : null;
}

async function loadAgents(selectId) {
  state.agents = (await api("GET", "/v1/agents")).data;
  if (selectId) state.agentId = selectId;
  if (state.agentId) sessionStorage.setItem(AGENT_KEY, state.agentId);
  fillAgentSelect();
}

// What every page gets. `signal` aborts when the reader leaves the page; `onCleanup` runs then.
function pageContext(signal, cleanups) {
  return {
    signal,
    onCleanup: (fn) => cleanups.push(fn),
    get agent() {
      return currentAgent();
    },
    get agents() {
      return state.agents;
    },
    setAgent(updated) {
      state.agents = state.agents.map((a) => (a.agentId === updated.agentId ? updated : a));
      fillAgentSelect();
    },
    async selectAgent(agentId) {
      await loadAgents(agentId);
      sessionStorage.setItem(AGENT_KEY, agentId);
    },
    setTitle(title) {
      pageTitle.textContent = title;
      document.title = `${title} · Parley dashboard`;
    },
    go(hash) {
      location.hash = hash;
    },
    // One-shot hand-over between pages (a new endpoint's secret): read once, then gone.
    setFlash(value) {
      state.flash = value;
    },
    takeFlash() {
      const value = state.flash;
      state.flash = null;
      return value;
    },
    toast,
  };
}

function parseRoute() {
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  if (!ROUTES[name]) return { name: DEFAULT_ROUTE, param: null, known: false };
  let param = null;
  try {
    param = rest.length ? decodeURIComponent(rest.join("/")) : null;
  } catch {
    param = null;
  }
  return { name, param, known: true };
}

function leavePage() {
  if (!state.render) return;
  state.render.controller.abort();
  for (const fn of state.render.cleanups.splice(0)) fn();
  state.render = null;
}

async function showPage({ focus = true } = {}) {
  if (app.hidden) return;
  const route = parseRoute();
  if (!route.known) history.replaceState(null, "", `#/${DEFAULT_ROUTE}`);
  leavePage();
  const { title, group, page } = ROUTES[route.name];
  const controller = new AbortController();
  const cleanups = [];
  state.render = { controller, cleanups };

  for (const link of document.querySelectorAll(".sidebar a")) {
    if (link.getAttribute("href") === `#/${route.name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  crumbs.textContent = group;
  const ctx = pageContext(controller.signal, cleanups);
  ctx.setTitle(title);
  const view = h("div", { class: "view" });
  pageEl.replaceChildren(view);
  if (focus) pageTitle.focus();
  if (!currentAgent() && route.name !== "webhooks") {
    view.append(h("p", { class: "notice" }, "There is no agent on this server yet."));
    return;
  }
  try {
    await page.render(view, ctx, route.param);
  } catch (error) {
    if (controller.signal.aborted) return;
    view.replaceChildren(h("p", { class: "notice bad", role: "alert" }, error.message || String(error)));
  }
}

function showSignIn(message = "") {
  leavePage();
  pageEl.replaceChildren();
  app.hidden = true;
  signin.hidden = false;
  signinError.textContent = message;
  if (message) keyInput.setAttribute("aria-invalid", "true");
  keyInput.focus();
}

// `focus`: after signing in, the page title takes the focus; a reloaded tab starts from the top,
// where the skip link is.
async function enter({ focus = true } = {}) {
  signin.hidden = true;
  app.hidden = false;
  fillAgentSelect();
  await showPage({ focus });
}

function signOut(message) {
  adminKey.clear();
  showSignIn(message);
}

signinForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (!key) {
    signinError.textContent = "Enter the admin key to sign in.";
    keyInput.setAttribute("aria-invalid", "true");
    keyInput.focus();
    return;
  }
  const button = signinForm.querySelector("button");
  button.disabled = true;
  signinError.textContent = "";
  try {
    const { data: agents } = await api("GET", "/v1/agents", undefined, { key });
    adminKey.set(key);
    keyInput.value = "";
    keyInput.removeAttribute("aria-invalid");
    state.agents = agents;
    await enter();
  } catch (error) {
    signinError.textContent =
      error.status === 401
        ? "That admin key is not valid. Use the key the server printed when it started (or WIDGET_ADMIN_KEY)."
        : error.message;
    keyInput.setAttribute("aria-invalid", "true");
    keyInput.focus();
    keyInput.select();
  } finally {
    button.disabled = false;
  }
});
keyInput.addEventListener("input", () => keyInput.removeAttribute("aria-invalid"));

$("signout").addEventListener("click", () => signOut(""));
$("skip").addEventListener("click", (event) => {
  event.preventDefault(); // the hash holds the route; focus the content instead
  $("main").focus();
});
agentSelect.addEventListener("change", () => {
  state.agentId = agentSelect.value;
  sessionStorage.setItem(AGENT_KEY, state.agentId);
  showPage({ focus: false });
});
addEventListener("hashchange", () => showPage());
whenUnauthorized(() => signOut("The server no longer accepts this admin key. Sign in again."));

async function boot() {
  if (!adminKey.get()) return showSignIn();
  try {
    await loadAgents();
  } catch (error) {
    adminKey.clear();
    return showSignIn(error.status === 401 ? "The server no longer accepts this admin key. Sign in again." : error.message);
  }
  await enter({ focus: false });
}
boot();
