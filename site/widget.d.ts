// Generated from widget/events.py by `make gen`: do not edit by hand.
// Types for host pages that embed the chat widget. Add this file to your TypeScript program
// (tsconfig "include", or /// <reference path="widget.d.ts" />) and `widget.on(...)` is checked.

/** What `widget_opened` callbacks receive. */
export interface WidgetOpenedPayload {}

/** What `widget_closed` callbacks receive. */
export interface WidgetClosedPayload {}

/** What `conversation_started` callbacks receive. */
export interface ConversationStartedPayload {
  /** The new conversation's id. */
  conversationId: string;
}

/** What `message_sent` callbacks receive. */
export interface MessageSentPayload {
  /** The visitor's text as sent. */
  message: string;
  /** The conversation the message belongs to. */
  conversationId: string;
}

/** What `message_received` callbacks receive. */
export interface MessageReceivedPayload {
  /** The agent's reply as shown. */
  message: string;
  /** The conversation the reply belongs to. */
  conversationId: string;
}

/** What `lead_captured` callbacks receive. */
export interface LeadCapturedPayload {
  /** The conversation in which the lead was captured. */
  conversationId: string;
}

/** What `unread_count_changed` callbacks receive. */
export interface UnreadCountChangedPayload {
  /** Agent replies that arrived while the panel was closed; 0 once it opens. */
  count: number;
}

/** Every event a host page can subscribe to, and the data its callback receives. */
export interface WidgetEventMap {
  /** The chat widget opens. */
  widget_opened: WidgetOpenedPayload;
  /** The chat widget closes. */
  widget_closed: WidgetClosedPayload;
  /** First message in a new conversation. */
  conversation_started: ConversationStartedPayload;
  /** User sends a message. */
  message_sent: MessageSentPayload;
  /** AI responds. */
  message_received: MessageReceivedPayload;
  /** AI captures a lead via the lead-capture tool. */
  lead_captured: LeadCapturedPayload;
  /** Agent replies arrive while the panel is closed, or the panel opens and clears them. */
  unread_count_changed: UnreadCountChangedPayload;
}

export type WidgetEventName = keyof WidgetEventMap;

/** A UI language of the widget; `setLocale` also takes a tag naming one ("de-AT" is `de`). */
export type WidgetLocale = "en" | "de" | "fr" | "es" | "ar";

/** `window.widget`: usable at once; calls made before the widget is live are replayed in order. */
export interface Widget {
  /**
   * Calls `callback` on every `event`. Returns a function that unsubscribes; calling it twice is
   * harmless. An unknown event name or a callback that is not a function throws a TypeError.
   */
  on<K extends WidgetEventName>(event: K, callback: (data: WidgetEventMap[K]) => void): () => void;
  /** Like `on`, but calls `callback` on the next `event` only. */
  once<K extends WidgetEventName>(event: K, callback: (data: WidgetEventMap[K]) => void): () => void;
  /** Removes `callback` from `event`. */
  off<K extends WidgetEventName>(event: K, callback: (data: WidgetEventMap[K]) => void): void;
  /** Opens the chat panel. */
  open(): void;
  /** Closes the chat panel. */
  close(): void;
  /** Opens the chat panel if it is closed, closes it if it is open. */
  toggle(): void;
  /**
   * Starts the widget now, whatever its loading policy (`data-load`), and returns `ready`. The
   * default policy, `intent`, otherwise waits for the visitor to point at, focus or open the chat.
   */
  load(): Promise<void>;
  /**
   * Forgets the visitor's conversation (a logout) and starts afresh, without a page reload. The
   * panel stays open or closed; `ready` does not fire again.
   */
  reset(): void;
  /**
   * Removes the launcher, the frame, every listener and `window.widget` itself (an unmount). Load
   * the snippet again for a new widget.
   */
  destroy(): void;
  /**
   * With `data-consent="required"` on the tag, the widget loads and stores nothing until
   * `consent(true)` or the visitor opens the chat. `consent(false)` withdraws: the panel closes
   * and the frame is removed.
   */
  consent(granted: boolean): void;
  /**
   * Sends `text` as the visitor (the panel opens), in order with what the visitor types; works
   * before the widget is live. Blank text sends nothing; a non-string throws a TypeError.
   */
  send(text: string): void;
  /** Puts `text` in the composer for the visitor to edit and send; a non-string throws. */
  prefill(text: string): void;
  /**
   * Identifies the page's signed-in user: `userHash` is hex HMAC-SHA256(the agent's identity
   * secret, userId), computed by your server. The user's open conversation follows them across
   * devices; a refused identity is reported with console.error. `reset()` forgets it.
   */
  identify(user: {
    userId: string;
    userHash?: string;
    email?: string;
    name?: string;
    attributes?: Record<string, unknown>;
  }): void;
  /**
   * Switches the launcher and the chat (open or not, started or not) to `locale`, keeping the
   * conversation and the composer's text. An unsupported locale or a non-string throws a
   * TypeError naming the supported ones. Without it: `data-locale`, else the browser's languages.
   */
  setLocale(locale: WidgetLocale | `${WidgetLocale}-${string}`): void;
  /** Resolves when the widget is live (Python and its UI have started). */
  readonly ready: Promise<void>;
  /** The names of every event, in the order of the event table. */
  readonly events: readonly WidgetEventName[];
}

declare global {
  interface Window {
    widget: Widget;
  }
  var widget: Widget;
}
