"""The rule agent's own sentences and the small talk it recognises, per language.

English, German, French and Spanish; a visitor writing in another language gets English sentences
around passages quoted in the knowledge's own words. Each sentence is a `str.format` template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEMO = "demo"
PRICING = "pricing"
CONTACT = "contact"


@dataclass(frozen=True, slots=True)
class Intent:
    name: str
    pattern: re.Pattern[str]
    query_terms: str  # words to look the intent up by, in this language


@dataclass(frozen=True, slots=True)
class Phrases:
    language: str
    greeting: re.Pattern[str]
    thanks: re.Pattern[str]
    acknowledgement: re.Pattern[str]
    goodbye: re.Pattern[str]
    introduction_only: re.Pattern[str]
    question: re.Pattern[str]
    intents: tuple[Intent, ...]

    hello: str
    nice_to_meet_you: str  # {name}
    what_to_know: str  # {agent}
    you_are_welcome: str
    anything_else: str
    goodbye_reply: str
    dont_know: str
    dont_know_with_email: str  # {email}
    no_information: str
    ask_for_details: dict[str, str]  # by intent
    topic: dict[str, str]  # by intent
    team_will_follow_up: str  # {email} {topic}
    lead_noted: str  # {first} {noted}
    your_email: str  # {email}
    lead_known: str  # {first} {email}
    lead_updated: str  # {first} {fields} {email}
    field_names: dict[str, str]  # name, email, phone, company
    and_word: str

    def first_name(self, name: str | None) -> str:
        """ ", Jane" after "Thanks" (or its translation), or nothing."""
        return f", {name.split()[0]}" if name else ""

    def join(self, words: list[str]) -> str:
        if len(words) == 1:
            return words[0]
        return ", ".join(words[:-1]) + f" {self.and_word} " + words[-1]


def _i(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_END = r"[\s!.,:;)]*"

ENGLISH = Phrases(
    language="en",
    greeting=_i(
        r"^\s*(?:hi|hello|hey|hiya|howdy|greetings|yo|good\s+(?:morning|afternoon|evening|day))"
        r"(?:\s+(?:there|all|team|everyone|folks))?" + _END
    ),
    thanks=_i(
        r"^\s*(?:(?:ok(?:ay)?|great|perfect|awesome|cool|nice|got\s+it)[\s,!.]*)?"
        r"(?:thanks|thank\s+you|thx|ty|cheers|much\s+appreciated)"
        r"(?:\s+(?:so\s+much|a\s+lot|very\s+much|a\s+bunch))?(?:\s+for\s+[\w\s']{0,40})?"
        r"[\s!.:)]*$"
    ),
    acknowledgement=_i(
        r"^\s*(?:ok(?:ay)?|great|perfect|awesome|cool|nice|got\s+it|i\s+see|alright)[\s!.:)]*$"
    ),
    goodbye=_i(
        r"^\s*(?:bye|goodbye|good\s+bye|see\s+you|see\s+ya|that's\s+all|that\s+is\s+all|"
        r"nothing\s+else|no\s+thanks)[\s!.,:)]*(?:bye)?[\s!.]*$"
    ),
    introduction_only=_i(
        r"^\s*(?:I'?m|I\u2019m|I\s+am|my\s+name\s+is|this\s+is)\s+"
        r"(?P<name>[^\W\d_][\w'\u2019 .-]{0,40}?)[\s!.]*$"
    ),
    question=_i(
        r"\?|^\s*(?:what|how|why|when|where|who|which|can|could|do|does|did|is|are|will|would|"
        r"should|may|tell\s+me|explain)\b"
    ),
    intents=(
        Intent(
            DEMO,
            _i(
                r"\b(?:demo|demos|demonstration|walk-?through|trial|see\s+it\s+in\s+action|"
                r"book\s+a\s+(?:call|meeting)|schedule\s+a\s+(?:call|meeting))\b"
            ),
            "demo trial",
        ),
        Intent(
            PRICING,
            _i(
                r"\b(?:price|prices|pricing|priced|cost|costs|how\s+much|plan|plans|quote|"
                r"subscription|billing|billed|pay|fee|fees|discount|licen[cs]e|expensive|cheap)\b"
            ),
            "pricing price plan cost",
        ),
        Intent(
            CONTACT,
            _i(
                r"\b(?:contact|sales|salesperson|talk\s+to|speak\s+(?:to|with)|call\s+me|"
                r"reach\s+(?:you|out)|get\s+in\s+touch|human|real\s+person|representative|"
                r"email\s+you|your\s+email|phone\s+number|account\s+manager)\b"
            ),
            "contact team",
        ),
    ),
    hello="Hello!",
    nice_to_meet_you="Nice to meet you, {name}!",
    what_to_know="What would you like to know? I can answer questions about {agent}.",
    you_are_welcome="You're welcome! Is there anything else I can help you with?",
    anything_else="Is there anything else you'd like to know?",
    goodbye_reply="Thanks for stopping by! Come back any time if you have questions.",
    dont_know=(
        "I'm sorry, I don't know the answer to that: it isn't covered by the information I "
        "have. If you leave your email address, someone from our team can get back to you."
    ),
    dont_know_with_email=(
        "I'm sorry, I don't know the answer to that: it isn't covered by the information I "
        "have. I'll leave it to our team, who can follow up with you at {email}."
    ),
    no_information="I'm sorry, I don't have information about that.",
    ask_for_details={
        DEMO: (
            "I'd be happy to set up a demo: leave your name and email address here, and our "
            "team will get in touch to find a time."
        ),
        PRICING: (
            "If you'd like a quote or help choosing a plan, leave your name and email address "
            "here and our team will follow up."
        ),
        CONTACT: (
            "To reach our team, leave your name and email address here (and a phone number if "
            "you'd like a call), and someone will get back to you."
        ),
    },
    topic={DEMO: "a demo", PRICING: "pricing", CONTACT: "your request"},
    team_will_follow_up=(
        "Our team has your email address ({email}) and will follow up with you about {topic}."
    ),
    lead_noted="Thanks{first}! I've noted {noted}. Someone from our team will be in touch with "
    "you soon.",
    your_email="your email address ({email})",
    lead_known="Thanks{first}, I already have your details: the team will be in touch at {email}.",
    lead_updated="Thanks{first}, I've updated your {fields}. The team will be in touch at {email}.",
    field_names={
        "name": "name",
        "email": "email address",
        "phone": "phone number",
        "company": "company",
    },
    and_word="and",
)

GERMAN = Phrases(
    language="de",
    greeting=_i(
        r"^\s*(?:hallo|hi|hey|servus|moin(?:\s+moin)?|grüß\s+gott|grüezi|guten\s+"
        r"(?:morgen|tag|abend))(?:\s+(?:zusammen|allerseits|team))?" + _END
    ),
    thanks=_i(
        r"^\s*(?:(?:ok(?:ay)?|super|prima|perfekt|toll|alles\s+klar)[\s,!.]*)?"
        r"(?:danke|dankeschön|vielen\s+dank|besten\s+dank|herzlichen\s+dank)"
        r"(?:\s+(?:schön|sehr|vielmals))?(?:\s+für\s+[\w\s']{0,40})?[\s!.:)]*$"
    ),
    acknowledgement=_i(
        r"^\s*(?:ok(?:ay)?|super|prima|perfekt|toll|alles\s+klar|verstehe)"
        r"[\s!.:)]*$"
    ),
    goodbye=_i(
        r"^\s*(?:tschüss|tschüs|ciao|auf\s+wiedersehen|bis\s+(?:bald|dann|später)|"
        r"das\s+war's|das\s+wars|nein\s+danke|sonst\s+nichts)[\s!.,:)]*$"
    ),
    introduction_only=_i(
        r"^\s*(?:ich\s+bin|ich\s+heiße|mein\s+name\s+ist|hier\s+ist)\s+"
        r"(?P<name>[^\W\d_][\w' .-]{0,40}?)[\s!.]*$"
    ),
    question=_i(
        r"\?|^\s*(?:was|wie|wo|wann|warum|wieso|wer|welche[rsmn]?|kann|können|könnt|gibt|"
        r"ist|sind|hat|haben|habt|bietet|bieten|muss)\b"
    ),
    intents=(
        Intent(
            DEMO, _i(r"\b(?:demo|vorführung|testversion|probezeitraum|ausprobieren)\b"), "demo test"
        ),
        Intent(
            PRICING,
            _i(
                r"\b(?:preis|preise|kosten|kostet|kostenlos|tarif|tarife|abo|angebot|teuer|"
                r"günstig|rabatt|lizenz)\b"
            ),
            "preis preise kosten tarif",
        ),
        Intent(
            CONTACT,
            _i(
                r"\b(?:kontakt|kontaktieren|vertrieb|ansprechpartner|mitarbeiter|mensch|"
                r"anrufen|rückruf|sprechen|erreichen|telefonnummer)\b"
            ),
            "kontakt team",
        ),
    ),
    hello="Hallo!",
    nice_to_meet_you="Schön, Sie kennenzulernen, {name}!",
    what_to_know="Was möchten Sie wissen? Ich beantworte gern Fragen zu {agent}.",
    you_are_welcome="Gern geschehen! Kann ich Ihnen sonst noch helfen?",
    anything_else="Möchten Sie sonst noch etwas wissen?",
    goodbye_reply="Danke für Ihren Besuch! Kommen Sie jederzeit wieder, wenn Sie Fragen haben.",
    dont_know=(
        "Das weiß ich leider nicht: Dazu habe ich keine Informationen. Wenn Sie Ihre "
        "E-Mail-Adresse hinterlassen, meldet sich jemand aus unserem Team bei Ihnen."
    ),
    dont_know_with_email=(
        "Das weiß ich leider nicht: Dazu habe ich keine Informationen. Ich gebe die Frage an "
        "unser Team weiter, das sich unter {email} bei Ihnen meldet."
    ),
    no_information="Dazu habe ich leider keine Informationen.",
    ask_for_details={
        DEMO: (
            "Gern vereinbaren wir eine Demo: Hinterlassen Sie hier Ihren Namen und Ihre "
            "E-Mail-Adresse, dann meldet sich unser Team für einen Termin."
        ),
        PRICING: (
            "Wenn Sie ein Angebot oder Hilfe bei der Wahl des Tarifs möchten, hinterlassen Sie "
            "hier Ihren Namen und Ihre E-Mail-Adresse, dann meldet sich unser Team."
        ),
        CONTACT: (
            "Um unser Team zu erreichen, hinterlassen Sie hier Ihren Namen und Ihre "
            "E-Mail-Adresse (und eine Telefonnummer, wenn Sie einen Anruf möchten), dann "
            "meldet sich jemand bei Ihnen."
        ),
    },
    topic={DEMO: "eine Demo", PRICING: "die Preise", CONTACT: "Ihr Anliegen"},
    team_will_follow_up=(
        "Unser Team hat Ihre E-Mail-Adresse ({email}) und meldet sich wegen {topic} bei Ihnen."
    ),
    lead_noted="Danke{first}! Ich habe {noted} notiert. Jemand aus unserem Team meldet sich "
    "bald bei Ihnen.",
    your_email="Ihre E-Mail-Adresse ({email})",
    lead_known="Danke{first}, Ihre Angaben habe ich schon: Das Team meldet sich unter {email}.",
    lead_updated="Danke{first}, ich habe {fields} aktualisiert. Das Team meldet sich unter "
    "{email}.",
    field_names={
        "name": "Ihren Namen",
        "email": "Ihre E-Mail-Adresse",
        "phone": "Ihre Telefonnummer",
        "company": "Ihr Unternehmen",
    },
    and_word="und",
)

FRENCH = Phrases(
    language="fr",
    greeting=_i(r"^\s*(?:bonjour|bonsoir|salut|coucou|allô)(?:\s+(?:à\s+tous|l'équipe))?" + _END),
    thanks=_i(
        r"^\s*(?:(?:ok|d'accord|super|parfait|génial)[\s,!.]*)?"
        r"(?:merci|je\s+vous\s+remercie)(?:\s+(?:beaucoup|bien|infiniment))?"
        r"(?:\s+pour\s+[\w\s']{0,40})?[\s!.:)]*$"
    ),
    acknowledgement=_i(r"^\s*(?:ok|d'accord|super|parfait|génial|entendu|je\s+vois)[\s!.:)]*$"),
    goodbye=_i(
        r"^\s*(?:au\s+revoir|à\s+bientôt|à\s+plus|bonne\s+journée|bonne\s+soirée|"
        r"c'est\s+tout|non\s+merci|rien\s+d'autre)[\s!.,:)]*$"
    ),
    introduction_only=_i(
        r"^\s*(?:je\s+suis|je\s+m'appelle|moi\s+c'est|mon\s+nom\s+est|ici)\s+"
        r"(?P<name>[^\W\d_][\w' .-]{0,40}?)[\s!.]*$"
    ),
    question=_i(
        r"\?|^\s*(?:que|quoi|qu'est|comment|où|quand|pourquoi|qui|quel|quelle|quels|quelles|"
        r"est-ce|puis-je|pouvez|peut-on|combien|y\s+a-t-il|avez-vous|proposez)\b"
    ),
    intents=(
        Intent(DEMO, _i(r"\b(?:démo|démonstration|essai|essayer|tester)\b"), "démo essai"),
        Intent(
            PRICING,
            _i(
                r"\b(?:prix|tarif|tarifs|coût|coûte|coûtent|combien|abonnement|devis|cher|"
                r"gratuit|remise|licence)\b"
            ),
            "prix tarif coût",
        ),
        Intent(
            CONTACT,
            _i(
                r"\b(?:contact|contacter|commercial|commerciaux|conseiller|humain|appeler|"
                r"rappeler|parler|joindre)\b"
            ),
            "contact équipe",
        ),
    ),
    hello="Bonjour !",
    nice_to_meet_you="Enchanté, {name} !",
    what_to_know="Que souhaitez-vous savoir ? Je réponds volontiers à vos questions sur {agent}.",
    you_are_welcome="Avec plaisir ! Puis-je vous aider pour autre chose ?",
    anything_else="Souhaitez-vous savoir autre chose ?",
    goodbye_reply="Merci de votre visite ! Revenez quand vous voulez si vous avez des questions.",
    dont_know=(
        "Désolé, je ne connais pas la réponse : je n'ai pas d'information à ce sujet. Si vous "
        "laissez votre adresse e-mail, quelqu'un de notre équipe vous répondra."
    ),
    dont_know_with_email=(
        "Désolé, je ne connais pas la réponse : je n'ai pas d'information à ce sujet. Je "
        "transmets la question à notre équipe, qui vous répondra à {email}."
    ),
    no_information="Désolé, je n'ai pas d'information à ce sujet.",
    ask_for_details={
        DEMO: (
            "Avec plaisir pour une démo : laissez ici votre nom et votre adresse e-mail, et "
            "notre équipe vous contactera pour fixer un rendez-vous."
        ),
        PRICING: (
            "Pour un devis ou de l'aide dans le choix d'une offre, laissez ici votre nom et "
            "votre adresse e-mail, et notre équipe vous recontactera."
        ),
        CONTACT: (
            "Pour joindre notre équipe, laissez ici votre nom et votre adresse e-mail (et un "
            "numéro de téléphone si vous souhaitez être rappelé), et quelqu'un vous répondra."
        ),
    },
    topic={DEMO: "une démo", PRICING: "les tarifs", CONTACT: "votre demande"},
    team_will_follow_up=(
        "Notre équipe a votre adresse e-mail ({email}) et vous recontactera au sujet de {topic}."
    ),
    lead_noted="Merci{first} ! J'ai noté {noted}. Quelqu'un de notre équipe vous contactera "
    "bientôt.",
    your_email="votre adresse e-mail ({email})",
    lead_known="Merci{first}, j'ai déjà vos coordonnées : l'équipe vous contactera à {email}.",
    lead_updated="Merci{first}, j'ai mis à jour {fields}. L'équipe vous contactera à {email}.",
    field_names={
        "name": "votre nom",
        "email": "votre adresse e-mail",
        "phone": "votre numéro de téléphone",
        "company": "votre entreprise",
    },
    and_word="et",
)

SPANISH = Phrases(
    language="es",
    greeting=_i(
        r"^\s*[¡!]?\s*(?:hola|buenas|buenos\s+días|buenas\s+(?:tardes|noches)|saludos)"
        r"(?:\s+(?:a\s+todos|equipo))?" + _END
    ),
    thanks=_i(
        r"^\s*[¡!]?\s*(?:(?:ok|vale|genial|perfecto|estupendo)[\s,!.]*)?"
        r"(?:gracias|muchas\s+gracias|mil\s+gracias|se\s+lo\s+agradezco)"
        r"(?:\s+por\s+[\w\s']{0,40})?[\s!.:)]*$"
    ),
    acknowledgement=_i(
        r"^\s*(?:ok|vale|genial|perfecto|entendido|de\s+acuerdo|ya\s+veo)"
        r"[\s!.:)]*$"
    ),
    goodbye=_i(
        r"^\s*[¡!]?\s*(?:adiós|adios|hasta\s+(?:luego|pronto|la\s+vista)|chao|nos\s+vemos|"
        r"eso\s+es\s+todo|no\s+gracias|nada\s+más)[\s!.,:)]*$"
    ),
    introduction_only=_i(
        r"^\s*(?:soy|me\s+llamo|mi\s+nombre\s+es|aquí)\s+(?P<name>[^\W\d_][\w' .-]{0,40}?)[\s!.]*$"
    ),
    question=_i(
        r"[?¿]|^\s*(?:qué|que|cómo|como|dónde|donde|cuándo|cuando|por\s+qué|quién|cuál|cuáles|"
        r"cuánto|cuánta|cuántos|puedo|pueden|hay|tienen|ofrecen|es|son)\b"
    ),
    intents=(
        Intent(DEMO, _i(r"\b(?:demo|demostración|prueba|probar)\b"), "demo prueba"),
        Intent(
            PRICING,
            _i(
                r"\b(?:precio|precios|tarifa|tarifas|coste|costo|cuesta|cuestan|cuánto|"
                r"suscripción|presupuesto|caro|barato|gratis|descuento|licencia)\b"
            ),
            "precio tarifa coste",
        ),
        Intent(
            CONTACT,
            _i(
                r"\b(?:contacto|contactar|ventas|comercial|asesor|humano|persona|llamar|"
                r"llamada|hablar)\b"
            ),
            "contacto equipo",
        ),
    ),
    hello="¡Hola!",
    nice_to_meet_you="¡Encantado de conocerte, {name}!",
    what_to_know="¿Qué te gustaría saber? Puedo responder preguntas sobre {agent}.",
    you_are_welcome="¡De nada! ¿Puedo ayudarte con algo más?",
    anything_else="¿Hay algo más que quieras saber?",
    goodbye_reply="¡Gracias por tu visita! Vuelve cuando quieras si tienes preguntas.",
    dont_know=(
        "Lo siento, no sé la respuesta: no tengo información sobre eso. Si dejas tu correo "
        "electrónico, alguien de nuestro equipo se pondrá en contacto contigo."
    ),
    dont_know_with_email=(
        "Lo siento, no sé la respuesta: no tengo información sobre eso. Se lo paso a nuestro "
        "equipo, que te escribirá a {email}."
    ),
    no_information="Lo siento, no tengo información sobre eso.",
    ask_for_details={
        DEMO: (
            "Con gusto organizamos una demo: deja aquí tu nombre y tu correo electrónico, y "
            "nuestro equipo te contactará para encontrar un momento."
        ),
        PRICING: (
            "Si quieres un presupuesto o ayuda para elegir un plan, deja aquí tu nombre y tu "
            "correo electrónico y nuestro equipo te contactará."
        ),
        CONTACT: (
            "Para hablar con nuestro equipo, deja aquí tu nombre y tu correo electrónico (y un "
            "teléfono si prefieres una llamada), y alguien se pondrá en contacto contigo."
        ),
    },
    topic={DEMO: "una demo", PRICING: "los precios", CONTACT: "tu consulta"},
    team_will_follow_up=(
        "Nuestro equipo tiene tu correo electrónico ({email}) y te contactará sobre {topic}."
    ),
    lead_noted="¡Gracias{first}! He anotado {noted}. Alguien de nuestro equipo se pondrá en "
    "contacto contigo pronto.",
    your_email="tu correo electrónico ({email})",
    lead_known="Gracias{first}, ya tengo tus datos: el equipo te escribirá a {email}.",
    lead_updated="Gracias{first}, he actualizado {fields}. El equipo te escribirá a {email}.",
    field_names={
        "name": "tu nombre",
        "email": "tu correo electrónico",
        "phone": "tu teléfono",
        "company": "tu empresa",
    },
    and_word="y",
)

PHRASES: dict[str, Phrases] = {p.language: p for p in (ENGLISH, GERMAN, FRENCH, SPANISH)}
PHRASE_LANGUAGES: tuple[str, ...] = tuple(PHRASES)


def phrases_for(language: str | None) -> Phrases:
    """The sentences in `language`, or in English when we have none in it."""
    return PHRASES.get(language or "en", ENGLISH)


def small_talk_language(text: str) -> str | None:
    """The language whose greeting, thanks or goodbye `text` is, if only one claims it."""
    claims = [
        phrases.language
        for phrases in PHRASES.values()
        if any(
            pattern.match(text) and not pattern.sub("", text, count=1).strip()
            for pattern in (phrases.greeting, phrases.thanks, phrases.goodbye)
        )
    ]
    return claims[0] if len(claims) == 1 else None
