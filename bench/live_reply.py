"""The owner's reply to the visitor's screen: from the admin API's `POST .../replies` to the
reply's bubble in the frame's DOM, in headless Chromium, over the conversation's live stream.

A visitor opens the chat on the host page and asks for a person; then one reply at a time, each
after the last was drawn. A MutationObserver in the frame stamps each new bubble on the epoch
clock (`performance.timeOrigin + performance.now()`), the POST is stamped on the same clock in
this process just before it is sent: both are the machine's one clock on loopback.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from bench import browser
from bench.report import Row
from bench.servers import ADMIN_KEY, BenchError
from bench.stats import median, percentile

GOAL_MS = 100

# In the frame: the epoch time each person's bubble appeared, by its text.
OBSERVER = """() => {
  window.__shown = {};
  const transcript = document.getElementById("transcript");
  new MutationObserver((records) => {
    const at = performance.timeOrigin + performance.now();
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.classList && node.classList.contains("person")) {
          const text = node.lastChild ? node.lastChild.textContent : "";
          if (!(text in window.__shown)) window.__shown[text] = at;
        }
      }
    }
  }).observe(transcript, { childList: true });
}"""


def measure(pw: Any, tmp: Path, server_url: str, page_url: str, replies: int) -> list[float]:
    """Delays (ms) of `replies` owner replies, each from its POST to its bubble on screen."""
    with browser.profile(pw, tmp) as page:
        page.goto(page_url)
        page.wait_for_function("() => window.__bench && window.__bench.t.ready", timeout=90_000)
        page.get_by_role("button", name="Open chat", exact=True).click()
        frame = browser.widget_frame(page)
        frame.get_by_role("button", name="Talk to a person").first.click()
        frame.wait_for_function(
            "() => localStorage.getItem('widget:ag_demo:conversation')", timeout=30_000
        )
        stored = frame.evaluate(
            "() => JSON.parse(localStorage.getItem('widget:ag_demo:conversation'))"
        )
        conversation_id = stored["conversationId"]
        frame.wait_for_function(
            "() => document.querySelector('.live-status')?.textContent", timeout=30_000
        )
        frame.evaluate(OBSERVER)
        delays: list[float] = []
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        with httpx.Client(base_url=server_url, headers=headers, timeout=30) as admin:
            for n in range(replies):
                text = f"Reply {n} from the bench"
                sent = time.time() * 1000
                response = admin.post(
                    f"/v1/conversations/{conversation_id}/replies",
                    json={"content": text, "authorName": "Bench"},
                )
                if response.status_code != 201:
                    raise BenchError(f"reply refused: {response.status_code} {response.text}")
                shown = frame.wait_for_function(
                    f"() => window.__shown[{text!r}]", timeout=30_000, polling=10
                ).json_value()
                delays.append(float(shown) - sent)
    return delays


def rows(delays: list[float]) -> list[Row]:
    p50, p99 = median(delays), percentile(delays, 99)
    return [
        Row(
            "live",
            "owner reply → visitor's screen, p50 (ms)",
            p50,
            None,
            None,
            f"< {GOAL_MS} ms",
            p50 < GOAL_MS,
            note=f"p99 {p99:.0f} ms over {len(delays)} replies",
        )
    ]
