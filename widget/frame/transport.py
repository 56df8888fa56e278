"""The frame's HTTP transport for `ChatApi`: the browser's own `fetch`.

Not `pyodide.http`: importing it costs ~200 ms of the frame's start, and `fetch` is all we need.
"""

from __future__ import annotations

import js  # type: ignore[import-not-found]
from pyodide.ffi import to_js  # type: ignore[import-not-found]


async def browser_fetch(
    method: str, url: str, headers: dict[str, str], body: str | None
) -> tuple[int, str]:
    options: dict[str, object] = {"method": method, "headers": headers}
    if body is not None:
        options["body"] = body
    response = await js.fetch(url, to_js(options, dict_converter=js.Object.fromEntries))
    text = await response.text()
    return int(response.status), str(text)
