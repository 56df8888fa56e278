// The frame's side of the link to the host page, live before Python is: it accepts exactly one
// MessagePort from the shim that created this frame (checked by source and by the nonce the shim
// put in our URL), queues the shim's commands until Python takes over, and lets the loading panel
// close. Python reaches it as `window.widgetBridge`.
(function () {
  "use strict";
  // The shim put a fresh random nonce in our URL; only its connect message carries it. It stays in
  // the URL so that a reloaded frame can be connected again.
  var nonce = location.hash.slice(1);

  var storage = true;
  try {
    localStorage.getItem("widget");
  } catch (e) {
    storage = false;
  }

  // The server fills in the agent's public settings; a frame served as a plain file gets defaults.
  var agent = {};
  try {
    agent = JSON.parse(document.getElementById("agent-config").textContent) || {};
  } catch (e) {}
  document.addEventListener("DOMContentLoaded", function () {
    if (agent.name) {
      document.getElementById("title").textContent = agent.name;
      document.title = agent.name;
    }
  });

  var port = null;
  var handler = null;
  var backlog = [];
  var outbox = [];

  function post(message) {
    if (port) port.postMessage(message);
    else outbox.push(message);
  }

  function receive(message) {
    if (handler) handler(message);
    else {
      backlog.push(message);
      if (message.type === "command" && message.name === "open") {
        document.getElementById("panel").focus();
      }
    }
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (port || event.source !== window.parent || !data || data.type !== "widget:connect") return;
    if (!nonce || data.nonce !== nonce || !event.ports[0]) return;
    // Where the browser names the embedding origin, the connect must come from it.
    var ancestors = location.ancestorOrigins;
    if (ancestors && ancestors.length && event.origin !== ancestors[0]) return;
    port = event.ports[0];
    port.onmessage = function (e) {
      receive(e.data);
    };
    outbox.splice(0).forEach(function (message) {
      post(message);
    });
  });

  // Until Python runs, closing is asked of the shim, which hides the frame and sends "close".
  function requestClose() {
    if (!handler) post({ type: "request", name: "close" });
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") requestClose();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("#close")) requestClose();
  });

  window.widgetBridge = {
    storage: storage,
    agentId: new URLSearchParams(location.search).get("agent") || "",
    agent: agent,
    post: post,
    // Python calls this once with its handler; commands that came first are replayed in order.
    connect: function (fn) {
      handler = fn;
      backlog.splice(0).forEach(function (message) {
        fn(message);
      });
    },
  };

  if (window.parent !== window) window.parent.postMessage({ type: "widget:hello" }, "*");
})();
