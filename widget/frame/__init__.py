"""The widget's UI inside its frame. Browser-only: these modules import `js` and `pyodide.ffi`."""
