"""The messages between the host page's shim (`site/widget.js`) and its frame (`frame-boot.js`,
then `widget.frame`), declared once.

Two channels. Before they are linked, the frame says `hello` to its parent window and the shim
answers `connect`, transferring a MessagePort (checked by source, origin and the nonce it put in
the frame's URL). Every other message goes over that port.

`make gen` writes each message's `type` into both scripts (their `MSG` object), and
tests/contracts/test_protocol.py checks that each message the scripts build carries exactly the
fields declared here. Python builds its messages with these TypedDicts, so mypy checks them.
"""

from __future__ import annotations

from typing import Any, Final, Literal, TypedDict, cast, get_args, get_type_hints

from widget.contracts.client_events import ClientEventName
from widget.contracts.locales import Locale, supported_locale

CommandName = Literal["open", "close"]


class Draft(TypedDict):
    """A message the visitor sent before Python ran; its `clientId` makes sending it idempotent."""

    clientId: str
    content: str


class Drafts(TypedDict):
    """What the visitor sent before Python ran, and the composer's text at a boot retry."""

    pending: list[Draft]
    text: str


# -- on the frame's window, before the port exists ------------------------------------------------


class Hello(TypedDict):
    """frame → shim (to `window.parent`): the frame's document runs; link it."""

    type: Literal["widget:hello"]


class Connect(TypedDict):
    """shim → frame, transferring the port: the frame's nonce, and the drafts the shim kept for a
    frame without storage that reloaded (a boot retry)."""

    type: Literal["widget:connect"]
    nonce: str
    stash: Drafts | None


# -- on the port ----------------------------------------------------------------------------------

ComposeAction = Literal["send", "prefill"]


class Compose(TypedDict):
    """shim → frame: the host page's `widget.send(text)` (sent as the visitor) or
    `widget.prefill(text)` (put in the composer, not sent)."""

    type: Literal["compose"]
    action: ComposeAction
    text: str


class Identity(TypedDict, total=False):
    """What the host page's `widget.identify()` passes; `userHash` is HMAC-SHA256(identity
    secret, userId) in hex, computed by the page's backend."""

    userId: str
    userHash: str
    email: str
    name: str
    attributes: dict[str, Any]


class Identify(TypedDict):
    """shim → frame: the host page's `widget.identify()`, checked by the shim."""

    type: Literal["identify"]
    identity: Identity


class SetLocale(TypedDict):
    """shim → frame: the host page's `widget.setLocale(code)`, a supported locale (the shim
    checked it); frame-boot.js re-words the panel, then hands it to Python."""

    type: Literal["locale"]
    locale: Locale


class Command(TypedDict):
    """shim → frame: the host page or the launcher opened or closed the panel; `seq` counts them."""

    type: Literal["command"]
    name: CommandName
    seq: int


class Ready(TypedDict):
    """frame → shim: Python and the UI are live (`widget.ready` resolves)."""

    type: Literal["ready"]


class EventMessage(TypedDict):
    """frame → shim: a client event for the host page's `widget.on` listeners, payload validated."""

    type: Literal["event"]
    name: ClientEventName
    data: dict[str, Any]


class State(TypedDict):
    """frame → shim: the panel's state, once the frame has handled the command numbered `ack`."""

    type: Literal["state"]
    open: bool
    ack: int


class CloseRequest(TypedDict):
    """frame → shim, before Python runs: the close button or Escape; the shim closes the panel."""

    type: Literal["request"]
    name: Literal["close"]


class Stash(TypedDict):
    """frame → shim: the drafts, kept by the shim for a frame reload (null when there are none)."""

    type: Literal["stash"]
    stash: Drafts | None


class Report(TypedDict):
    """frame → shim: something the host page's developer should read (a refused identity); the
    shim logs it with `console.error`."""

    type: Literal["report"]
    text: str


# Keyed by the name the scripts use: `MSG.hello` is "widget:hello".
TO_FRAME: Final[dict[str, type]] = {
    "connect": Connect,
    "command": Command,
    "compose": Compose,
    "identify": Identify,
    "locale": SetLocale,
}
TO_SHIM: Final[dict[str, type]] = {
    "hello": Hello,
    "ready": Ready,
    "event": EventMessage,
    "state": State,
    "request": CloseRequest,
    "stash": Stash,
    "report": Report,
}
MESSAGES: Final[dict[str, type]] = {**TO_FRAME, **TO_SHIM}

# What Python posts to the shim (the rest come from frame-boot.js).
FrameMessage = Ready | EventMessage | State | Report


def message_type(message: type) -> str:
    """The `type` value of a message declared above, e.g. "widget:hello" for `Hello`."""
    (value,) = get_args(get_type_hints(message)["type"])
    return str(value)


def message_fields(message: type) -> frozenset[str]:
    """The fields of a message declared above, `type` included."""
    return frozenset(get_type_hints(message))


def as_command(data: object) -> Command | None:
    """`data` as a `Command` when it is a well-formed one (it comes from another window)."""
    if not isinstance(data, dict) or data.get("type") != "command":
        return None
    name, seq = data.get("name"), data.get("seq")
    if name not in get_args(CommandName) or not isinstance(seq, int) or isinstance(seq, bool):
        return None
    return Command(type="command", name=cast(CommandName, name), seq=seq)


def as_compose(data: object) -> Compose | None:
    """`data` as a `Compose` when it is a well-formed one."""
    if not isinstance(data, dict) or data.get("type") != "compose":
        return None
    action, text = data.get("action"), data.get("text")
    if action not in get_args(ComposeAction) or not isinstance(text, str):
        return None
    return Compose(type="compose", action=cast(ComposeAction, action), text=text)


def as_identity(data: object) -> Identity | None:
    """The `identity` of an `Identify` message when it is well formed (the shim checked it; the
    frame checks again, as the message comes from another window)."""
    if not isinstance(data, dict) or data.get("type") != "identify":
        return None
    identity = data.get("identity")
    if not isinstance(identity, dict):
        return None
    user_id = identity.get("userId")
    if not isinstance(user_id, str) or not user_id.strip():
        return None
    result = Identity(userId=user_id)
    for key in ("userHash", "email", "name"):
        value = identity.get(key)
        if isinstance(value, str):
            result[key] = value
    attributes = identity.get("attributes")
    if isinstance(attributes, dict):
        result["attributes"] = attributes
    return result


def as_locale(data: object) -> Locale | None:
    """The locale of a `SetLocale` message when it names a supported one exactly."""
    if not isinstance(data, dict) or data.get("type") != "locale":
        return None
    locale = data.get("locale")
    return supported_locale(locale) if supported_locale(locale) == locale else None
