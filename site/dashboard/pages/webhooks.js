// Settings → Webhooks: endpoints (add, secret once, rotate, enable/disable, delete), a test event,
// and the delivery log with redeliver, refreshed every few seconds while it is on screen.
import { del, get, patch, post, seg } from "../api.js";
import { badge, card, clearError, confirmInline, copyText, field, h, newId, reconcile, showError, table, time } from "../dom.js";

const POLL_MS = 2000;
const EXCERPT_CHARS = 160;

let eventsCache = null;
async function webhookEvents() {
  eventsCache ||= get("/v1/webhook-events").then((r) => r.data);
  try {
    return await eventsCache;
  } catch (error) {
    eventsCache = null;
    throw error;
  }
}

function eventCheckboxes(events, checked) {
  const boxes = [];
  const items = events.map(({ event, description }) => {
    const descriptionId = newId("ev");
    const box = h("input", { type: "checkbox", value: event, checked: checked.includes(event), "aria-describedby": descriptionId });
    box.id = newId("event");
    boxes.push(box);
    return h(
      "li",
      { class: "check" },
      box,
      h("div", null, h("label", { for: box.id }, h("code", null, event)), h("p", { class: "hint", id: descriptionId }, description)),
    );
  });
  const setAll = (value) => () => boxes.forEach((b) => (b.checked = value));
  const fieldset = h(
    "fieldset",
    { class: "events" },
    h("legend", null, "Events"),
    h(
      "div",
      { class: "row small" },
      h("button", { type: "button", class: "btn small", onclick: setAll(true) }, "Select all events"),
      h("button", { type: "button", class: "btn small", onclick: setAll(false) }, "Clear events"),
    ),
    h("ul", { class: "checks" }, items),
  );
  return { fieldset, selected: () => boxes.filter((b) => b.checked).map((b) => b.value), first: () => boxes[0] };
}

function endpointStatus(endpoint) {
  if (endpoint.enabled) return endpoint.failingSince ? badge("Failing", "warn") : badge("Enabled", "ok");
  return badge("Disabled", "muted");
}

// ---- The list of endpoints, and the form that adds one -----------------------------------------

async function listPage(view, ctx) {
  const [events, { data: endpoints }] = await Promise.all([webhookEvents(), get("/v1/webhooks")]);
  if (ctx.signal.aborted) return;

  const url = h("input", { type: "url", required: true, autocomplete: "off", spellcheck: "false", placeholder: "https://example.com/webhooks" });
  const choices = eventCheckboxes(events, events.map((e) => e.event));
  const alert = h("p", { class: "form-error", role: "alert" });
  const add = h("button", { type: "submit", class: "btn primary" }, "Add endpoint");
  const form = h(
    "form",
    { novalidate: true, "aria-label": "Add endpoint" },
    field("Endpoint URL", url, "Your server's HTTPS address that receives the events as signed POST requests."),
    choices.fieldset,
    alert,
    h("div", { class: "row" }, add),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError(alert, { url });
    if (!url.value.trim()) {
      showError(alert, new Error("url: enter the address of your webhook receiver."), { url });
      url.focus();
      return;
    }
    const selected = choices.selected();
    if (!selected.length) {
      showError(alert, new Error("events: choose at least one event."));
      choices.first()?.focus();
      return;
    }
    add.disabled = true;
    try {
      const created = await post("/v1/webhooks", { url: url.value.trim(), events: selected });
      ctx.setFlash({ endpointId: created.id, secret: created.secret, reason: "created" });
      ctx.go(`#/webhooks/${seg(created.id)}`);
    } catch (error) {
      showError(alert, error, { url });
      url.focus();
      add.disabled = false;
    }
  });

  let listing;
  if (endpoints.length) {
    const { el, body } = table("Endpoints", ["URL", "Events", "Status", "Created"], { hideCaption: true });
    body.append(
      ...endpoints.map((e) =>
        h(
          "tr",
          null,
          h("td", { class: "break" }, h("a", { href: `#/webhooks/${seg(e.id)}` }, e.url)),
          h("td", null, e.events.length === events.length ? "All events" : e.events.join(", ")),
          h("td", null, endpointStatus(e)),
          h("td", null, time(e.createdAt)),
        ),
      ),
    );
    listing = h("div", { class: "table-wrap" }, el);
  } else {
    listing = h("p", { class: "muted" }, "No endpoints yet. Add one below to receive events on your server.");
  }

  view.append(
    card(
      "Endpoints",
      h("p", { class: "muted" }, "Each event is POSTed as JSON, signed the Standard Webhooks way (", h("code", null, "webhook-id"), ", ", h("code", null, "webhook-timestamp"), ", ", h("code", null, "webhook-signature"), "), and retried with backoff until your server answers 2xx."),
      listing,
    ),
    card("Add endpoint", form),
  );
}

// ---- One endpoint: secret, actions, test event, delivery log -----------------------------------

function secretPanel(secret, reason, onDone) {
  const input = h("input", { type: "text", readOnly: true, value: secret, spellcheck: "false", class: "mono" });
  const copy = h("button", { type: "button", class: "btn primary" }, "Copy secret");
  const status = h("span", { class: "form-ok", role: "status" });
  copy.addEventListener("click", async () => {
    const ok = await copyText(secret);
    status.textContent = ok ? "Copied." : "Copying was refused: select the secret and press Ctrl+C.";
  });
  input.addEventListener("focus", () => input.select());
  const done = h("button", { type: "button", class: "btn", onclick: onDone }, "Done");
  return h(
    "section",
    { class: "secret", "aria-labelledby": "secret-title" },
    h("h2", { id: "secret-title", class: "card-title" }, reason === "rotated" ? "Your new signing secret" : "Your signing secret"),
    h(
      "p",
      null,
      "Copy it now and store it with your receiver: this is the only time it is shown in full.",
      reason === "rotated" ? " The previous secret keeps signing beside it for 24 hours, so you can switch without missing a delivery." : "",
    ),
    field("Signing secret", input),
    h("div", { class: "row" }, copy, done, status),
  );
}

function attemptSummary(attempt) {
  if (!attempt) return "—";
  const reply = attempt.responseBody ?? attempt.error ?? "";
  return reply.length > EXCERPT_CHARS ? `${reply.slice(0, EXCERPT_CHARS)}…` : reply;
}

function deliveryStatus(d) {
  if (d.status === "succeeded") return badge("Succeeded", "ok");
  if (d.status === "failed") return badge("Failed", "bad");
  if (d.status === "cancelled") return badge("Cancelled", "muted");
  return badge(d.attemptCount ? "Retrying" : "Pending", "info");
}

function deliveryRow(d, redeliver) {
  const last = d.attempts[d.attempts.length - 1];
  const attempts = d.attempts.length
    ? h(
        "details",
        { dataset: { control: "attempts" } },
        h("summary", null, `${d.attempts.length} attempt${d.attempts.length === 1 ? "" : "s"}`),
        h(
          "ol",
          { class: "attempts" },
          d.attempts.map((a) =>
            h(
              "li",
              null,
              time(a.attemptedAt),
              ` · ${a.statusCode ?? "no response"} · ${a.latencyMs} ms`,
              a.error ? h("span", { class: "bad-text" }, ` · ${a.error}`) : "",
              a.responseBody ? h("pre", { class: "excerpt" }, a.responseBody) : "",
            ),
          ),
        ),
      )
    : h("span", { class: "muted" }, "not sent yet");
  const button = h("button", { type: "button", class: "btn small", dataset: { control: "redeliver" }, disabled: (d.status === "pending" && !d.attemptCount) || d.status === "cancelled" }, "Redeliver");
  button.addEventListener("click", () => redeliver(d, button));
  return h(
    "tr",
    null,
    h("td", null, h("code", null, d.event), d.test ? [" ", badge("test", "muted")] : ""),
    h("td", null, time(last ? last.attemptedAt : d.createdAt)),
    h("td", null, deliveryStatus(d), d.cancelReason ? h("div", { class: "hint" }, d.cancelReason) : "", d.status === "pending" && d.nextAttemptAt && d.attemptCount ? h("div", { class: "hint" }, "next ", time(d.nextAttemptAt)) : ""),
    h("td", { class: "num" }, last?.statusCode == null ? "—" : String(last.statusCode)),
    h("td", { class: "num" }, last ? `${last.latencyMs} ms` : "—"),
    h("td", { class: "break" }, h("code", { class: "excerpt-inline" }, attemptSummary(last)), attempts),
    h("td", null, button),
  );
}

async function endpointPage(view, ctx, endpointId) {
  const path = `/v1/webhooks/${seg(endpointId)}`;
  const [events, first] = await Promise.all([webhookEvents(), get(path)]);
  if (ctx.signal.aborted) return;
  ctx.setTitle("Webhook endpoint");
  let endpoint = first;

  const secretHost = h("div");
  const flash = ctx.takeFlash();
  const showSecret = (secret, reason) => {
    const panel = secretPanel(secret, reason, () => {
      secretHost.replaceChildren();
      actionsHost.querySelector("button")?.focus();
    });
    secretHost.replaceChildren(panel);
    panel.querySelector("input").focus();
  };

  // Summary and actions.
  const summary = h("div");
  const actionsHost = h("div", { class: "row" });
  const confirmHost = h("div");
  const actionAlert = h("p", { class: "form-error", role: "alert" });

  const renderSummary = () => {
    summary.replaceChildren(
      h("h2", { class: "card-title break" }, endpoint.url),
      h(
        "dl",
        { class: "facts" },
        h("dt", null, "Status"),
        h("dd", null, endpointStatus(endpoint), endpoint.disabledReason ? h("span", { class: "muted" }, ` ${endpoint.disabledReason}`) : ""),
        h("dt", null, "Signing secret"),
        h("dd", null, h("code", null, endpoint.maskedSecret), endpoint.previousSecretExpiresAt ? h("span", { class: "muted" }, [" · previous secret valid until ", time(endpoint.previousSecretExpiresAt)]) : ""),
        h("dt", null, "Events"),
        h("dd", null, endpoint.events.length === events.length ? "All events" : endpoint.events.map((e, i) => [i ? ", " : "", h("code", null, e)])),
        h("dt", null, "Endpoint ID"),
        h("dd", null, h("code", null, endpoint.id)),
      ),
    );
    const rotate = h("button", { type: "button", class: "btn" }, "Rotate secret");
    const toggle = h("button", { type: "button", class: "btn" }, endpoint.enabled ? "Disable" : "Enable");
    const remove = h("button", { type: "button", class: "btn danger-ghost" }, "Delete endpoint");
    rotate.addEventListener("click", async () => {
      const ok = await confirmInline(confirmHost, "Rotate the signing secret? The current one keeps working for 24 hours beside the new one.", "Rotate now", rotate);
      if (!ok) return;
      try {
        const { secret } = await post(`${path}/rotate-secret`);
        endpoint = await get(path); // the masked form, as every later view shows it
        renderSummary();
        showSecret(secret, "rotated");
        ctx.toast("Secret rotated.");
      } catch (error) {
        showError(actionAlert, error);
        rotate.focus();
      }
    });
    toggle.addEventListener("click", async () => {
      actionAlert.textContent = "";
      try {
        endpoint = await patch(path, { enabled: !endpoint.enabled });
        renderSummary();
        actionsHost.querySelector("button:nth-child(2)")?.focus();
        ctx.toast(endpoint.enabled ? "Endpoint enabled: new events will be delivered." : "Endpoint disabled: no events are sent to it until you enable it.");
      } catch (error) {
        showError(actionAlert, error);
      }
    });
    remove.addEventListener("click", async () => {
      const ok = await confirmInline(confirmHost, "Delete this endpoint and its delivery log? This cannot be undone.", "Delete", remove);
      if (!ok) return;
      try {
        await del(path);
        ctx.toast("Endpoint deleted.");
        ctx.go("#/webhooks");
      } catch (error) {
        showError(actionAlert, error);
        remove.focus();
      }
    });
    actionsHost.replaceChildren(rotate, toggle, remove);
  };
  const refreshEndpoint = async () => {
    const fresh = await get(path);
    if (ctx.signal.aborted || JSON.stringify(fresh) === JSON.stringify(endpoint)) return;
    const focused = actionsHost.contains(document.activeElement) ? [...actionsHost.children].indexOf(document.activeElement) : -1;
    endpoint = fresh;
    renderSummary();
    if (focused >= 0) actionsHost.children[focused]?.focus();
  };
  renderSummary();

  // Test event.
  const testSelect = h(
    "select",
    null,
    events.map((e) => h("option", { value: e.event, selected: e.event === "lead.captured" }, e.event)),
  );
  const testButton = h("button", { type: "submit", class: "btn" }, "Send test event");
  const testAlert = h("p", { class: "form-error", role: "alert" });
  const testHint = h("p", { class: "hint", id: newId("hint") }, "Sends the event with sample data to this endpoint only.");
  testSelect.setAttribute("aria-describedby", testHint.id);
  const testForm = h(
    "form",
    { novalidate: true, "aria-label": "Send a test event" },
    h("div", { class: "toolbar" }, field("Test event", testSelect), testButton),
    testHint,
  );

  // Delivery log.
  const { el: logTable, body: logBody } = table("Delivery log", ["Event", "Time", "Status", "HTTP", "Latency", "Response", "Action"], { hideCaption: true });
  const logEmpty = h("p", { class: "muted" }, "No deliveries yet. Send a test event, or chat with the widget.");
  const refreshButton = h("button", { type: "button", class: "btn small" }, "Refresh");
  const updated = h("span", { class: "muted small-text" });
  const logAlert = h("p", { class: "form-error", role: "alert" });

  const redeliver = async (delivery, button) => {
    logAlert.textContent = "";
    button.disabled = true;
    try {
      await post(`${path}/deliveries/${seg(delivery.id)}/redeliver`);
      ctx.toast(`Redelivery of ${delivery.event} queued.`);
      await refreshLog();
    } catch (error) {
      logAlert.textContent = error.message;
      button.disabled = false;
    }
  };

  let timer = 0;
  let loading = null;
  const refreshLog = async () => {
    if (loading) return loading;
    loading = (async () => {
      try {
        const { data } = await get(`${path}/deliveries?limit=50`);
        if (ctx.signal.aborted) return;
        logEmpty.hidden = data.length > 0;
        logTable.hidden = data.length === 0;
        reconcile(logBody, data, (d) => d.id, (d) => deliveryRow(d, redeliver));
        updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
      } finally {
        loading = null;
      }
    })();
    return loading;
  };
  const poll = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      if (ctx.signal.aborted) return;
      if (!document.hidden) {
        try {
          await Promise.all([refreshLog(), refreshEndpoint()]);
        } catch {
          // A failed refresh is retried on the next tick; a refused key signs out via the API.
        }
      }
      poll();
    }, POLL_MS);
  };
  ctx.onCleanup(() => clearTimeout(timer));
  refreshButton.addEventListener("click", () => refreshLog().catch((e) => (logAlert.textContent = e.message)));

  testForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    testAlert.textContent = "";
    testButton.disabled = true;
    try {
      await post(`${path}/test`, { event: testSelect.value });
      ctx.toast(`Test ${testSelect.value} queued: watch it arrive in the delivery log.`);
      await refreshLog();
    } catch (error) {
      testAlert.textContent = error.message;
    } finally {
      testButton.disabled = false;
    }
  });

  await refreshLog();
  if (ctx.signal.aborted) return;
  view.append(
    h("p", null, h("a", { href: "#/webhooks", class: "back" }, "← All endpoints")),
    secretHost,
    h("section", { class: "card", "aria-label": "Endpoint" }, summary, h("div", { class: "actions" }, actionsHost, confirmHost, actionAlert)),
    card(
      "Delivery log",
      testForm,
      testAlert,
      h("div", { class: "row spread" }, h("p", { class: "muted" }, "Newest first; refreshes every few seconds."), h("div", { class: "row" }, updated, refreshButton)),
      logAlert,
      logEmpty,
      h("div", { class: "table-wrap" }, logTable),
    ),
  );
  if (flash && flash.endpointId === endpointId) showSecret(flash.secret, flash.reason);
  poll();
}

export async function render(view, ctx, endpointId) {
  if (endpointId) await endpointPage(view, ctx, endpointId);
  else await listPage(view, ctx);
}
