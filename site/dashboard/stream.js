// A Server-Sent Events stream of the admin API, read with fetch() so that the admin key goes in
// the Authorization header (EventSource can send no header, and the key must never be in a URL).
// Reconnects with backoff (1 s, doubling, at most 30 s) and Last-Event-ID; `onOpen` runs on every
// (re)connection, so a page refetches what it shows and nothing said while it was away is missed.
import { adminKey } from "./api.js";

const FIRST_DELAY = 1000;
const MAX_DELAY = 30_000;

const pause = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

/** Lines to events, as the WHATWG rules say: `event:`, `data:`, `id:`, comments; CR, LF, CRLF. */
export class SseParser {
  constructor() {
    this.rest = "";
    this.data = [];
    this.event = "";
    this.lastEventId = "";
  }

  feed(text) {
    const events = [];
    let buffer = this.rest + text;
    // A CR at the very end may be the first half of a CRLF: hold it until the next chunk.
    const held = buffer.endsWith("\r") ? "\r" : "";
    if (held) buffer = buffer.slice(0, -1);
    const lines = buffer.split(/\r\n|\r|\n/);
    this.rest = lines.pop() + held;
    for (const line of lines) {
      if (!line) {
        if (this.data.length) events.push({ event: this.event || "message", data: this.data.join("\n"), id: this.lastEventId });
        this.data = [];
        this.event = "";
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const name = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (name === "event") this.event = value;
      else if (name === "data") this.data.push(value);
      else if (name === "id" && !value.includes("\0")) this.lastEventId = value;
    }
    return events;
  }
}

/** Follow `path` until `signal` aborts: `onEvent({event, data, id})` per event, `onOpen()` per
 * connection, `onState("live" | "reconnecting")` as the link comes and goes. */
export async function follow(path, { signal, onEvent, onOpen = () => {}, onState = () => {} }) {
  let delay = FIRST_DELAY;
  let lastEventId = "";
  while (!signal.aborted) {
    try {
      const headers = { Authorization: `Bearer ${adminKey.get() ?? ""}`, Accept: "text/event-stream" };
      if (lastEventId) headers["Last-Event-ID"] = lastEventId;
      const response = await fetch(path, { headers, signal, cache: "no-store", credentials: "omit" });
      if (response.status === 401 || response.status === 403) return onState("refused");
      if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
      delay = FIRST_DELAY;
      onState("live");
      onOpen();
      const parser = new SseParser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const event of parser.feed(value)) {
          if (event.id) lastEventId = event.id;
          onEvent(event);
        }
      }
    } catch {
      // A dropped connection, a server restart, or the page left (signal): try again below.
    }
    if (signal.aborted) return;
    onState("reconnecting");
    await pause(delay, signal);
    delay = Math.min(delay * 2, MAX_DELAY);
  }
}
