"""Languages: which one a text is in, and its words as search terms.

Detection is py3langid's naive Bayes model (shipped inside the package, nothing fetched at run
time), restricted to the languages we can also stem. Terms are Snowball stems (PyStemmer) of the
words that are not stopwords, with accents folded after stemming so that a visitor who types
"delai" meets a document that says "délai".
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import Stemmer  # type: ignore[import-not-found]
import stop_words  # type: ignore[import-untyped]

# ISO 639-1 code -> the Snowball algorithm and the stop-word list of that language.
_LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("english", "english"),
    "de": ("german", "german"),
    "fr": ("french", "french"),
    "es": ("spanish", "spanish"),
    "it": ("italian", "italian"),
    "nl": ("dutch", "dutch"),
    "pt": ("portuguese", "portuguese"),
    "sv": ("swedish", "swedish"),
    "da": ("danish", "danish"),
    "no": ("norwegian", "norwegian"),
    "fi": ("finnish", "finnish"),
    "ru": ("russian", "russian"),
    "pl": ("polish", "polish"),
    "cs": ("czech", "czech"),
    "hu": ("hungarian", "hungarian"),
    "ro": ("romanian", "romanian"),
    "tr": ("turkish", "turkish"),
    "ca": ("catalan", "catalan"),
}
SUPPORTED_LANGUAGES: tuple[str, ...] = tuple(_LANGUAGES)
DEFAULT_LANGUAGE = "en"
# Languages that glue nouns together ("Versandkosten"): their terms also match their parts.
COMPOUNDING_LANGUAGES = frozenset({"de", "nl", "sv", "da", "no", "fi"})

# The shipped English list holds words such as "free", "order" and "information"; this one keeps
# what a visitor asks about and drops only the words that carry no subject.
_ENGLISH_STOPWORDS = """
a about above after again against all am an and any are aren as at be because been before
being below between both but by can cannot could couldn did didn do does doesn doing don down
during each few for from further had hadn has hasn have haven having he her here hers herself
him himself his how i if in into is isn it its itself just let ll me might more most much must
my myself no nor not now of off on once only or other ought our ours ourselves out over own
re same shall she should shouldn so some such than that the their theirs them themselves then
there these they this those through to too under until up ve very was wasn we were weren what
when where which while who whom why will with won would wouldn you your yours yourself
yourselves
also anything get got hello hey hi hiya know like many maybe need please question tell thank
thanks wonder wondering want wanted explain ok okay yes yeah sure something thing things use
using way able via really take takes long happen happens happened make makes
"""

# Words that frame a question rather than say what it is about ("Wie lange dauert ...?", "Est-ce
# qu'il y a ...?"). Dropped so that they do not count against a passage that answers it.
_QUESTION_FRAMES: dict[str, str] = {
    "de": """
    gibt geben gibst lange dauert dauern dauer bitte möchte möchten würde gerne gern wissen
    erfahren erklären sagen sag hallo hi danke eigentlich genau ungefähr etwa bekomme bekommt
    kriege kriegt funktioniert funktionieren geht gehen wieviel wieviele viele zeit passiert
    """,
    "fr": """
    est-ce quoi combien faut puis-je peux pouvez pouvons voudrais veux savoir dire merci
    bonjour salut longtemps temps prend prendre fonctionne marche quels quelles ya il y passe
    """,
    "es": """
    cuánto cuánta cuántos cuántas cuanto cuanta cuantos cuantas tarda tardan tardar tiempo
    puedo podéis quisiera quiero saber decir gracias hola hay funciona cuál cuáles cual
    cuales dónde donde qué que cómo como pasa pasaría ocurre
    """,
}

_TOKEN = re.compile(r"[^\W_]+")


def normalize_language(tag: str | None) -> str | None:
    """The supported ISO 639-1 code for a language tag ("de-AT", "fr_CA", "EN"), or None."""
    if not tag:
        return None
    code = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
    if code in ("nb", "nn"):
        code = "no"
    return code if code in _LANGUAGES else None


def fold_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class Analyzer:
    """One language's words as search terms. Safe to share between threads."""

    def __init__(self, language: str) -> None:
        algorithm, stop_list = _LANGUAGES[language]
        self.language = language
        self._stemmer = Stemmer.Stemmer(algorithm)
        # PyStemmer objects must not be used by two threads at once.
        self._lock = threading.Lock()
        words = (
            _ENGLISH_STOPWORDS.split()
            if language == "en"
            else [
                *stop_words.get_stop_words(stop_list),
                *_QUESTION_FRAMES.get(language, "").split(),
            ]
        )
        self.stopwords = frozenset(w for word in words for w in _TOKEN.findall(word.lower()))
        self._cache: dict[str, str] = {}

    def stem(self, word: str) -> str:
        """The folded Snowball stem of one lowercased word."""
        cached = self._cache.get(word)
        if cached is None:
            if word.isdigit():
                cached = word
            else:
                with self._lock:
                    cached = fold_accents(self._stemmer.stemWord(word))
            if len(self._cache) < 200_000:  # vocabularies are small; stay bounded anyway
                self._cache[word] = cached
        return cached

    def words(self, text: str) -> list[str]:
        """The words that count: lowercased, two characters or more, no stopwords."""
        return [
            word
            for word in _TOKEN.findall(text.lower())
            if len(word) > 1 and word not in self.stopwords
        ]

    def terms(self, text: str) -> list[str]:
        return [self.stem(word) for word in self.words(text)]

    def term_counts(self, text: str) -> dict[str, int]:
        """`Counter(terms(text))`, counting words before stemming them: several times faster."""
        counts: dict[str, int] = {}
        for word, count in Counter(self.words(text)).items():
            term = self.stem(word)
            counts[term] = counts.get(term, 0) + count
        return counts


@functools.cache
def analyzer(language: str) -> Analyzer:
    """The shared analyzer of a supported language (see `SUPPORTED_LANGUAGES`)."""
    return Analyzer(language)


@functools.cache
def _identifier() -> Any:
    # Loading the model takes about a second; only do it when something needs detecting.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(_LANGUAGES))
    return identifier


_identifier_lock = threading.Lock()
_DOCUMENT_SAMPLE_CHARS = 6000


def language_scores(text: str, candidates: Iterable[str] | None = None) -> list[tuple[str, float]]:
    """(language, probability) for `text`, best first, over `candidates` (default: all)."""
    sample = text[:_DOCUMENT_SAMPLE_CHARS]
    with _identifier_lock:
        ranked: list[tuple[str, float]] = _identifier().rank(sample)
    if candidates is None:
        return ranked
    allowed = set(candidates)
    kept = [(lang, score) for lang, score in ranked if lang in allowed]
    total = sum(score for _, score in kept) or 1.0
    return [(lang, score / total) for lang, score in kept]


def detect_language(
    text: str, candidates: Iterable[str] | None = None, *, min_confidence: float = 0.6
) -> str | None:
    """The language `text` is most likely written in, or None when it is too short or unclear."""
    if len(_TOKEN.findall(text)) < 2:
        return None
    scores = language_scores(text, candidates)
    if not scores:
        return None
    language, confidence = scores[0]
    return language if confidence >= min_confidence else None


def text_language(text: str) -> str | None:
    """The language of a document's text, or None when it is too short to tell with confidence:
    a dozen words say it plainly, a short sentence only when the model is nearly sure."""
    words = len(text.split())
    if words >= 12:
        return detect_language(text)
    if words >= 4:
        return detect_language(text, min_confidence=0.95)
    return None


def document_language(text: str, declared: str | None = None) -> str:
    """A document's language: the declared one when it is supported, else detected, else English."""
    return normalize_language(declared) or text_language(text) or DEFAULT_LANGUAGE


def main_language(languages: Sequence[str]) -> str:
    """The most common of `languages` (first seen wins a tie), or the default."""
    if not languages:
        return DEFAULT_LANGUAGE
    counts = Counter(languages)
    return max(dict.fromkeys(languages), key=lambda lang: counts[lang])


def preload() -> None:
    """Load the detection model now (about a second), not on the first question after a start."""
    _identifier()
