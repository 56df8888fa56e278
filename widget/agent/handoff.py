"""Asking for a person: the phrases that mean it, and the notices the visitor then reads.

`asks_for_person(text)` is true when a visitor message asks to talk to a human ("can I talk to
a person?", "real person please", "agent please", "ich möchte mit einem Menschen sprechen",
"je veux parler à quelqu'un", "quiero hablar con una persona"); the server then hands the
conversation to the owner's team instead of asking the AI. The notices are in English, German,
French and Spanish, as the rule agent's own sentences are; English for any other language.
"""

from __future__ import annotations

import re

_PERSON_EN = (
    r"(?:a\s+|an?\s+actual\s+|a\s+real\s+|a\s+live\s+)?"
    r"(?:human|person|someone|somebody|agent|operator|representative|staff(?:\s+member)?)"
)
_PERSON_DE = (
    r"(?:einem?\s+|einer\s+)?(?:echten?\s+|richtigen?\s+)?"
    r"(?:menschen|mensch|person|mitarbeiter(?:in)?|berater(?:in)?|jemandem|jemand)"
)
_PERSON_FR = (
    r"(?:un(?:e)?\s+)?(?:vraie?\s+|vrai\s+)?"
    r"(?:humain|personne|quelqu'?un|quelqu\u2019un|conseill(?:er|\u00e8re)|agent|op\u00e9rat(?:eur|rice))"
)
_PERSON_ES = (
    r"(?:una?\s+)?(?:persona|humano|alguien|agente|asesor(?:a)?|operador(?:a)?)"
    r"(?:\s+real)?"
)

# Each pattern names a person and a wish to reach one; "person" alone is not enough ("a person
# who buys the Team plan gets ..."), nor is "agent" alone (the AI is an agent too).
_ASKS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # English
        rf"\b(?:talk|speak|chat)\s+(?:to|with)\s+{_PERSON_EN}\b",
        rf"\b(?:connect|transfer|put)\s+me\s+(?:to|with|through\s+to)\s+{_PERSON_EN}\b",
        rf"\b(?:want|need|get)\s+(?:me\s+)?{_PERSON_EN}\b",
        r"\b(?:real|actual|live)\s+(?:person|human|agent)\b",
        r"^\W*(?:an?\s+)?(?:human|person|agent|operator|representative)"
        r"(?:\s+please|\s+pls)?\W*$",
        r"\b(?:human|agent|person|operator)\s+(?:please|pls)\b",
        r"\bis\s+(?:there\s+)?(?:a|any)\s*(?:one|body|human|person)\s+(?:there|available)\b",
        # German
        rf"\b(?:mit|zu)\s+{_PERSON_DE}\s+(?:sprechen|reden|chatten|verbinden)\b",
        rf"\b(?:sprechen|reden)\s+(?:mit|zu)\s+{_PERSON_DE}\b",
        r"\b(?:echten?|richtigen?)\s+(?:menschen|mensch|person|mitarbeiter)\b",
        r"^\W*(?:mensch|mitarbeiter)\s+bitte\W*$",
        # French
        rf"\bparler\s+(?:\u00e0|a|avec)\s+{_PERSON_FR}",
        rf"\b(?:mettre|passer)\s+en\s+(?:contact|relation)\s+avec\s+{_PERSON_FR}",
        r"\b(?:vraie?\s+personne|un\s+humain|personne\s+r\u00e9elle)\b",
        # Spanish
        rf"\bhablar\s+con\s+{_PERSON_ES}\b",
        rf"\b(?:comunicarme|contactar)\s+con\s+{_PERSON_ES}\b",
        r"\b(?:persona\s+real|un\s+humano)\b",
    )
)


def asks_for_person(text: str) -> bool:
    """True when the visitor's message asks to talk to a person instead of the AI."""
    normalized = " ".join(text.replace("\u2019", "'").split())
    return any(pattern.search(normalized) for pattern in _ASKS)


HANDOFF_NOTICE = {
    "en": (
        "I've asked someone from our team to join this conversation. Please stay here: "
        "their reply will appear in this chat."
    ),
    "de": (
        "Ich habe jemanden aus unserem Team gebeten, dieses Gespräch zu übernehmen. Bitte "
        "bleiben Sie hier: die Antwort erscheint in diesem Chat."
    ),
    "fr": (
        "J'ai demandé à quelqu'un de notre équipe de rejoindre cette conversation. Restez ici : "
        "sa réponse apparaîtra dans ce chat."
    ),
    "es": (
        "He pedido a alguien de nuestro equipo que se una a esta conversación. Quédate aquí: "
        "su respuesta aparecerá en este chat."
    ),
}

NOBODY_AVAILABLE = {
    "en": "Nobody is available right now. Leave your email address and we'll get back to you.",
    "de": (
        "Gerade ist niemand erreichbar. Hinterlassen Sie Ihre E-Mail-Adresse, und wir melden "
        "uns bei Ihnen."
    ),
    "fr": (
        "Personne n'est disponible pour le moment. Laissez votre adresse e-mail et nous vous "
        "recontacterons."
    ),
    "es": (
        "No hay nadie disponible en este momento. Deja tu correo electrónico y nos pondremos "
        "en contacto contigo."
    ),
}


# Added to the agent's "I don't know": the visitor may ask for a person instead.
OFFER_PERSON = {
    "en": "You can also ask to talk to a person.",
    "de": "Sie können auch darum bitten, mit einem Menschen zu sprechen.",
    "fr": "Vous pouvez aussi demander à parler à une personne.",
    "es": "También puedes pedir hablar con una persona.",
}


def offer_person(language: str | None) -> str:
    return OFFER_PERSON.get(language or "en", OFFER_PERSON["en"])


def handoff_notice(language: str | None) -> str:
    """What the visitor reads once a person has been asked for."""
    return HANDOFF_NOTICE.get(language or "en", HANDOFF_NOTICE["en"])


def nobody_available(language: str | None) -> str:
    """What the visitor reads when nobody answered in time: the lead flow takes it from here."""
    return NOBODY_AVAILABLE.get(language or "en", NOBODY_AVAILABLE["en"])
