// Knowledge: upload documents (file picker or drag and drop), follow each training run, and see
// or delete what the agent answers from, by source and document (after a confirmation).
import { del, get, post, seg } from "../api.js";
import { badge, card, clearError, confirmDialog, field, h, reconcile, showError, table, time } from "../dom.js";

const EXTENSIONS = [".txt", ".md", ".markdown", ".html", ".htm"];
const MAX_BYTES = 1_000_000; // the server's per-document limit
const POLL_MS = 1000;
const STATUS = {
  pending: ["Pending", "info"],
  running: ["Running", "info"],
  completed: ["Completed", "ok"],
  failed: ["Failed", "bad"],
};

const extensionOf = (name) => {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot).toLowerCase() : "";
};

function problemWith(file) {
  const extension = extensionOf(file.name);
  if (extension && !EXTENSIONS.includes(extension)) return `${file.name}: use a text, Markdown or HTML file (${EXTENSIONS.join(", ")}).`;
  if (file.size > MAX_BYTES) return `${file.name} is ${Math.ceil(file.size / 1000)} kB; the limit is 1,000 kB per document.`;
  if (file.size === 0) return `${file.name} is empty.`;
  return null;
}

function trainingRow(t) {
  const [label, kind] = STATUS[t.status] || [t.status, "muted"];
  return h(
    "tr",
    null,
    h("td", null, `#${t.trainingId}`),
    h("td", { class: "break" }, t.source),
    h("td", null, badge(label, kind)),
    h("td", { class: "num" }, t.dataCount == null ? "—" : String(t.dataCount)),
    h("td", null, time(t.createdAt)),
    h("td", null, time(t.finishedAt)),
    h("td", { class: "break" }, t.error || ""),
  );
}

export async function render(view, ctx) {
  const agentId = ctx.agent.agentId;
  let chosen = [];
  let sourceTouched = false;

  const input = h("input", { type: "file", multiple: true, accept: [...EXTENSIONS, "text/plain", "text/markdown", "text/html"].join(",") });
  const drop = h(
    "div",
    { class: "drop" },
    h("p", { class: "drop-title" }, "Drag text, Markdown or HTML files here"),
    h("p", { class: "muted" }, "or choose them with the file picker:"),
    field("Documents", input),
  );
  const chosenList = h("ul", { class: "chosen", "aria-live": "polite" });
  const source = h("input", { type: "text", maxlength: "200", autocomplete: "off", spellcheck: "false" });
  source.addEventListener("input", () => (sourceTouched = source.value.trim() !== ""));
  const alert = h("p", { class: "form-error", role: "alert" });
  const upload = h("button", { type: "submit", class: "btn primary" }, "Upload and train");

  const choose = (files) => {
    clearError(alert, { documents: input });
    chosen = [...files];
    chosenList.replaceChildren(...chosen.map((f) => h("li", null, h("span", { class: "break" }, f.name), h("span", { class: "muted" }, ` · ${Math.max(1, Math.round(f.size / 1000))} kB`))));
    if (!sourceTouched && chosen.length) {
      source.value = chosen.length === 1 ? chosen[0].name : `${chosen[0].name} and ${chosen.length - 1} more`;
    }
    const problems = chosen.map(problemWith).filter(Boolean);
    if (problems.length) showError(alert, new Error(problems.join(" ")), { documents: input });
  };
  input.addEventListener("change", () => choose(input.files));
  for (const type of ["dragenter", "dragover"]) {
    drop.addEventListener(type, (event) => {
      event.preventDefault();
      drop.classList.add("dragging");
    });
  }
  drop.addEventListener("dragleave", (event) => {
    if (!drop.contains(event.relatedTarget)) drop.classList.remove("dragging");
  });
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("dragging");
    input.value = "";
    choose(event.dataTransfer.files);
  });

  // A file dropped beside the zone would make the browser open it and leave the dashboard.
  const ignoreDrop = (event) => {
    if (!drop.contains(event.target)) event.preventDefault();
  };
  document.addEventListener("dragover", ignoreDrop);
  document.addEventListener("drop", ignoreDrop);
  ctx.onCleanup(() => {
    document.removeEventListener("dragover", ignoreDrop);
    document.removeEventListener("drop", ignoreDrop);
  });

  const form = h(
    "form",
    { novalidate: true, "aria-label": "Upload documents" },
    drop,
    chosenList,
    field("Source", source, "A name for this set of documents. Uploading a document again under the same name in the same source replaces it."),
    alert,
    h("div", { class: "row" }, upload),
  );

  const { el: runsTable, body: runsBody } = table("Training runs", ["Run", "Source", "Status", "Data count", "Started", "Finished", "Error"], {
    hideCaption: true,
  });
  const empty = h("p", { class: "muted" }, "No documents yet: the agent answers from what you upload here.");
  const sourcesList = h("ul", { class: "sources", "aria-label": "Sources" });
  const noSources = h("p", { class: "muted" }, "The agent has no knowledge yet.");
  const sourcesAlert = h("p", { class: "form-error", role: "alert" });
  const chunks = (n) => `${n} chunk${n === 1 ? "" : "s"}`;
  const removeKnowledge = async ({ path, title, body, label, button }) => {
    const ok = await confirmDialog({ title, body, confirmLabel: label, returnTo: button });
    if (!ok) return;
    sourcesAlert.textContent = "";
    try {
      const gone = await del(path);
      ctx.toast(`Deleted ${gone.documents} document${gone.documents === 1 ? "" : "s"} (${chunks(gone.chunks)}).`);
      await refresh();
      sourcesList.querySelector("button")?.focus();
    } catch (error) {
      sourcesAlert.textContent = error.message;
    }
  };
  const sourceItem = (s) => {
    const base = `/v1/agents/${seg(agentId)}/sources/${seg(s.source)}`;
    const removeSource = h("button", { type: "button", class: "btn small danger-ghost", "aria-label": `Delete source ${s.source}` }, "Delete source");
    removeSource.addEventListener("click", () =>
      removeKnowledge({
        path: base,
        title: `Delete source ${s.source}?`,
        body: `The agent stops answering from its ${s.documents.length} document${s.documents.length === 1 ? "" : "s"} (${s.documents.map((d) => d.name).join(", ")}; ${chunks(s.chunkCount)}) at once. Upload them again to bring them back.`,
        label: "Delete source",
        button: removeSource,
      }),
    );
    return h(
      "li",
      null,
      h("div", { class: "row" }, h("strong", { class: "break" }, s.source), h("span", { class: "muted" }, chunks(s.chunkCount)), removeSource),
      h(
        "ul",
        null,
        s.documents.map((d) => {
          const remove = h("button", { type: "button", class: "btn small danger-ghost", "aria-label": `Delete document ${d.name} from ${s.source}` }, "Delete");
          remove.addEventListener("click", () =>
            removeKnowledge({
              path: `${base}/documents/${d.name.split("/").map(seg).join("/")}`,
              title: `Delete document ${d.name}?`,
              body: `The agent stops answering from ${d.name} (source ${s.source}, ${chunks(d.chunkCount)}) at once. Upload it again to bring it back.`,
              label: "Delete document",
              button: remove,
            }),
          );
          return h("li", null, h("span", { class: "break" }, d.name), h("span", { class: "muted" }, `${chunks(d.chunkCount)} · trained `, time(d.trainedAt)), remove);
        }),
      ),
    );
  };

  let timer = 0;
  const refresh = async () => {
    clearTimeout(timer);
    const [{ data: trainings }, { data: sources }] = await Promise.all([
      get(`/v1/agents/${seg(agentId)}/training`),
      get(`/v1/agents/${seg(agentId)}/sources`),
    ]);
    if (ctx.signal.aborted) return;
    noSources.hidden = sources.length > 0;
    reconcile(sourcesList, sources, (s) => s.source, sourceItem);
    empty.hidden = trainings.length > 0;
    runsTable.hidden = trainings.length === 0;
    reconcile(runsBody, trainings, (t) => t.trainingId, trainingRow);
    if (trainings.some((t) => t.status === "pending" || t.status === "running")) {
      timer = setTimeout(() => refresh().catch(() => {}), POLL_MS);
    }
  };
  ctx.onCleanup(() => clearTimeout(timer));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError(alert, { documents: input, source });
    if (!chosen.length) {
      showError(alert, new Error("documents: choose at least one file to upload."), { documents: input });
      input.focus();
      return;
    }
    const problems = chosen.map(problemWith).filter(Boolean);
    if (problems.length) {
      showError(alert, new Error(problems.join(" ")), { documents: input });
      input.focus();
      return;
    }
    if (!source.value.trim()) {
      showError(alert, new Error("source: name this set of documents."), { source });
      source.focus();
      return;
    }
    upload.disabled = true;
    try {
      const documents = await Promise.all(chosen.map(async (file) => ({ name: file.name, content: await file.text() })));
      const { trainingId } = await post(`/v1/agents/${seg(agentId)}/training`, { source: source.value.trim(), documents });
      ctx.toast(`Training run #${trainingId} started with ${documents.length} document${documents.length === 1 ? "" : "s"}.`);
      chosen = [];
      input.value = "";
      source.value = "";
      sourceTouched = false;
      chosenList.replaceChildren();
      await refresh();
    } catch (error) {
      showError(alert, error, { source, documents: input });
    } finally {
      upload.disabled = false;
    }
  });

  await refresh();
  if (ctx.signal.aborted) return;
  view.append(card("Upload documents", form), card("Sources and documents", noSources, sourcesAlert, sourcesList), card("Training runs", empty, h("div", { class: "table-wrap" }, runsTable)));
}
