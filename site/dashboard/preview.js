// The Install page's live preview: load the widget for ?agent=<agentId> as the snippet does.
// The snippet's inline stub is left out (this page allows no inline script); widget.js works alone.
(() => {
  "use strict";
  const query = new URLSearchParams(location.search);
  const agent = query.get("agent") || "";
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(agent)) {
    document.addEventListener("DOMContentLoaded", () => {
      const note = document.createElement("p");
      note.textContent = "This preview needs ?agent=<agentId>.";
      document.querySelector("main").append(note);
    });
    return;
  }
  const script = document.createElement("script");
  script.async = true;
  script.src = "/widget.js";
  script.dataset.agentId = agent;
  // The agent's theme, as the snippet's data-* carry it (widget.js checks the values).
  for (const key of ["color", "side", "launcherLabel", "scheme"]) if (query.has(key)) script.dataset[key] = query.get(key);
  document.head.append(script);
})();
