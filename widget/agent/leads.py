"""Lead details in a visitor's message: the email address, and the name, phone and company near it.

A lead exists only when the visitor typed an actual email address: "I'll email you later" or
"jane at acme dot com" are not leads. Everything else is optional and only taken when the text
says it plainly; a field the visitor did not give stays `None`, it is never guessed.

Whose address it is matters once a lead exists: "my colleague is bob@example.com" is someone
else's, and never replaces the visitor's own address (nor do the name and phone beside it); an
address the text does not place either way is kept too, beside the visitor's. Both go to the
lead's `notes`. A correction the visitor clearly makes ("sorry, my email is ...", "use ...
instead") does update the lead.

Addresses found by pattern are then checked by email-validator (syntax only: no DNS lookups), and
`normalized` gives a lead's values as stored and sent to CRMs: the address with its domain
lowercased, and the phone number in E.164 (phonenumbers), read in the visitor's country when
the number has no +country code (see `region_from_locale`). A number that cannot be read as a
valid one stays as the visitor typed it: a detail is never dropped.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Literal

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from widget.agent.knowledge import STOPWORDS

# Whose email address a message gives: the visitor's own, someone else's, or not said.
Owner = Literal["visitor", "other"] | None


@dataclass(frozen=True, slots=True)
class LeadDetails:
    email: str
    name: str | None = None
    phone: str | None = None
    company: str | None = None
    # Addresses (and details) given that are not, or not surely, the visitor's own.
    notes: tuple[str, ...] = ()
    # Whose `email` is, as far as the text told; not part of the lead's value.
    owner: Owner = field(default=None, compare=False)


def extract_lead(text: str) -> LeadDetails | None:
    """The lead in `text`, or `None` when it holds no actual email address.

    With several addresses, the visitor's own (or else the first one not said to be someone
    else's) is the lead's; the others become notes."""
    found = [(email, email_owner(text, email)) for email in find_emails(text)]
    if not found:
        return None
    email, owner = next(
        (item for item in found if item[1] == "visitor"),
        next((item for item in found if item[1] is None), found[0]),
    )
    notes = tuple(_note(other, whose, email) for other, whose in found if other != email)
    if owner == "other":
        # Only someone else's address: a lead to follow up, but nothing here is the visitor's.
        return LeadDetails(email=email, notes=(_note(email, owner, None), *notes), owner=owner)
    name, phone, company = _details(text, email)
    return LeadDetails(
        email=email, name=name, phone=phone, company=company, notes=notes, owner=owner
    )


def extract_lead_update(text: str, current: LeadDetails) -> LeadDetails | None:
    """`current` with what `text` adds (a name, phone, company, or a new email address).

    For a visitor who already left an email and later writes "my number is 555 123 4567".
    `None` when the text adds or changes nothing.
    """
    found = extract_lead(text)
    if found is None:
        name, phone, company = _details(text, current.email)
        found = LeadDetails(
            email=current.email, name=name, phone=phone, company=company, owner="visitor"
        )
    updated = merge(current, found)
    return None if updated == current else updated


def with_owner(lead: LeadDetails, text: str) -> LeadDetails:
    """`lead` (made by a language model's tool call) with whose address it is, as `text` says."""
    return dataclasses.replace(lead, owner=email_owner(text, lead.email))


def email_owner(text: str, email: str) -> Owner:
    """Whose `email` is, by the words of its clause in `text`: "visitor", "other" or None."""
    at = text.lower().find(email.lower())
    if at < 0:
        return None
    start = max(text.rfind(mark, 0, at) for mark in (".", "!", "?", "\n", ";")) + 1
    before = text[start:at]
    after = text[at + len(email) :][:40]
    if _SOMEONE_ELSES.search(before):
        return "other"
    if _VISITORS_OWN.search(before) or _INSTEAD.match(after):
        return "visitor"
    return None


def extract_name(text: str) -> str | None:
    """A name the visitor introduced themselves with ("I'm Jane", "my name is Jane Doe")."""
    for match in _EXPLICIT_NAME.finditer(text):
        name = _name_from(match.group("name"), require_capital=False)
        if name:
            return name
    for match in _INTRODUCTION.finditer(text):
        name = _name_from(match.group("name"), require_capital=True)
        if name:
            return name
    return None


def merge(old: LeadDetails | None, new: LeadDetails) -> LeadDetails:
    """Later details update a lead; a field the new details lack keeps its known value.

    A different email address replaces the known one only when it is plainly the visitor's own
    (or the known one was someone else's); otherwise it is noted and the lead is left as it was.
    """
    if old is None:
        return new
    notes = _union(old.notes, new.notes)
    if new.email.lower() != old.email.lower():
        takes_over = new.owner == "visitor" or (old.owner == "other" and new.owner != "other")
        if not takes_over:
            note = _note(new.email, new.owner, old.email)
            return dataclasses.replace(old, notes=_union(notes, (note,)))
        if old.owner == "other":
            notes = _union(notes, (_note(old.email, "other", None),))
    return LeadDetails(
        email=new.email,
        name=new.name if new.name is not None else old.name,
        phone=new.phone if new.phone is not None else old.phone,
        company=new.company if new.company is not None else old.company,
        notes=notes,
        owner=new.owner if new.owner is not None else old.owner,
    )


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))


def _note(email: str, owner: Owner, kept: str | None) -> str:
    if owner == "other":
        return f"{email}: someone else's address, given by the visitor"
    return f"{email}: also given by the visitor; unclear whether it is theirs" + (
        f" (kept {kept} as their address)" if kept else ""
    )


# "my colleague", "my boss's", "his email", "cc", "Bob's address": the address is not the
# visitor's. Looked for in the address's own clause, before it.
_SOMEONE_ELSES = re.compile(
    r"\b(?:my|our)\s+(?:\w+\s+)?(?:colleague|co-?worker|coworker|boss|manager|assistant|"
    r"partner|team\s?mate|friend|wife|husband|spouse|secretary|supervisor|employee|associate|"
    r"sister|brother|son|daughter|mother|father|mom|mum|dad|cto|ceo|cfo|coo|co-?founder|"
    r"director|accountant|lawyer|agency|client|customer)s?(?:'s|\u2019s)?\b"
    r"|\b(?:his|her|their)\s+(?:e-?mail|address|contact)\b"
    r"|\b(?:he|she|they)\s+(?:is|are|can\s+be|'s)\b"
    r"|\b[A-Z][a-z]+(?:'s|\u2019s)\s+(?:e-?mail|address)\b"
    r"|\b(?:cc|bcc|loop\s+in|copy\s+in|forward\s+(?:it|this)?\s*to|someone\s+else)\b",
    re.IGNORECASE,
)
# "sorry, my email is", "my new address", "reach me at", "I'm Jane, ...": the visitor's own.
_VISITORS_OWN = re.compile(
    r"\bmy\s+(?:\w+\s+)?(?:e-?mail|address|contact)\b"
    r"|\b(?:reach|contact|email|e-mail|mail|write\s+to|get\s+back\s+to)\s+me\b"
    # "or write to ...": where the visitor asks to be written to.
    r"|\b(?:write|send\s+(?:it|this|them|everything)|reply)\s+to\s*$"
    r"|\b(?:use|try)\s+(?:this|that|the\s+other|my\s+\w+)?\s*(?:one|e-?mail|address)?\s*[:,]?\s*$"
    r"|\b(?:I'?m|I\u2019m|I\s+am|this\s+is|it'?s\s+me)\b"
    r"|\b(?:sorry|oops|correction|typo|i\s+meant|wrong\s+(?:e-?mail|address))\b",
    re.IGNORECASE,
)
_INSTEAD = re.compile(
    r"^\W{0,3}(?:instead|is\s+(?:mine|my\s+(?:e-?mail|address)))\b", re.IGNORECASE
)


# --- Email -------------------------------------------------------------------------------------

EMAIL = re.compile(
    r"(?<![\w.%+'-])"
    r"[A-Za-z0-9](?:[A-Za-z0-9._%+'-]{0,62}[A-Za-z0-9_%+-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
    r"(?![\w-])"
)


def find_email(text: str) -> str | None:
    """The first well-formed email address in `text`."""
    return next(iter(find_emails(text)), None)


def find_emails(text: str) -> list[str]:
    """Every well-formed email address in `text`, once each, in order."""
    found = [m.group() for m in EMAIL.finditer(text) if normalize_email(m.group()) is not None]
    return list(dict.fromkeys(found))


def is_email(value: str) -> bool:
    """Whether `value` is one well-formed email address and nothing else."""
    return EMAIL.fullmatch(value.strip()) is not None and normalize_email(value) is not None


def normalize_email(value: str) -> str | None:
    """The address as email-validator normalises it (domain lowercased, Unicode in NFC), or
    None when its syntax is not that of a usable address ("a..b@x.com", "me@host.test")."""
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


# --- Normalised values -------------------------------------------------------------------------


# ISO 3166 alpha-2 codes of the countries phone numbers are known for.
PHONE_REGION_CODES: frozenset[str] = frozenset(phonenumbers.SUPPORTED_REGIONS)


def is_phone_region(region: str) -> bool:
    """Whether `region` is a country code phone numbers are known for ("DE", "US")."""
    return region.upper() in phonenumbers.SUPPORTED_REGIONS


def region_from_locale(locale: str | None) -> str | None:
    """The country of a browser locale or Accept-Language header ("de-AT" -> "AT",
    "fr-CH,fr;q=0.9" -> "CH"): the first tag that names one. None when none does."""
    for part in (locale or "").split(","):
        tag = part.split(";", 1)[0].strip().replace("_", "-")
        for subtag in tag.split("-")[1:]:
            if len(subtag) == 2 and subtag.isalpha() and is_phone_region(subtag):
                return subtag.upper()
    return None


def normalize_phone(value: str, region: str | None = None) -> str:
    """`value` in E.164 ("+4917612345678") when it reads as a valid number, with `region` for
    numbers written without a +country code; otherwise `value` as typed."""
    try:
        number = phonenumbers.parse(value, region.upper() if region else None)
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_valid_number(number):
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalized(lead: LeadDetails, region: str | None = None) -> LeadDetails:
    """`lead` with its address and phone number normalised (see the module's doc)."""
    return dataclasses.replace(
        lead,
        email=normalize_email(lead.email) or lead.email,
        phone=normalize_phone(lead.phone, region) if lead.phone else lead.phone,
    )


# --- Words that are not names or companies -----------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


_COMPANY_SUFFIXES = frozenset(
    _words("""
    inc inc. incorporated llc l.l.c. ltd ltd. limited gmbh ag sa s.a. sas sarl bv b.v. nv n.v.
    corp corp. corporation co. plc pty oy ab aps a/s kg ug se srl s.r.l. spa s.p.a. llp lp
    """)
)

_NOT_NAME = STOPWORDS | frozenset(
    _words("""
    interested looking here just new glad happy trying curious writing calling reaching working
    based back good great fine sorry still currently ready planning thinking hoping contacting
    going getting evaluating responsible head interested available excited wondering testing
    from at with and or of for in on the an a not sure also very so i i'm im i'd i'll i've
    here's it's that's there's what's let's we're we'll we've you're
    hi hello hey dear greetings thanks thank regards best cheers sincerely kind warm
    team sales support marketing customer customers info admin contact office manager ceo cto
    cfo coo founder owner engineer developer director email mail phone mobile tel number company
    monday tuesday wednesday thursday friday saturday sunday today tomorrow
    january february march april may june july august september october november december
    ich bin mein meine hallo guten tag danke grüße gruß von bei und hier
    je suis moi mon ma bonjour salut merci cordialement de chez et
    yo soy mi hola buenos buenas gracias saludos del con y
    """)
)

_NOT_COMPANY = (
    STOPWORDS
    | _COMPANY_SUFFIXES
    | frozenset(
        _words("""
        hi hello hey dear greetings thanks regards cheers home work moment
        monday tuesday wednesday thursday friday saturday sunday today tomorrow weekend night
        january february march april june july august september october november december
        christmas easter noon
        """)
    )
)

_GREETING = r"(?:hi|hello|hey|dear|greetings)"


def _is_capitalized(word: str) -> bool:
    return word[:1].isupper()


def _is_initial(word: str) -> bool:
    return bool(re.fullmatch(r"[^\W\d_]\.", word))


# --- Names -------------------------------------------------------------------------------------

_NAME_WORDS = r"[^\W\d_][\w'\u2019.-]*(?:[ \t]+[^\W\d_][\w'\u2019.-]*){0,4}"

_EXPLICIT_NAME = re.compile(
    r"(?:\bmy\s+(?:full\s+)?name\s+is|\bmy\s+name's|(?<![\w ])name\s*[:=]"
    # German, French and Spanish, the other languages the agent answers in.
    r"|\bmein\s+name\s+ist|\bich\s+hei(?:ß|ss)e|\bje\s+m'?\s*appelle|\bje\s+m\u2019appelle"
    r"|\bmon\s+nom\s+est|\bme\s+llamo|\bmi\s+nombre\s+es)[ \t]*"
    rf"(?P<name>{_NAME_WORDS})",
    re.IGNORECASE,
)
_INTRODUCTION = re.compile(
    r"(?:\bI'?m|\bI\u2019m|\bI\s+am|\bthis\s+is|\bit'?s|\bit\u2019s|\bhere\s+is|\bhere's|\bcall\s+me"
    r"|\bich\s+bin|\bhier\s+ist|\bje\s+suis|\bc'est|\bc\u2019est|\bsoy|\baqu[ií]\s+(?:est[aá]|habla))"
    rf"[ \t]+(?P<name>{_NAME_WORDS})",
    re.IGNORECASE,
)
_NAME_BEFORE_EMAIL = re.compile(
    rf"(?im)^[ \t]*(?:{_GREETING}[ \t]*[,!]?[ \t]+)?(?P<name>{_NAME_WORDS})[ \t]*"
    r"(?:[,;:<(|]|[-\u2013\u2014][ \t])[ \t]*"
    r"(?:(?:e-?mail|mail)[ \t]*[:=]?[ \t]*)?<?(?P<email>\S+@)"
)
_NAME_AFTER_EMAIL = re.compile(
    r"(?m)@[^\s<>()]+?>?[ \t]*(?:[-\u2013\u2014,|(][ \t]*)"
    rf"(?P<name>{_NAME_WORDS})[ \t]*(?:[,)]|[.!]?[ \t]*$)"
)
_VALEDICTION = re.compile(
    r"(?im)^[ \t]*(?:thanks|thank\s+you|many\s+thanks|best|best\s+regards|kind\s+regards|"
    r"regards|warm\s+regards|cheers|sincerely|all\s+the\s+best|--|\u2014|\u2013)"
    r"[ \t]*[,!.]?[ \t]*\n?"
    rf"[ \t]*(?P<name>{_NAME_WORDS})"
)


def _name_from(words_text: str, *, require_capital: bool) -> str | None:
    """Leading name words of `words_text`: stops at a connector ("from", "and"), a lowercase or
    all-caps word, or a sentence end."""
    words: list[str] = []
    for raw in words_text.split():
        word = raw
        ends_sentence = word.endswith(".") and not _is_initial(word)
        word = word.rstrip(".") if ends_sentence else word
        lowered = word.lower().replace("\u2019", "'")
        if lowered in _COMPANY_SUFFIXES:
            return None  # "Acme Inc" is a company, not a person
        if not word or lowered in _NOT_NAME:
            break
        if any(char.isdigit() for char in word):
            break
        if require_capital and not _is_capitalized(word):
            break
        if len(word) > 1 and word.isupper() and not _is_initial(word):
            break  # "CTO", "ACME": an acronym, not a name
        words.append(word)
        if ends_sentence or len(words) == 4:
            break
    if not words or all(_is_initial(word) for word in words):
        return None
    if not require_capital and all(word.islower() for word in words):
        words = [word[:1].upper() + word[1:] for word in words]
    return " ".join(words)


def _find_name(text: str, email: str) -> str | None:
    name = extract_name(text)
    if name:
        return name
    for match in _NAME_BEFORE_EMAIL.finditer(text):
        candidate = match.group("name")
        name = _name_from(candidate, require_capital=True)
        if name is None:
            # "jane doe, jane@acme.com": lowercase, but the address confirms it.
            name = _name_from(candidate, require_capital=False)
            local_part = email.split("@")[0].lower()
            if name is not None and name.split()[0].lower() not in local_part:
                name = None
        if name:
            return name
    for match in _NAME_AFTER_EMAIL.finditer(text):
        name = _name_from(match.group("name"), require_capital=True)
        if name:
            return name
    for match in _VALEDICTION.finditer(text):
        name = _name_from(match.group("name"), require_capital=True)
        if name:
            return name
    return _signature_name(text, email)


def _signature_name(text: str, email: str) -> str | None:
    """A line that is nothing but a name, in the same block as (and above) the email address."""
    for block in re.split(r"\n[ \t]*\n", text):
        lines = [line.strip() for line in block.split("\n")]
        email_line = next((i for i, line in enumerate(lines) if email in line), None)
        if email_line is None:
            continue
        for line in lines[:email_line]:
            if re.fullmatch(_NAME_WORDS, line):
                name = _name_from(line, require_capital=True)
                if name and len(name.split()) == len(line.split()) and len(name.split()) >= 2:
                    return name
    return None


# --- Phones ------------------------------------------------------------------------------------

_PHONE = re.compile(r"(?<![\w+.@/-])(?:\+|00)?[ \t]?\(?\d[\d \t().\-/]{4,24}\d(?![\w@])")
_PHONE_KEYWORD = re.compile(
    r"\b(?:phone|tel|telephone|mobile|mob|cell|cellphone|call|text|number|whatsapp|reach\s+me|"
    r"ph|fon|handy|nr)\b[^\n\d+(]{0,20}$",
    re.IGNORECASE,
)
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_YEAR_RANGE = re.compile(r"(?:19|20)\d\d\s*[-\u2013/]\s*(?:19|20)?\d\d")
_DATE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")


def _find_phone(text: str) -> str | None:
    for match in _PHONE.finditer(text):
        candidate = match.group().strip(" \t-./")
        if candidate.count("(") != candidate.count(")"):
            candidate = candidate.lstrip("(") if candidate.startswith("(") else candidate
            if candidate.count("(") != candidate.count(")"):
                continue
        digits = re.sub(r"\D", "", candidate)
        if not 7 <= len(digits) <= 15:
            continue
        if _YEAR_RANGE.fullmatch(candidate) or _DATE.fullmatch(candidate):
            continue
        prefixed = candidate.startswith(("+", "00", "("))
        keyword = _PHONE_KEYWORD.search(text[: match.start()]) is not None
        grouped = bool(re.search(r"\d[ \t().\-/]+\d", candidate))
        if prefixed or keyword or len(digits) >= 10 or grouped:
            return re.sub(r"[ \t]+", " ", candidate)
    return None


# --- Companies ---------------------------------------------------------------------------------

_COMPANY_TRIGGERS = (
    # Said outright: any case is fine after "company:".
    (
        re.compile(
            r"\b(?:company|company\s+name|organi[sz]ation|employer|business\s+name)"
            r"[ \t]*(?:[:=]|[-\u2013][ \t])[ \t]*",
            re.IGNORECASE,
        ),
        False,
    ),
    (
        re.compile(
            r"\b(?:company|company\s+name|organi[sz]ation|employer)[ \t]+(?:is|'s)[ \t]+",
            re.IGNORECASE,
        ),
        True,
    ),
    (
        re.compile(
            r"\b(?:work|works|working|worked|employed)[ \t]+(?:for|at|with)[ \t]+"
            r"|\b(?:on\s+behalf\s+of|representing|represent)[ \t]+"
            r"|\b(?:calling|writing|reaching\s+out|emailing)[ \t]+from[ \t]+",
            re.IGNORECASE,
        ),
        True,
    ),
    (
        # "I'm Jane from Acme", "this is Jane Doe from Acme", "we're with Acme", "I'm at Acme";
        # not "I'm happy with HubSpot".
        re.compile(
            r"(?:\bI'?m|\bI\u2019m|\bI\s+am|\bthis\s+is|\bit'?s|\bwe'?re|\bwe\s+are|\bhere)"
            r"(?:[ \t]+(?:from|at|with)|(?:[ \t]+[^\W\d_][\w'\u2019-]*){1,4}?[ \t]+from)[ \t]+",
            re.IGNORECASE,
        ),
        True,
    ),
    (
        # "CTO at Acme", "founder of Acme", "Head of Sales at Acme"
        re.compile(
            r"\b(?:[A-Z]{2,5}|(?i:founder|co-?founder|owner|engineer|developer|manager|director|"
            r"lead|designer|marketer|consultant|partner|president|analyst|specialist|"
            r"coordinator|officer|executive|architect|administrator|recruiter|head\s+of\s+\w+))"
            r"[ \t]+(?:at|of|@)[ \t]+",
        ),
        True,
    ),
)
# "Jane Doe from Acme", "Jane at Acme", and "at Acme" opening a line; not "greetings from Berlin"
# or "look at HubSpot".
_NAME_THEN_COMPANY = re.compile(
    r"(?:(?P<before>[^\W\d_][\w'\u2019-]*)[ \t]+(?:from|at)|(?im:^[ \t]*(?:from|at)))[ \t]+"
)

_SUFFIXED_COMPANY = re.compile(
    r"(?P<company>(?:[^\W_][\w&'\u2019.-]*[ \t]+){1,4}?"
    r"(?:Inc\.?|Incorporated|LLC|L\.L\.C\.|Ltd\.?|Limited|GmbH|AG|SA|S\.A\.|SAS|SARL|BV|B\.V\.|"
    r"NV|N\.V\.|Corp\.?|Corporation|Co\.|PLC|plc|Pty\.?[ \t]+Ltd\.?|Oy|AB|ApS|A/S|KG|UG|SE|"
    r"S\.r\.l\.|Srl|SpA|S\.p\.A\.|LLP))(?![\w.])"
)

_COMPANY_CONNECTORS = frozenset({"&", "+", "and", "of", "de", "der", "und", "the", "for", "y"})
_CUT = re.compile(r"[,;:!?()\[\]\"<>\n|]")


def _company_from(words_text: str, *, require_capital: bool) -> str | None:
    words: list[str] = []
    for raw in _CUT.split(words_text, maxsplit=1)[0].split():
        core = raw.rstrip(".").lower()
        is_suffix = raw.lower() in _COMPANY_SUFFIXES or core in _COMPANY_SUFFIXES
        ends_sentence = raw.endswith(".") and not is_suffix and raw.count(".") == 1
        word = raw.rstrip(".") if ends_sentence else raw
        if not word:
            break
        if not words and word == "The":
            words.append(word)  # "The Home Depot"
            continue
        if not words and (core in _NOT_COMPANY or word.isdigit()):
            return None
        if is_suffix and words:
            words.append(word)
            break
        connector = bool(words) and core in _COMPANY_CONNECTORS
        if connector or (not require_capital and core not in STOPWORDS and "@" not in word):
            words.append(word)
        elif word[:1].isupper() or word[:1].isdigit() or any(c.isupper() for c in word[1:]):
            if words and core in STOPWORDS:
                break  # "Acme I think"
            words.append(word)
        else:
            break
        if ends_sentence or len(words) == 6:
            break
    while words and words[-1].lower() in _COMPANY_CONNECTORS:
        words.pop()
    if not words:
        return None
    company = " ".join(words)
    # "Acme Inc." at a sentence end: keep the name, not the full stop; "S.A." keeps its dots.
    if company.endswith(".") and words[-1].count(".") == 1:
        company = company[:-1]
    return company


def _find_company(text: str, name: str | None) -> str | None:
    for pattern, require_capital in _COMPANY_TRIGGERS:
        for match in pattern.finditer(text):
            company = _company_from(text[match.end() :], require_capital=require_capital)
            if company and company != name:
                return company
    for match in _NAME_THEN_COMPANY.finditer(text):
        before = match.group("before")
        if before is not None and (not _is_capitalized(before) or before.lower() in _NOT_NAME):
            continue
        company = _company_from(text[match.end() :], require_capital=True)
        if company and company != name:
            return company
    for match in _SUFFIXED_COMPANY.finditer(text):
        words = match.group("company").split()
        # "Thanks Acme Inc", "Hi I work for Acme Inc": drop leading words that are not the name.
        while len(words) > 1 and (
            words[0].lower() in _NOT_NAME or not (words[0][:1].isupper() or words[0][0].isdigit())
        ):
            words.pop(0)
        company = _company_from(" ".join(words), require_capital=True)
        if company and company != name:
            return company
    return None


def _details(text: str, email: str) -> tuple[str | None, str | None, str | None]:
    """The name, phone and company in `text`; addresses and links are blanked out first so that
    their digits and words are not read as a phone number or a company."""
    name = _find_name(text, email)
    blanked = _URL.sub(" ; ", EMAIL.sub(" ; ", text))
    phone = _find_phone(blanked)
    company = _find_company(blanked, name)
    return name, phone, company
