// Knowledge: upload documents (file picker or drag and drop) or add a website, follow each training
// run (its progress, files or pages done of total, while it runs, then its result), and see or
// delete what the agent answers from, by source and document (after a confirmation).
import { del, get, post, seg } from "../api.js";
import { badge, card, clearError, confirmDialog, field, h, reconcile, showError, table, time } from "../dom.js";

const EXTENSIONS = [".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"];
// Sent as their bytes, base64-encoded (contentBase64); the rest is read as text.
const BINARY = [".pdf", ".docx"];
const MAX_BYTES = 1_000_000; // the server's default per-document limit for text
// Base64 grows a file by a third; a training request holds 16 MB by default.
const MAX_BINARY_BYTES = 12_000_000;
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

const isBinary = (file) => BINARY.includes(extensionOf(file.name));

function problemWith(file) {
  const extension = extensionOf(file.name);
  if (extension && !EXTENSIONS.includes(extension)) return `${file.name}: use a PDF, Word (.docx), text, Markdown or HTML file (${EXTENSIONS.join(", ")}).`;
  if (isBinary(file) && file.size > MAX_BINARY_BYTES) return `${file.name} is ${Math.ceil(file.size / 1000)} kB; the limit is 12,000 kB per PDF or Word file.`;
  if (!isBinary(file) && file.size > MAX_BYTES) return `${file.name} is ${Math.ceil(file.size / 1000)} kB; the limit is 1,000 kB per text document.`;
  if (file.size === 0) return `${file.name} is empty.`;
  return null;
}

/** A file's bytes as base64, in slices (one String.fromCharCode call per slice stays small). */
async function base64Of(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

const documentOf = async (file) => (isBinary(file) ? { name: file.name, contentBase64: await base64Of(file) } : { name: file.name, content: await file.text() });

function progressOf(t) {
  if (!t.progress || t.status === "completed") return null;
  const unit = t.url ? "pages" : "files";
  return h("span", { class: "muted progress" }, ` ${t.progress.done} of ${t.progress.total} ${unit}`);
}

function trainingRow(t) {
  const [label, kind] = STATUS[t.status] || [t.status, "muted"];
  const skipped = t.skipped || [];
  const leftOut = skipped.length
    ? h("span", { class: "muted", title: skipped.map((p) => `${p.url}: ${p.reason}`).join("\n") }, `${skipped.length} page${skipped.length === 1 ? "" : "s"} left out`)
    : null;
  return h(
    "tr",
    null,
    h("td", null, `#${t.trainingId}`),
    h("td", { class: "break" }, t.source, t.url ? h("span", { class: "muted" }, ` · ${t.url}`) : null),
    h("td", null, badge(label, kind), progressOf(t)),
    h("td", { class: "num" }, t.dataCount == null ? "—" : String(t.dataCount)),
    h("td", null, time(t.createdAt)),
    h("td", null, time(t.finishedAt)),
    h("td", { class: "break" }, t.error || "", leftOut),
  );
}

export async function render(view, ctx) {
  const agentId = ctx.agent.agentId;
  let chosen = [];
  let sourceTouched = false;

  const input = h("input", {
    type: "file",
    multiple: true,
    accept: [...EXTENSIONS, "text/plain", "text/markdown", "text/html", "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"].join(","),
  });
  const drop = h(
    "div",
    { class: "drop" },
    h("p", { class: "drop-title" }, "Drag PDF, Word, text, Markdown or HTML files here"),
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
      const documents = await Promise.all(chosen.map(documentOf));
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

  // A website: a page or a sitemap URL, crawled on the server (same host, robots.txt obeyed).
  const siteUrl = h("input", { type: "url", maxlength: "2000", autocomplete: "off", spellcheck: "false", placeholder: "https://example.com/sitemap.xml" });
  const siteSource = h("input", { type: "text", maxlength: "200", autocomplete: "off", spellcheck: "false" });
  let siteSourceTouched = false;
  siteSource.addEventListener("input", () => (siteSourceTouched = siteSource.value.trim() !== ""));
  siteUrl.addEventListener("input", () => {
    if (siteSourceTouched) return;
    try {
      siteSource.value = new URL(siteUrl.value.trim()).host;
    } catch {
      siteSource.value = "";
    }
  });
  const siteAlert = h("p", { class: "form-error", role: "alert" });
  const crawl = h("button", { type: "submit", class: "btn primary" }, "Crawl and train");
  const siteForm = h(
    "form",
    { novalidate: true, "aria-label": "Add a website" },
    field("Website URL", siteUrl, "A page or a sitemap of your site. Its pages on the same host are read, as robots.txt allows."),
    field("Website name", siteSource, "The source name of this website. Crawling it again under the same name replaces its pages."),
    siteAlert,
    h("div", { class: "row" }, crawl),
  );
  siteForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError(siteAlert, { url: siteUrl, source: siteSource });
    if (!/^https?:\/\/[^\s/?#]+/i.test(siteUrl.value.trim())) {
      showError(siteAlert, new Error("url: give the address of a page or a sitemap, starting with https://"), { url: siteUrl });
      siteUrl.focus();
      return;
    }
    if (!siteSource.value.trim()) {
      showError(siteAlert, new Error("source: name this website."), { source: siteSource });
      siteSource.focus();
      return;
    }
    crawl.disabled = true;
    try {
      const { trainingId } = await post(`/v1/agents/${seg(agentId)}/training`, { source: siteSource.value.trim(), url: siteUrl.value.trim() });
      ctx.toast(`Training run #${trainingId} started: crawling ${siteUrl.value.trim()}.`);
      siteUrl.value = "";
      siteSource.value = "";
      siteSourceTouched = false;
      await refresh();
    } catch (error) {
      showError(siteAlert, error, { url: siteUrl, source: siteSource });
    } finally {
      crawl.disabled = false;
    }
  });

  await refresh();
  if (ctx.signal.aborted) return;
  view.append(
    card("Upload documents", form),
    card("Add a website", siteForm),
    card("Sources and documents", noSources, sourcesAlert, sourcesList),
    card("Training runs", empty, h("div", { class: "table-wrap" }, runsTable)),
  );
}
