// Install: the agent's embed snippet, ready to paste, and the widget live on a preview page.
import { ApiError, seg } from "../api.js";
import { card, copyText, h } from "../dom.js";

async function snippetTemplate() {
  const response = await fetch("/snippet.html", { cache: "no-cache", credentials: "omit" });
  if (!response.ok) throw new ApiError(response.status, "snippet", "This server has no /snippet.html; run `make build`.");
  return response.text();
}

// The theme goes on the tag, not fetched: the launcher is drawn before the widget loads anything
// from its server (data-load="intent"), so its colour, side and label must be on the page.
const DEFAULT_THEME = { color: "#4f46e5", side: "right", launcherLabel: "", scheme: "light" };
const THEME_ATTRIBUTES = { color: "data-color", side: "data-side", launcherLabel: "data-launcher-label", scheme: "data-scheme" };
const escapeAttribute = (value) => value.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;");

/** The tag's data-* for the agent's theme: only what differs from the widget's defaults. */
export function themeAttributes(theme) {
  return Object.entries(THEME_ATTRIBUTES)
    .filter(([key]) => theme[key] !== DEFAULT_THEME[key])
    .map(([key, attribute]) => ` ${attribute}="${escapeAttribute(theme[key])}"`)
    .join("");
}

export async function render(view, ctx) {
  const agent = ctx.agent;
  const widgetUrl = new URL("/widget.js", location.origin).href;
  const snippet = (await snippetTemplate())
    .replaceAll("{{WIDGET_URL}}", widgetUrl)
    .replaceAll('data-agent-id="{{AGENT_ID}}"', `data-agent-id="{{AGENT_ID}}"${themeAttributes(agent.theme)}`)
    .replaceAll("{{AGENT_ID}}", agent.agentId)
    .trim();
  if (ctx.signal.aborted) return;

  const code = h("pre", { class: "code", tabindex: "0", "aria-label": "Snippet to paste" }, h("code", null, snippet));
  const copy = h("button", { type: "button", class: "btn primary" }, "Copy snippet");
  copy.addEventListener("click", async () => {
    const ok = await copyText(snippet);
    ctx.toast(ok ? "Snippet copied to the clipboard." : "Copying was refused: select the snippet and press Ctrl+C.");
  });

  const origins = agent.allowedOrigins;
  const previewable = origins.includes("*") || origins.includes(location.origin);
  let preview;
  if (previewable) {
    const look = new URLSearchParams(Object.entries(agent.theme).filter(([key, value]) => value !== DEFAULT_THEME[key]));
    const src = `/dashboard/preview.html?agent=${seg(agent.agentId)}${look.size ? `&${look}` : ""}`;
    const frame = h("iframe", { class: "preview", title: "Widget preview", src, loading: "lazy" });
    const reload = h("button", { type: "button", class: "btn" }, "Reload preview");
    reload.addEventListener("click", () => {
      frame.src = `${src}&t=${Date.now()}`;
    });
    preview = card(
      "Live preview",
      h("p", { class: "muted" }, "Your widget on a blank page of this server. Click the launcher at the bottom right to chat with ", h("strong", null, agent.name), "."),
      frame,
      h("div", { class: "row" }, reload),
    );
  } else {
    preview = card(
      "Live preview",
      h(
        "p",
        { class: "notice" },
        `This agent may be embedded only on ${origins.length ? origins.join(", ") : "no site yet"}. To preview it here, add ${location.origin} to its allowed origins on the `,
        h("a", { href: "#/agent" }, "Agent page"),
        ".",
      ),
    );
  }

  view.append(
    h(
      "div",
      { class: "grid-2" },
      card(
        "Embed snippet",
        h("p", { class: "muted" }, "Paste this into every page that should show the chat, just before ", h("code", null, "</body>"), ". The launcher appears at once; ", h("code", null, "widget.on(…)"), " works straight away."),
        code,
        h("div", { class: "row" }, copy),
        h("h3", null, "Next steps"),
        h(
          "ol",
          { class: "steps" },
          h("li", null, h("a", { href: "#/knowledge" }, "Upload your documents"), " so the agent answers from them."),
          h("li", null, h("a", { href: "#/agent" }, "Name your agent"), " and list the sites allowed to embed it."),
          h("li", null, h("a", { href: "#/webhooks" }, "Add a webhook"), " to get leads and conversations on your server."),
        ),
      ),
      preview,
    ),
  );
}
