"""The wire contracts that cross a boundary, declared once: the frame↔shim messages (`protocol`),
the chat HTTP bodies (`chat`) and the client event names (`client_events`, generated).

Shipped to the browser and imported at the frame's start, so they are plain `TypedDict`s and
literals: no pydantic (it loads only after the widget is ready).
"""
