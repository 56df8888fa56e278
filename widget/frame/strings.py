"""The frame's UI strings in every supported locale, and how a string and a welcome are chosen.

One table: Python's view reads it, and `make gen` writes it into frame-boot.js, which paints the
panel before Python runs and re-words it when the host page calls `widget.setLocale()`. An
element that carries `data-i18n="<key>"` (its text), `data-i18n-label` (`aria-label`),
`data-i18n-title`, `data-i18n-placeholder` or `data-i18n-description` (`aria-description`) is
re-worded there, Python's elements as well as the page's own. Pure Python: no `js` import.

English keeps the widget's public accessible names exactly ("Close chat", "Message", "Send").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from widget.contracts.locales import DEFAULT_LOCALE, Locale, supported_locale

StringKey = Literal[
    "title",
    "subtitle",
    "newConversation",
    "closeChat",
    "conversation",
    "connecting",
    "bootError",
    "retry",
    "message",
    "placeholder",
    "send",
    "you",
    "assistant",
    "sources",
    "notSent",
    "notSentBecause",
    "typing",
    "unreachable",
    "historyUnreachable",
    "ended",
    "welcome",
    "talkToPerson",
    "waitingForPerson",
    "supportTeam",
    "handoffFailed",
]

FRAME_STRINGS: Final[dict[Locale, dict[StringKey, str]]] = {
    "en": {
        "title": "Chat",
        "subtitle": "We usually answer in seconds",
        "newConversation": "New conversation",
        "closeChat": "Close chat",
        "conversation": "Conversation",
        "connecting": "Connecting…",
        "bootError": "The chat couldn't start. Check your connection, then try again: "
        "what you typed is kept.",
        "retry": "Retry",
        "message": "Message",
        "placeholder": "Type your message…",
        "send": "Send",
        "you": "You: ",
        "assistant": "Assistant: ",
        "sources": "Sources: ",
        "notSent": "Not sent",
        "notSentBecause": "Not sent: ",
        "typing": "The assistant is typing",
        "unreachable": "Can't reach the chat server. Your message is kept: "
        "retry when you're back online.",
        "historyUnreachable": "Can't reach the chat server to load your conversation.",
        "ended": "This conversation has ended. Your next message starts a new one.",
        "welcome": "Hi! How can we help you today?",
        "talkToPerson": "Talk to a person",
        "waitingForPerson": "Waiting for a person…",
        "supportTeam": "Support team",
        "handoffFailed": "Can't reach the chat server to ask for a person. Try again in a moment.",
    },
    "de": {
        "title": "Chat",
        "subtitle": "Wir antworten meist in Sekunden",
        "newConversation": "Neues Gespräch",
        "closeChat": "Chat schließen",
        "conversation": "Gespräch",
        "connecting": "Verbindung wird hergestellt…",
        "bootError": "Der Chat konnte nicht starten. Prüfen Sie Ihre Verbindung und versuchen "
        "Sie es erneut: Ihr Text bleibt erhalten.",
        "retry": "Erneut versuchen",
        "message": "Nachricht",
        "placeholder": "Nachricht eingeben…",
        "send": "Senden",
        "you": "Sie: ",
        "assistant": "Assistent: ",
        "sources": "Quellen: ",
        "notSent": "Nicht gesendet",
        "notSentBecause": "Nicht gesendet: ",
        "typing": "Der Assistent schreibt",
        "unreachable": "Der Chat-Server ist nicht erreichbar. Ihre Nachricht bleibt erhalten: "
        "versuchen Sie es erneut, sobald Sie wieder online sind.",
        "historyUnreachable": "Der Chat-Server ist nicht erreichbar; Ihr Gespräch kann nicht "
        "geladen werden.",
        "ended": "Dieses Gespräch ist beendet. Ihre nächste Nachricht beginnt ein neues.",
        "welcome": "Hallo! Wie können wir Ihnen helfen?",
        "talkToPerson": "Mit einem Menschen sprechen",
        "waitingForPerson": "Warten auf eine Person…",
        "supportTeam": "Support-Team",
        "handoffFailed": "Der Chat-Server ist nicht erreichbar, um eine Person zu rufen. "
        "Versuchen Sie es gleich noch einmal.",
    },
    "fr": {
        "title": "Chat",
        "subtitle": "Nous répondons en général en quelques secondes",
        "newConversation": "Nouvelle conversation",
        "closeChat": "Fermer le chat",
        "conversation": "Conversation",
        "connecting": "Connexion…",
        "bootError": "Le chat n'a pas pu démarrer. Vérifiez votre connexion, puis réessayez : "
        "votre texte est conservé.",
        "retry": "Réessayer",
        "message": "Message",
        "placeholder": "Écrivez votre message…",
        "send": "Envoyer",
        "you": "Vous : ",
        "assistant": "Assistant : ",
        "sources": "Sources : ",
        "notSent": "Non envoyé",
        "notSentBecause": "Non envoyé : ",
        "typing": "L'assistant écrit",
        "unreachable": "Impossible de joindre le serveur du chat. Votre message est conservé : "
        "réessayez une fois de retour en ligne.",
        "historyUnreachable": "Impossible de joindre le serveur du chat pour charger votre "
        "conversation.",
        "ended": "Cette conversation est terminée. Votre prochain message en commence une "
        "nouvelle.",
        "welcome": "Bonjour ! Comment pouvons-nous vous aider ?",
        "talkToPerson": "Parler à une personne",
        "waitingForPerson": "En attente d'une personne…",
        "supportTeam": "Équipe support",
        "handoffFailed": "Impossible de joindre le serveur du chat pour demander une personne. "
        "Réessayez dans un instant.",
    },
    "es": {
        "title": "Chat",
        "subtitle": "Solemos responder en segundos",
        "newConversation": "Nueva conversación",
        "closeChat": "Cerrar chat",
        "conversation": "Conversación",
        "connecting": "Conectando…",
        "bootError": "No se pudo iniciar el chat. Comprueba tu conexión y vuelve a intentarlo: "
        "lo que escribiste se conserva.",
        "retry": "Reintentar",
        "message": "Mensaje",
        "placeholder": "Escribe tu mensaje…",
        "send": "Enviar",
        "you": "Tú: ",
        "assistant": "Asistente: ",
        "sources": "Fuentes: ",
        "notSent": "No enviado",
        "notSentBecause": "No enviado: ",
        "typing": "El asistente está escribiendo",
        "unreachable": "No se puede conectar con el servidor del chat. Tu mensaje se conserva: "
        "reinténtalo cuando vuelvas a tener conexión.",
        "historyUnreachable": "No se puede conectar con el servidor del chat para cargar tu "
        "conversación.",
        "ended": "Esta conversación ha terminado. Tu próximo mensaje iniciará una nueva.",
        "welcome": "¡Hola! ¿En qué podemos ayudarte?",
        "talkToPerson": "Hablar con una persona",
        "waitingForPerson": "Esperando a una persona…",
        "supportTeam": "Equipo de soporte",
        "handoffFailed": "No se puede conectar con el servidor del chat para pedir una persona. "
        "Inténtalo de nuevo en un momento.",
    },
    "ar": {
        "title": "الدردشة",
        "subtitle": "نرد عادةً خلال ثوانٍ",
        "newConversation": "محادثة جديدة",
        "closeChat": "إغلاق الدردشة",
        "conversation": "المحادثة",
        "connecting": "جارٍ الاتصال…",
        "bootError": "تعذّر بدء الدردشة. تحقّق من اتصالك ثم حاول مجددًا: ما كتبته محفوظ.",
        "retry": "إعادة المحاولة",
        "message": "الرسالة",
        "placeholder": "اكتب رسالتك…",
        "send": "إرسال",
        "you": "أنت: ",
        "assistant": "المساعد: ",
        "sources": "المصادر: ",
        "notSent": "لم تُرسل",
        "notSentBecause": "لم تُرسل: ",
        "typing": "المساعد يكتب",
        "unreachable": "تعذّر الوصول إلى خادم الدردشة. رسالتك محفوظة: أعد المحاولة عند عودة "
        "الاتصال.",
        "historyUnreachable": "تعذّر الوصول إلى خادم الدردشة لتحميل محادثتك.",
        "ended": "انتهت هذه المحادثة. رسالتك التالية تبدأ محادثة جديدة.",
        "welcome": "مرحبًا! كيف يمكننا مساعدتك اليوم؟",
        "talkToPerson": "التحدث إلى شخص",
        "waitingForPerson": "في انتظار شخص…",
        "supportTeam": "فريق الدعم",
        "handoffFailed": "تعذّر الوصول إلى خادم الدردشة لطلب شخص. حاول مرة أخرى بعد قليل.",
    },
}

# The chat logic words its notices in English (`widget.frame.chat`); the view finds their key
# here, gettext-style, so that the logic stays free of any locale.
_KEY_OF_ENGLISH: Final[dict[str, StringKey]] = {
    text: key for key, text in FRAME_STRINGS[DEFAULT_LOCALE].items()
}


def frame_locale(code: object) -> Locale:
    """The frame's locale for what the shim asked (`?locale=`): a supported one, else English."""
    return supported_locale(code) or DEFAULT_LOCALE


def translate(locale: Locale, key: StringKey) -> str:
    return FRAME_STRINGS[locale][key]


def key_of(english: str) -> StringKey | None:
    """The key of a string the chat logic wrote in English, or None (a server's own words)."""
    return _KEY_OF_ENGLISH.get(english)


def localized(locale: Locale, english: str) -> tuple[str, StringKey | None]:
    """`english` in `locale`, and its key; text the table does not hold stays as it is."""
    key = key_of(english)
    if key is not None:
        return translate(locale, key), key
    prefix = FRAME_STRINGS[DEFAULT_LOCALE]["notSentBecause"]
    if english.startswith(prefix):
        # "Not sent: <the server's reason>": the reason is the server's, in its words.
        return translate(locale, "notSentBecause") + english[len(prefix) :], None
    return english, None


def welcome_for(agent: Mapping[str, Any], locale: Locale) -> str:
    """The agent's welcome in `locale`: its `welcomeMessages[locale]`, else its `welcomeMessage`,
    else the default greeting in `locale` (frame-boot.js chooses the same way)."""
    messages = agent.get("welcomeMessages")
    if isinstance(messages, Mapping):
        text = messages.get(locale)
        if isinstance(text, str) and text.strip():
            return text
    general = agent.get("welcomeMessage")
    if isinstance(general, str) and general.strip():
        return general
    return translate(locale, "welcome")
