"""The default agent on the demo knowledge: real answers, honest gaps, steering, lead capture."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

from widget.agent.answers import Source
from widget.agent.core import AgentReply, RuleAgent, Turn, lead_from_history
from widget.agent.demo import DEMO_AGENT, DEMO_DOCUMENTS, demo_index
from widget.agent.knowledge import Chunk, KnowledgeIndex
from widget.agent.leads import LeadDetails

pytestmark = pytest.mark.anyio

INDEX = demo_index()
DEMO_TEXT = "\n".join(content for _, content in DEMO_DOCUMENTS)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def ask(
    message: str, history: Sequence[Turn] = (), index: KnowledgeIndex = INDEX
) -> AgentReply:
    return await RuleAgent().reply(DEMO_AGENT, history, message, index)


def assert_taken_from_the_documents(reply: AgentReply) -> None:
    """Every sentence of an answer is in the knowledge: nothing made up."""
    flat = " ".join(DEMO_TEXT.replace("`", "").split())
    for line in reply.content.split("\n\n"):
        words = " ".join(line.lstrip("- ").split())
        if reply.sources and not words.startswith(("If you", "I'd be", "To reach", "Our team")):
            assert words[:60] in flat, words


async def test_what_the_product_does() -> None:
    reply = await ask("What does this product do?")
    assert reply.sources == [Source("overview.md")]
    assert "embeddable AI chat widget" in reply.content
    assert reply.lead is None
    assert_taken_from_the_documents(reply)


async def test_how_much_it_costs_gives_the_plans_and_asks_for_contact_details() -> None:
    reply = await ask("How much does it cost?")
    assert reply.sources == [Source("pricing.md")]
    for plan in ("Free plan: $0", "Team plan: $29", "Business plan: $99"):
        assert plan in reply.content
    assert "leave your name and email address" in reply.content
    assert reply.lead is None
    assert_taken_from_the_documents(reply)


async def test_hubspot_integration() -> None:
    reply = await ask("Do you integrate with HubSpot?")
    assert reply.sources == [Source("crm-integrations.md")]
    assert "Parley integrates with HubSpot and Pipedrive" in reply.content
    assert_taken_from_the_documents(reply)


async def test_installation_gives_the_snippet() -> None:
    reply = await ask("How do I install it?")
    assert reply.sources == [Source("installation.md")]
    assert (
        '<script async src="https://YOUR-SERVER/widget.js" data-agent-id="ag_demo"></script>'
        in reply.content
    )
    assert "```" not in reply.content and "`" not in reply.content


async def test_an_answer_is_a_passage_not_the_whole_document() -> None:
    reply = await ask("How are webhook deliveries retried?")
    assert reply.sources == [Source("webhooks.md")]
    assert "retried with backoff" in reply.content
    webhooks = dict(DEMO_DOCUMENTS)["webhooks.md"]
    assert len(reply.content) < len(webhooks) / 2


@pytest.mark.parametrize(
    "question",
    ["Do you sell pizza?", "What's the weather like in Paris?", "Can I pay with bitcoin?"],
)
async def test_an_unknown_question_gets_an_honest_i_dont_know(question: str) -> None:
    reply = await ask(question)
    assert "don't" in reply.content and "information" in reply.content
    assert reply.sources == []
    assert reply.lead is None
    # No invented facts: no prices, no product claims, only the offer to connect.
    assert "$" not in reply.content
    assert "email address" in reply.content


async def test_unknown_with_no_knowledge_at_all() -> None:
    reply = await ask("How do I install it?", index=KnowledgeIndex([]))
    assert "I don't know" in reply.content
    assert reply.sources == []


@pytest.mark.parametrize(
    ("message", "asks"),
    [
        ("Can I get a demo?", "set up a demo"),
        ("pricing?", "quote"),
        ("Is it expensive?", "quote"),
        ("I want to talk to sales", "reach our team"),
        ("Can someone call me?", "phone number"),
        ("I'll email you later", "reach our team"),
    ],
)
async def test_pricing_demo_and_contact_intents_ask_for_name_and_email(
    message: str, asks: str
) -> None:
    reply = await ask(message)
    assert asks in reply.content
    assert "name and email address" in reply.content
    assert reply.lead is None


async def test_an_intent_with_a_known_email_does_not_ask_again() -> None:
    history = [Turn("user", "I'm Jane, jane@acme.com"), Turn("assistant", "Thanks, Jane!")]
    reply = await ask("Can I get a demo?", history)
    closing = reply.content.split("\n\n")[-1]  # the agent's own words after any quoted passage
    assert "jane@acme.com" in closing
    assert "leave your name" not in closing
    assert reply.lead is None


async def test_an_email_address_fires_the_lead_capture_tool() -> None:
    reply = await ask("I'm Jane Doe from Acme Inc, jane@acme.com, +1 234 567 8900")
    assert reply.lead == LeadDetails(
        email="jane@acme.com", name="Jane Doe", phone="+1 234 567 8900", company="Acme Inc"
    )
    assert reply.content.startswith("Thanks, Jane!")
    assert "jane@acme.com" in reply.content
    assert "in touch" in reply.content


async def test_a_lead_with_a_question_gets_the_answer_too() -> None:
    reply = await ask("jane@acme.com - how much does the Team plan cost?")
    assert reply.lead == LeadDetails(email="jane@acme.com")
    assert reply.content.startswith("Thanks!")
    assert "$29" in reply.content
    assert reply.sources == [Source("pricing.md")]


@pytest.mark.parametrize(
    "message", ["I'll email you later", "email me", "my email is coming", "jane at acme dot com"]
)
async def test_no_lead_without_an_email_address(message: str) -> None:
    assert (await ask(message)).lead is None


async def test_one_lead_per_conversation_later_details_update_it() -> None:
    history = [
        Turn("user", "Hi, what does it cost?"),
        Turn("assistant", "Plans..."),
        Turn("user", "I'm Jane, jane@acme.com"),
        Turn("assistant", "Thanks, Jane!"),
    ]
    assert lead_from_history(history) == LeadDetails(email="jane@acme.com", name="Jane")

    reply = await ask("My phone is +44 20 7946 0958 and I work at Globex", history)
    assert reply.lead == LeadDetails(
        email="jane@acme.com", name="Jane", phone="+44 20 7946 0958", company="Globex"
    )
    assert "updated your phone number and company" in reply.content

    again = await ask("jane@acme.com", history)
    assert again.lead == LeadDetails(email="jane@acme.com", name="Jane")
    assert "already have your details" in again.content

    # A plain question after the lead leaves the lead alone.
    question = await ask("Do you integrate with HubSpot?", history)
    assert question.lead is None


async def test_the_new_message_repeated_at_the_end_of_history_is_read_once() -> None:
    message = "jane@acme.com"
    reply = await ask(message, [Turn("user", message)])
    assert reply.content.startswith("Thanks! I've noted your email address")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("hi", r"^Hello! What would you like to know\?"),
        ("Good morning!", r"^Hello!"),
        ("Hi, I'm Jane", r"^Nice to meet you, Jane!"),
        ("thanks!", r"^You're welcome!"),
        ("Thank you so much", r"^You're welcome!"),
        ("bye", r"^Thanks for stopping by!"),
    ],
)
async def test_small_talk(message: str, expected: str) -> None:
    reply = await ask(message)
    assert re.search(expected, reply.content)
    assert reply.sources == [] and reply.lead is None


async def test_a_greeting_before_a_question_is_answered_as_the_question() -> None:
    reply = await ask("Hello! How do I install the widget on my website?")
    assert reply.sources == [Source("installation.md")]


async def test_replies_are_plain_text_without_markdown_markers() -> None:
    index = KnowledgeIndex(
        [
            Chunk(
                "guide.md",
                "# Guide\n\nThe **launcher** colour is `blue`, see [docs](https://x.test/d).",
            )
        ]
    )
    reply = await ask("What colour is the launcher?", index=index)
    assert reply.content == "The launcher colour is blue, see docs (https://x.test/d)."
