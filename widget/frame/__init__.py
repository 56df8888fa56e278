"""The widget's UI inside its frame.

`app` wires the browser's parts (`browser`, the only module importing `js` and `pyodide`; `panel`
and `view` over DOM objects it hands them) to `controller` and `chat`, which are pure Python over
`interfaces` and run under CPython in tests/frame. `page/` holds the frame's HTML, CSS and boot
script, which the build turns into build/frame.html.
"""
