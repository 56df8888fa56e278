// The frame's side of the link to the host page, and the panel until Python runs. It accepts exactly
// one MessagePort from the shim that created this frame (checked by source and by the nonce the shim
// put in our URL) and queues the shim's commands until Python takes over. Meanwhile the composer
// already works: what the visitor sends is shown as pending and kept (in the frame's storage, and
// with the shim for a frame reload) until Python's chat controller takes it and sends it, once.
// Python reaches all this as `window.widgetBridge`.
(function () {
  "use strict";
  // The frame↔shim message types, generated from widget/contracts/protocol.py (`make gen`).
  var MSG = Object.freeze(/*<messages>*/{"connect":"widget:connect","command":"command","compose":"compose","identify":"identify","locale":"locale","hello":"widget:hello","ready":"ready","event":"event","state":"state","request":"request","stash":"stash","report":"report"}/*</messages>*/);
  // The shim put a fresh random nonce in our URL; only its connect message carries it. It stays in
  // the URL so that a reloaded frame can be connected again.
  var nonce = location.hash.slice(1);
  var agentId = new URLSearchParams(location.search).get("agent") || "";
  var DRAFTS_KEY = "widget:" + agentId + ":drafts";

  var storage = true;
  try {
    localStorage.getItem("widget");
  } catch (e) {
    storage = false;
  }
  // widget.reset() (a logout) asks for a fresh frame: forget what this agent's widget stored, before
  // anything reads it. The flag leaves the URL, so that a reload (a boot retry) keeps what follows.
  var url = new URL(location.href);
  if (url.searchParams.has("fresh")) {
    try {
      var prefix = "widget:" + agentId + ":";
      Object.keys(localStorage).forEach(function (key) {
        if (key.indexOf(prefix) === 0) localStorage.removeItem(key);
      });
    } catch (e) {}
    url.searchParams.delete("fresh");
    history.replaceState(null, "", url);
  }

  // The server fills in the agent's public settings; a frame served as a plain file gets defaults.
  var agent = {};
  try {
    agent = JSON.parse(document.getElementById("agent-config").textContent) || {};
  } catch (e) {}

  // The panel's words in the visitor's locale; the server wrote them into the page too, so this
  // is only for what is drawn later and for a switch (widget.setLocale()).
  var words = { locale: "en", dir: "ltr", strings: {} };
  try {
    words = JSON.parse(document.getElementById("frame-strings").textContent) || words;
  } catch (e) {}
  var wanted = words.locale; // the last locale the shim asked for

  function t(key, english) {
    return (words.strings && words.strings[key]) || english;
  }

  // The agent's welcome in the locale (widget.frame.strings.welcome_for chooses the same way).
  function welcome() {
    var own = (agent.welcomeMessages || {})[words.locale];
    if (typeof own == "string" && own.trim()) return own;
    if (typeof agent.welcomeMessage == "string" && agent.welcomeMessage.trim()) return agent.welcomeMessage;
    return t("welcome", "Hi! How can we help you today?");
  }

  // Re-words the panel, Python's elements included: each carries the key of its words.
  var WORDED = [
    ["data-i18n", null],
    ["data-i18n-label", "aria-label"],
    ["data-i18n-title", "title"],
    ["data-i18n-placeholder", "placeholder"],
    ["data-i18n-description", "aria-description"],
  ];
  function applyWords(next) {
    words = next;
    document.documentElement.lang = next.locale;
    document.documentElement.dir = next.dir;
    WORDED.forEach(function (pair) {
      document.querySelectorAll("[" + pair[0] + "]").forEach(function (node) {
        var text = next.strings[node.getAttribute(pair[0])];
        if (typeof text != "string") return;
        if (pair[1]) node.setAttribute(pair[1], text);
        else node.textContent = text;
      });
    });
    if (!agent.name) document.title = t("title", "Chat");
    document.querySelectorAll("[data-welcome]").forEach(function (node) {
      while (node.childNodes.length > 1) node.lastChild.remove();
      node.append(welcome());
    });
    // A reload (a boot retry) keeps the locale.
    var here = new URL(location.href);
    here.searchParams.set("locale", next.locale);
    history.replaceState(null, "", here);
  }

  // widget.setLocale(code) on the host page: the words come from the server (the page carries
  // only the visitor's locale), then Python hears of it for what it draws next.
  function switchLocale(message) {
    wanted = message.locale;
    if (wanted === words.locale) return void (handler && handler(message));
    fetch0(new URL("v1/locales/" + encodeURIComponent(wanted), location.href)).then(function (response) {
      if (!response.ok) throw new Error(response.status + " for " + response.url);
      return response.json();
    }).then(function (next) {
      if (next.locale !== wanted) return; // a later switch overtook this one
      applyWords(next);
      if (handler) handler(message);
    }).catch(function (error) {
      console.error("Parley widget: could not switch the chat to " + wanted + ":", error);
    });
  }

  var port = null;
  var handler = null; // Python's, once it runs
  var backlog = [];
  var outbox = [];
  var failed = false;
  // Sent before Python ran: [{clientId, content}], and the composer's text at a boot retry.
  var drafts = readDrafts();

  function readDrafts() {
    var value = null;
    try {
      value = storage && JSON.parse(localStorage.getItem(DRAFTS_KEY) || "null");
    } catch (e) {}
    return value && Array.isArray(value.pending) ? value : { pending: [], text: "" };
  }

  function saveDrafts() {
    var empty = !drafts.pending.length && !drafts.text;
    if (storage) {
      try {
        if (empty) localStorage.removeItem(DRAFTS_KEY);
        else localStorage.setItem(DRAFTS_KEY, JSON.stringify(drafts));
      } catch (e) {}
    }
    post({ type: MSG.stash, stash: empty ? null : drafts });
  }

  function post(message) {
    if (port) port.postMessage(message);
    else outbox.push(message);
  }

  function $(id) {
    return document.getElementById(id);
  }

  // Focus reaches the textbox only once the shim's un-hiding of this frame has reached our process.
  function focusComposer(tries) {
    var box = $("message");
    if (!box || handler) return;
    box.focus();
    if (document.activeElement !== box && tries > 0) {
      requestAnimationFrame(function () {
        focusComposer(tries - 1);
      });
    }
  }

  function receive(message) {
    if (message && message.type === MSG.locale && typeof message.locale == "string") switchLocale(message);
    else if (handler) handler(message);
    else if (message && message.type === MSG.compose && typeof message.text == "string") {
      // widget.send() and widget.prefill() before Python: the same path as typed text.
      if (message.action === "send") keep(message.text);
      else if (message.action === "prefill" && $("message")) {
        $("message").value = message.text;
        autosize();
      }
    } else {
      backlog.push(message);
      if (message.type === MSG.command && message.name === "open") focusComposer(30);
    }
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (port || event.source !== window.parent || !data || data.type !== MSG.connect) return;
    if (!nonce || data.nonce !== nonce || !event.ports[0]) return;
    // Where the browser names the embedding origin, the connect must come from it.
    var ancestors = location.ancestorOrigins;
    if (ancestors && ancestors.length && event.origin !== ancestors[0]) return;
    port = event.ports[0];
    port.onmessage = function (e) {
      receive(e.data);
    };
    // A frame without storage that reloaded (a boot retry) gets its drafts back from the shim.
    var stash = data.stash;
    if (!storage && !handler && stash && Array.isArray(stash.pending) && !drafts.pending.length) {
      drafts = stash;
      if ($("composer")) showDrafts();
    }
    outbox.splice(0).forEach(function (message) {
      post(message);
    });
  });

  // -- the panel before Python -----------------------------------------------------------------

  function bubble(text) {
    var div = document.createElement("div");
    div.className = "msg user pending";
    var label = document.createElement("span");
    label.className = "visually-hidden";
    label.textContent = t("you", "You: ");
    label.setAttribute("data-i18n", "you");
    div.append(label, document.createTextNode(text));
    $("transcript").append(div);
    $("transcript").scrollTop = $("transcript").scrollHeight;
  }

  function showDrafts() {
    var transcript = $("transcript");
    transcript.replaceChildren();
    var hello = document.createElement("div");
    hello.className = "msg assistant";
    hello.setAttribute("data-welcome", "");
    var label = document.createElement("span");
    label.className = "visually-hidden";
    label.textContent = t("assistant", "Assistant: ");
    label.setAttribute("data-i18n", "assistant");
    hello.append(label, document.createTextNode(welcome()));
    transcript.append(hello);
    drafts.pending.forEach(function (d) {
      bubble(d.content);
    });
    if (drafts.text && !$("message").value) $("message").value = drafts.text;
  }

  function clientId() {
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
  }

  function autosize() {
    var box = $("message");
    box.style.height = "auto";
    box.style.height = Math.min(box.scrollHeight + 2, 120) + "px";
  }

  // The boot failed (offline, a blocked request, a broken file): say so, keep the text, retry.
  function fail(reason) {
    if (handler || failed) return;
    failed = true;
    console.error("Parley widget: the chat could not start:", reason);
    $("status").hidden = true;
    $("boot-error").hidden = false;
  }

  function retry() {
    drafts.text = $("message").value;
    saveDrafts();
    location.reload();
  }

  // Until Python runs, closing is asked of the shim, which hides the frame and sends "close".
  function requestClose() {
    if (!handler) post({ type: MSG.request, name: "close" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") requestClose();
  });
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : event.target.parentElement;
    if (target.closest("#close")) requestClose();
    else if (target.closest("#boot-retry")) retry();
  });

  // What the visitor sends before Python runs is shown as pending and kept; blank text is not.
  function keep(text) {
    if (!text.trim()) return false;
    drafts.pending.push({ clientId: clientId(), content: text });
    saveDrafts();
    bubble(text);
    return true;
  }

  // Inlined after the panel's markup: the panel is there already (see frame.html).
  function setUp() {
    if (agent.name) {
      $("title").textContent = agent.name;
      document.title = agent.name;
    }
    showDrafts();
    $("composer").addEventListener("submit", function (event) {
      if (handler) return; // Python's own listener sends
      event.preventDefault();
      var box = $("message");
      if (!keep(box.value)) return;
      drafts.text = "";
      saveDrafts();
      box.value = "";
      autosize();
      box.focus();
    });
    $("message").addEventListener("keydown", function (event) {
      if (handler) return;
      // Enter sends; Shift+Enter is a new line; Enter that confirms an IME composition is neither.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        $("composer").requestSubmit();
      }
    });
    $("message").addEventListener("input", function () {
      if (!handler) autosize();
    });
    // PyScript reports a failure it catches as a `.py-error` element; we word it for the visitor.
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        record.addedNodes.forEach(function (node) {
          if (node.classList && node.classList.contains("py-error")) fail(node.textContent);
        });
      });
    }).observe(document.body, { childList: true });
  }
  if ($("composer")) setUp();
  else document.addEventListener("DOMContentLoaded", setUp);
  window.addEventListener("unhandledrejection", function (event) {
    fail(event.reason);
  });
  // Pyodide fetches its files with fetch(), and some failures (the wasm) only log a warning and
  // leave the boot hanging: watch the fetches themselves until Python runs.
  var fetch0 = window.fetch;
  function watched(request) {
    return request.then(
      function (response) {
        if (!response.ok) fail(response.status + " for " + response.url);
        return response;
      },
      function (error) {
        fail(error);
        throw error;
      },
    );
  }
  // Pyodide asks for its wasm only once PyScript's modules have run; ask for it now instead, and
  // hand Pyodide this very response, so that streaming compilation (and the browser's cache of
  // compiled code) work as with Pyodide's own request. Not a preload: see widget/build.py.
  var wasmURL = new URL(document.currentScript.dataset.wasm || "pyodide.asm.wasm", location).href;
  var wasm = document.currentScript.dataset.wasm ? watched(fetch0(wasmURL)) : null;
  window.fetch = function (input) {
    if (wasm && String(input) === wasmURL) {
      var early = wasm;
      wasm = null;
      return early;
    }
    var request = fetch0.apply(this, arguments);
    return handler ? request : watched(request);
  };

  window.widgetBridge = {
    storage: storage,
    agentId: agentId,
    // The locale the panel is worded in now (Python words what it draws in it).
    get locale() {
      return words.locale;
    },
    agent: agent,
    post: post,
    fail: fail,
    // Python calls this once with its handler; commands that came first are replayed in order.
    connect: function (fn) {
      handler = fn;
      window.fetch = fetch0;
      backlog.splice(0).forEach(function (message) {
        fn(message);
      });
    },
    // Python takes what was sent before it ran; from now on it alone sends.
    takeDrafts: function () {
      var taken = drafts.pending;
      drafts = { pending: [], text: "" };
      saveDrafts();
      return taken;
    },
  };

  if (window.parent !== window) window.parent.postMessage({ type: MSG.hello }, "*");
})();
