"""Knowledge in German, French and Spanish: each document's language, questions matched in the
visitor's language, and the agent's own sentences in that language."""

from __future__ import annotations

import pytest

from bench.answer_quality import GOAL, misses, run, scores
from bench.quality_set import BIKE_RENTAL, GERMAN_SHOP
from widget.agent.core import AgentReply, RuleAgent, Turn, visitor_language
from widget.agent.demo import DEMO_AGENT, demo_chunks
from widget.agent.knowledge import Chunk, KnowledgeIndex, chunk_document
from widget.agent.language import detect_language, normalize_language
from widget.agent.leads import LeadDetails


def index_of(documents: list[tuple[str, str]]) -> KnowledgeIndex:
    return KnowledgeIndex(c for name, text in documents for c in chunk_document(name, text))


SHOP = index_of(GERMAN_SHOP)
RENTAL = index_of(BIKE_RENTAL)


def ask(index: KnowledgeIndex, message: str, history: list[Turn] | None = None) -> AgentReply:
    return RuleAgent().respond(DEMO_AGENT, history or [], message, index)


def documents(reply: AgentReply) -> list[str]:
    return [source.document for source in reply.sources]


def test_each_document_gets_its_language_detected_or_declared() -> None:
    assert {c.document: c.language for c in SHOP.chunks} == dict.fromkeys(
        [name for name, _ in GERMAN_SHOP], "de"
    )
    assert dict(zip((c.document for c in RENTAL.chunks), RENTAL.chunk_languages, strict=True)) == {
        "tarifs.md": "fr",
        "reservation.md": "fr",
        "equipement.md": "fr",
        "tarifas.md": "es",
        "reservas.md": "es",
        "equipamiento.md": "es",
    }
    [declared] = chunk_document("notes.txt", "Ciao a tutti, benvenuti.", language="it-IT")
    assert declared.language == "it"
    assert normalize_language("pt_BR") == "pt" and normalize_language("xx") is None
    assert detect_language("ok") is None  # too short to tell


def test_the_german_question_from_the_report_finds_its_answer_in_german() -> None:
    # A short German document added to the demo agent's English knowledge, as in the report.
    german = chunk_document(
        "versand.txt",
        "Wir versenden alle Bestellungen innerhalb von zwei Werktagen. Sie können per PayPal, "
        "Kreditkarte oder auf Rechnung bezahlen.",
    )
    index = KnowledgeIndex([*demo_chunks(), *german])
    reply = ask(index, "Wie lange dauert der Versand?")
    assert reply.language == "de"
    assert documents(reply) == ["versand.txt"]
    assert "Wir versenden alle Bestellungen innerhalb von zwei Werktagen." in reply.content
    # An English question still meets the English documents.
    assert documents(ask(index, "How much does the Team plan cost?")) == ["pricing.md"]


@pytest.mark.parametrize(
    ("question", "document", "quote"),
    [
        ("Welche Zahlungsarten gibt es?", "zahlung.md", "PayPal, Kreditkarte"),
        ("Was kostet der Versand nach Österreich?", "versand.md", "9,90 Euro"),
        ("Wie lange habe ich Zeit für eine Rückgabe?", "rueckgabe.md", "30 Tage"),
        ("Wann hat euer Laden geöffnet?", "kontakt.md", "10 bis 19 Uhr"),
        ("Wie lange dauert der Versnad?", "versand.md", "zwei Werktagen"),  # a typo
    ],
)
def test_german_paraphrases_are_answered_from_the_german_shop(
    question: str, document: str, quote: str
) -> None:
    reply = ask(SHOP, question)
    assert document in documents(reply)
    assert quote in reply.content
    assert reply.language == "de"


@pytest.mark.parametrize(
    ("question", "document", "quote", "language"),
    [
        ("Combien coûte un vélo électrique ?", "tarifs.md", "30 euros la journée", "fr"),
        ("Que faire en cas de crevaison ?", "equipement.md", "moins d'une heure", "fr"),
        ("Quels sont vos horaires d'ouverture ?", "reservation.md", "de 9 h à 19 h", "fr"),
        ("¿Cuánto cuesta una bicicleta eléctrica?", "tarifas.md", "30 euros al día", "es"),
        ("¿Puedo cancelar la reserva gratis?", "reservas.md", "48 horas", "es"),
    ],
)
def test_french_and_spanish_questions_meet_the_pages_in_their_language(
    question: str, document: str, quote: str, language: str
) -> None:
    reply = ask(RENTAL, question)
    assert reply.language == language
    # "tarifs.md" and "tarifas.md" say the same in two languages: the visitor's one answers.
    assert documents(reply) == [document]
    assert quote in reply.content


@pytest.mark.parametrize(
    ("index", "message", "start"),
    [
        (SHOP, "Hallo!", "Hallo! Was möchten Sie wissen?"),
        (SHOP, "Danke schön", "Gern geschehen!"),
        (SHOP, "Tschüss", "Danke für Ihren Besuch!"),
        (RENTAL, "Bonjour", "Bonjour ! Que souhaitez-vous savoir ?"),
        (RENTAL, "Merci beaucoup !", "Avec plaisir !"),
        (RENTAL, "¡Hola!", "¡Hola! ¿Qué te gustaría saber?"),
        (RENTAL, "Muchas gracias", "¡De nada!"),
        (SHOP, "Hello", "Hello! What would you like to know?"),
    ],
)
def test_small_talk_is_answered_in_the_visitors_language(
    index: KnowledgeIndex, message: str, start: str
) -> None:
    reply = ask(index, message)
    assert reply.content.startswith(start)
    assert reply.sources == []


@pytest.mark.parametrize(
    ("index", "question", "language", "phrase"),
    [
        (SHOP, "Verkauft ihr auch Fahrräder?", "de", "Das weiß ich leider nicht"),
        (RENTAL, "Proposez-vous des visites guidées en bateau ?", "fr", "je ne connais pas"),
        (RENTAL, "¿Organizan excursiones en barco?", "es", "no sé la respuesta"),
    ],
)
def test_i_dont_know_is_said_in_the_visitors_language(
    index: KnowledgeIndex, question: str, language: str, phrase: str
) -> None:
    reply = ask(index, question)
    assert reply.language == language
    assert phrase in reply.content
    assert reply.sources == []


def test_lead_thanks_and_steering_come_in_german() -> None:
    reply = ask(SHOP, "Meine E-Mail ist jana@example.de")
    assert reply.lead == LeadDetails(email="jana@example.de")
    assert reply.content.startswith(
        "Danke! Ich habe Ihre E-Mail-Adresse (jana@example.de) notiert."
    )
    history = [Turn("user", "Meine E-Mail ist jana@example.de"), Turn("assistant", reply.content)]
    again = ask(SHOP, "jana@example.de", history)
    assert again.content.startswith("Danke, Ihre Angaben habe ich schon")
    pricing = ask(SHOP, "Gibt es einen Rabatt für Vereine?")
    assert "Dazu habe ich leider keine Informationen." in pricing.content
    assert "Namen und Ihre E-Mail-Adresse" in pricing.content


def test_a_short_message_takes_the_language_of_the_conversation() -> None:
    history = [Turn("user", "Wie lange dauert der Versand?"), Turn("assistant", "...")]
    assert visitor_language("Und PayPal?", history, SHOP) == "de"
    assert visitor_language("PayPal?", [], SHOP) == "de"  # the knowledge's language
    assert visitor_language("PayPal?", [], KnowledgeIndex([Chunk("a", "x", "en")])) == "en"


def test_answer_quality_meets_the_goals_in_every_language() -> None:
    outcomes = run()
    assert len(outcomes) >= 60
    assert {o.question.language for o in outcomes} == {"en", "de", "fr", "es"}
    out_of_scope = sum(1 for o in outcomes if not o.question.expected)
    assert out_of_scope * 3 >= len(outcomes) - 2
    for score in scores(outcomes):
        assert score.hit_rate >= GOAL, (score, misses(outcomes))
        assert score.refusal_rate >= GOAL, (score, misses(outcomes))
