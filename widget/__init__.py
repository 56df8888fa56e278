"""An embeddable AI chat widget.

`widget.bus`, `widget.events` and `widget.linkify` are pure Python and ship to the browser;
`widget.frame` runs only in the browser (it imports `js` and `pyodide`); `widget.server` and
`widget.agent` run only on the server.
"""

__version__ = "0.1.0"
