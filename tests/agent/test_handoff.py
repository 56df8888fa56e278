"""The phrases that ask for a person, in English, German, French and Spanish, and the ones that
only mention one; and the notices' languages."""

from __future__ import annotations

import pytest

from widget.agent.handoff import asks_for_person, handoff_notice, nobody_available

ASKS = [
    "Can I talk to a human?",
    "can i speak to a real person please",
    "I want to talk to someone",
    "Agent please",
    "human",
    "Connect me to a representative",
    "Is there anyone there?",
    "I need a human",
    "Ich möchte mit einem Menschen sprechen",
    "Kann ich mit einem Mitarbeiter reden?",
    "Je voudrais parler à quelqu'un",
    "Puis-je parler à une vraie personne ?",
    "Quiero hablar con una persona",
    "¿Puedo hablar con un agente?",
]
MENTIONS = [
    "How much does it cost per person?",
    "What does the agent know about pricing?",
    "Someone told me about your product",
    "Does it work for a team of 5 people?",
    "Wie viele Personen können es nutzen?",
    "Combien de personnes par licence ?",
    "¿Cuántas personas pueden usarlo?",
    "How do I install the widget?",
]


@pytest.mark.parametrize("text", ASKS)
def test_asking_for_a_person_is_recognised(text: str) -> None:
    assert asks_for_person(text), text


@pytest.mark.parametrize("text", MENTIONS)
def test_mentioning_a_person_is_not_asking_for_one(text: str) -> None:
    assert not asks_for_person(text), text


def test_the_notices_follow_the_language_and_fall_back_to_english() -> None:
    assert nobody_available("en") == (
        "Nobody is available right now. Leave your email address and we'll get back to you."
    )
    assert "E-Mail-Adresse" in nobody_available("de")
    assert "adresse e-mail" in nobody_available("fr")
    assert "correo" in nobody_available("es")
    assert handoff_notice("it") == handoff_notice("en") == handoff_notice(None)
