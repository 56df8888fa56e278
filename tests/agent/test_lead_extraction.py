"""Lead details from visitor messages: the table the lead-capture tool is held to."""

from __future__ import annotations

import pytest

from widget.agent.leads import (
    LeadDetails,
    extract_lead,
    extract_lead_update,
    merge,
    normalize_email,
    normalize_phone,
    normalized,
    region_from_locale,
)

# message -> (email, name, phone, company)
LEADS: list[tuple[str, tuple[str, str | None, str | None, str | None]]] = [
    # Just an address.
    ("jane@acme.com", ("jane@acme.com", None, None, None)),
    ("Please email me at JANE@ACME.COM.", ("JANE@ACME.COM", None, None, None)),
    (
        "My email address is jane_doe+chat@sub.acme.co.uk and my name is Jane",
        ("jane_doe+chat@sub.acme.co.uk", "Jane", None, None),
    ),
    # Names, in the ways people introduce themselves.
    ("I'm Jane Doe, jane@acme.com", ("jane@acme.com", "Jane Doe", None, None)),
    ("my name is jane and my email is jane@acme.com", ("jane@acme.com", "Jane", None, None)),
    ("Jane Doe, jane@acme.com", ("jane@acme.com", "Jane Doe", None, None)),
    # Introductions in the other languages the agent answers in.
    ("Ich bin Jana Weber, jana@example.de", ("jana@example.de", "Jana Weber", None, None)),
    ("Mein Name ist Jana Weber. jana@example.de", ("jana@example.de", "Jana Weber", None, None)),
    ("Hallo, hier ist Jana Weber: jana@example.de", ("jana@example.de", "Jana Weber", None, None)),
    (
        "Je m'appelle Marie Dupont, marie@example.fr",
        ("marie@example.fr", "Marie Dupont", None, None),
    ),
    (
        "Bonjour, je suis Marie Dupont. marie@example.fr",
        ("marie@example.fr", "Marie Dupont", None, None),
    ),
    ("Hola, soy Lucía García, lucia@example.es", ("lucia@example.es", "Lucía García", None, None)),
    ("Me llamo Lucía y mi correo es lucia@example.es", ("lucia@example.es", "Lucía", None, None)),
    ("Jane Doe <jane@acme.com>", ("jane@acme.com", "Jane Doe", None, None)),
    ("jane doe, jane@acme.com", ("jane@acme.com", "Jane Doe", None, None)),
    ("jane@acme.com (Jane Doe)", ("jane@acme.com", "Jane Doe", None, None)),
    ("Best, Jane\njane@acme.com", ("jane@acme.com", "Jane", None, None)),
    ("Cheers\nJ. Smith\nj.smith@example.org", ("j.smith@example.org", "J. Smith", None, None)),
    (
        "Here's my email: O'Brien@acme.com - Miles O'Brien",
        ("O'Brien@acme.com", "Miles O'Brien", None, None),
    ),
    (
        "I am Jean-Luc Picard from Starfleet Ltd. jl@starfleet.org",
        ("jl@starfleet.org", "Jean-Luc Picard", None, "Starfleet Ltd"),
    ),
    # Names and companies together.
    (
        "This is Jane Doe from Acme, reach me at jane.doe@acme.io",
        ("jane.doe@acme.io", "Jane Doe", None, "Acme"),
    ),
    ("Jane from Acme here: jane@acme.com", ("jane@acme.com", "Jane", None, "Acme")),
    (
        "jane@acme.com - Jane Doe, Head of Sales at Vandelay Industries",
        ("jane@acme.com", "Jane Doe", None, "Vandelay Industries"),
    ),
    # A signature block.
    (
        "Thanks!\n\nBest regards,\nJane Doe\nAcme Inc.\njane@acme.com\n+1 234 567 8900",
        ("jane@acme.com", "Jane Doe", "+1 234 567 8900", "Acme Inc"),
    ),
    (
        "Name: Maria Garcia\nEmail: maria@garcia.es\nPhone: +34 612 345 678\n"
        "Company: Garcia y Hijos SL",
        ("maria@garcia.es", "Maria Garcia", "+34 612 345 678", "Garcia y Hijos SL"),
    ),
    # Phones in several formats.
    (
        "Hi, I'm Jane. Call me on (555) 123-4567 or mail jane@acme.com",
        ("jane@acme.com", "Jane", "(555) 123-4567", None),
    ),
    ("my number is 555.123.4567 - jane@acme.com", ("jane@acme.com", None, "555.123.4567", None)),
    (
        "I'm Tom from Globex. tom@globex.co.uk, +44 20 7946 0958",
        ("tom@globex.co.uk", "Tom", "+44 20 7946 0958", "Globex"),
    ),
    (
        "max@firma.de, 0176 12345678, I work for Muster GmbH",
        ("max@firma.de", None, "0176 12345678", "Muster GmbH"),
    ),
    (
        "I'm Jane Doe from Acme Corp and my email is jane@acme.com, phone +1-234-567-8900",
        ("jane@acme.com", "Jane Doe", "+1-234-567-8900", "Acme Corp"),
    ),
    (
        "call me at +1 (555) 123-4567, jane@acme.com",
        ("jane@acme.com", None, "+1 (555) 123-4567", None),
    ),
    ("+49 (0) 176 1234 5678 / max@firma.de", ("max@firma.de", None, "+49 (0) 176 1234 5678", None)),
    ("tel: 030 1234567, max@firma.de", ("max@firma.de", None, "030 1234567", None)),
    ("max@firma.de phone 555-1234", ("max@firma.de", None, "555-1234", None)),
    ("+1234567890 jane@example.com", ("jane@example.com", None, "+1234567890", None)),
    # Companies in several phrasings.
    ("company: acme corp, email bob@acme.com", ("bob@acme.com", None, None, "acme corp")),
    ("I work at Initech, peter@initech.com", ("peter@initech.com", None, None, "Initech")),
    ("I'm the CTO at Hooli. gavin@hooli.xyz", ("gavin@hooli.xyz", None, None, "Hooli")),
    (
        "We're with Pied Piper. richard@piedpiper.com",
        ("richard@piedpiper.com", None, None, "Pied Piper"),
    ),
    ("I'm at Acme. jane@acme.com", ("jane@acme.com", None, None, "Acme")),
    (
        "Contact me: sam@example.com. We're a small team at Acme Inc.",
        ("sam@example.com", None, None, "Acme Inc"),
    ),
    (
        "You can reach me at jane@acme.com, I'm the founder of Bluth Company",
        ("jane@acme.com", None, None, "Bluth Company"),
    ),
    ("jane@acme.com, Acme Inc", ("jane@acme.com", None, None, "Acme Inc")),
    # Words that look like details but are not.
    ("Greetings from Berlin! anna@firma.de", ("anna@firma.de", None, None, None)),
    ("I'm happy with HubSpot. anna@firma.de", ("anna@firma.de", None, None, None)),
    ("I'm interested in the Team plan: jane@acme.com", ("jane@acme.com", None, None, None)),
    ("Sure: bob@acme.com, we had 2024-2025 budgets", ("bob@acme.com", None, None, None)),
    ("we have 500 seats, jane@acme.com", ("jane@acme.com", None, None, None)),
    ("jane@acme.com, meeting on 12.03.2026 would be great", ("jane@acme.com", None, None, None)),
    ("jane@acme.com, Tuesday works", ("jane@acme.com", None, None, None)),
    (
        "see https://acme.com/team/1234567890 and write to jane@acme.com",
        ("jane@acme.com", None, None, None),
    ),
]


@pytest.mark.parametrize(("message", "expected"), LEADS, ids=[m for m, _ in LEADS])
def test_a_message_with_an_email_address_gives_a_lead_with_the_details_it_states(
    message: str, expected: tuple[str, str | None, str | None, str | None]
) -> None:
    email, name, phone, company = expected
    assert extract_lead(message) == LeadDetails(
        email=email, name=name, phone=phone, company=company
    )


NOT_LEADS = [
    "I'll email you later",
    "email me",
    "my email is coming",
    "I'll send you my email address tomorrow",
    "Can I email your sales team?",
    "reach me at jane at acme dot com",
    "jane(at)acme.com",
    "I'm Jane Doe from Acme, call me on +1 234 567 8900",
    "my address is jane@localhost",
    "jane@@acme.com",
    "jane..doe@acme.com",
    "@acme.com",
    "",
]


@pytest.mark.parametrize("message", NOT_LEADS)
def test_no_lead_without_an_actual_email_address(message: str) -> None:
    assert extract_lead(message) is None


def test_later_details_update_the_lead_and_never_erase_known_ones() -> None:
    first = LeadDetails(email="jane@acme.com", name="Jane Doe", phone=None, company="Acme")
    later = LeadDetails(email="jane@acme.com", name=None, phone="+1 234 567 8900", company=None)
    assert merge(first, later) == LeadDetails(
        email="jane@acme.com", name="Jane Doe", phone="+1 234 567 8900", company="Acme"
    )
    assert merge(None, later) == later
    corrected = LeadDetails(email="j.doe@acme.com", owner="visitor")
    assert merge(first, corrected).email == "j.doe@acme.com"


def test_a_message_without_an_address_updates_a_known_lead() -> None:
    known = LeadDetails(email="jane@acme.com", name="Jane")
    updated = extract_lead_update("my number is 555 123 4567, I work for Acme GmbH", known)
    assert updated == LeadDetails(
        email="jane@acme.com", name="Jane", phone="555 123 4567", company="Acme GmbH"
    )
    assert extract_lead_update("Do you integrate with HubSpot?", known) is None
    assert extract_lead_update("I'll email you later", known) is None


JANE = "I'm Jane Doe from Acme Inc, reach me at jane@example.com or +1 234 567 8900"


def lead_after(*messages: str) -> LeadDetails | None:
    lead: LeadDetails | None = None
    for message in messages:
        found = extract_lead(message)
        if found is not None:
            lead = merge(lead, found)
        elif lead is not None:
            lead = extract_lead_update(message, lead) or lead
    return lead


@pytest.mark.parametrize(
    "message",
    [
        "Actually my colleague is bob@example.com",
        "Please cc my boss bob@example.com",
        "You could also ask Bob, his email is bob@example.com",
        "My colleague Bob Smith (bob@example.com, +1 999 888 7777) handles this",
        "Bob's address is bob@example.com",
    ],
)
def test_someone_elses_details_never_replace_the_visitors_own(message: str) -> None:
    lead = lead_after(JANE, message)
    assert lead is not None
    assert (lead.email, lead.name, lead.phone, lead.company) == (
        "jane@example.com",
        "Jane Doe",
        "+1 234 567 8900",
        "Acme Inc",
    )
    assert lead.notes == ("bob@example.com: someone else's address, given by the visitor",)


def test_an_address_whose_owner_is_unclear_is_kept_beside_the_visitors() -> None:
    lead = lead_after(JANE, "bob@example.com")
    assert lead is not None
    assert lead.email == "jane@example.com"
    assert lead.notes == (
        "bob@example.com: also given by the visitor; unclear whether it is theirs "
        "(kept jane@example.com as their address)",
    )


@pytest.mark.parametrize(
    "message",
    [
        "Sorry, my email is jane.doe@example.com",
        "Oops, typo: jane.doe@example.com",
        "Please use jane.doe@example.com instead",
        "my new email address is jane.doe@example.com",
        "Actually, reach me at jane.doe@example.com",
    ],
)
def test_a_clear_correction_updates_the_visitors_address(message: str) -> None:
    lead = lead_after(JANE, message)
    assert lead is not None
    assert lead.email == "jane.doe@example.com"
    assert (lead.name, lead.company, lead.notes) == ("Jane Doe", "Acme Inc", ())


def test_one_message_with_the_visitors_and_a_colleagues_address() -> None:
    lead = extract_lead("I'm Jane, jane@example.com; please also loop in bob@example.com")
    assert lead is not None
    assert (lead.email, lead.name) == ("jane@example.com", "Jane")
    assert lead.notes == ("bob@example.com: someone else's address, given by the visitor",)


def test_a_colleagues_address_alone_is_a_lead_whose_address_the_visitors_own_replaces() -> None:
    referral = lead_after("Please contact my colleague bob@example.com")
    assert referral is not None
    assert (referral.email, referral.name) == ("bob@example.com", None)
    lead = lead_after("Please contact my colleague bob@example.com", "I'm Jane, jane@example.com")
    assert lead is not None
    assert (lead.email, lead.name) == ("jane@example.com", "Jane")
    assert lead.notes == ("bob@example.com: someone else's address, given by the visitor",)


# --- Normalised values (phonenumbers, email-validator) -------------------------------------------


@pytest.mark.parametrize(
    ("typed", "region", "e164"),
    [
        ("+1 (415) 555-2671", None, "+14155552671"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("030 12345678", "DE", "+493012345678"),
        ("+44 20 7946 0958", "DE", "+442079460958"),  # its own country code wins
        ("01 42 68 53 00", "FR", "+33142685300"),
        # Not readable as a valid number: kept as typed, never dropped.
        ("030 12345678", None, "030 12345678"),
        ("555-1234", "US", "555-1234"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(typed: str, region: str | None, e164: str) -> None:
    assert normalize_phone(typed, region) == e164


def test_the_visitors_country_comes_from_their_locale() -> None:
    assert region_from_locale("de-AT") == "AT"
    assert region_from_locale("fr-CH,fr;q=0.9,en;q=0.8") == "CH"
    assert region_from_locale("en_GB") == "GB"
    assert region_from_locale("de,en;q=0.5") is None
    assert region_from_locale(None) is None


def test_email_syntax_is_checked_without_dns() -> None:
    assert normalize_email("Jane@Example.COM") == "Jane@example.com"
    assert normalize_email("a..b@example.com") is None
    assert normalize_email("jane@localhost") is None
    # No DNS lookup: a domain that resolves nowhere is still a well-formed address.
    assert normalize_email("jane@no-such-domain-for-tests.example") is not None
    assert extract_lead("write to a..b@example.com") is None


def test_a_lead_is_normalised_as_a_whole() -> None:
    lead = LeadDetails(email="Jane@ACME.com", name="Jane", phone="030 12345678", company=None)
    assert normalized(lead, "DE") == LeadDetails(
        email="Jane@acme.com", name="Jane", phone="+493012345678", company=None
    )
