"""The fixed question set for answer quality: questions in four languages over three knowledge sets.

The demo knowledge (English), a German outdoor shop, and a bike-rental company whose site has French
and Spanish pages. Questions are worded the way visitors ask, not copied from the documents; a
third of them are out of scope, and the right answer to those is an honest "I don't know".
`expected` holds the documents an answer may draw on; it is empty when the agent should decline.
"""

from __future__ import annotations

from dataclasses import dataclass

from widget.agent.demo import DEMO_DOCUMENTS


@dataclass(frozen=True, slots=True)
class Question:
    knowledge: str  # a key of KNOWLEDGE_SETS
    language: str
    text: str
    expected: tuple[str, ...]  # documents that hold the answer; none: out of scope


GERMAN_SHOP: list[tuple[str, str]] = [
    (
        "versand.md",
        """\
# Versand und Lieferung

Wir versenden alle Bestellungen innerhalb von zwei Werktagen. Die Zustellung dauert innerhalb
Deutschlands ein bis drei Werktage, nach Österreich und in die Schweiz drei bis fünf Werktage.

## Versandkosten

Ab einem Bestellwert von 50 Euro liefern wir innerhalb Deutschlands kostenlos. Darunter berechnen
wir 4,90 Euro. Für Österreich und die Schweiz berechnen wir pauschal 9,90 Euro.

## Sendungsverfolgung

Sobald Ihr Paket unterwegs ist, erhalten Sie eine E-Mail mit der Sendungsnummer von DHL. Damit
können Sie den Status Ihrer Lieferung jederzeit verfolgen.
""",
    ),
    (
        "zahlung.md",
        """\
# Zahlungsarten

Sie können bei uns per PayPal, Kreditkarte (Visa, Mastercard), Sofortüberweisung und auf Rechnung
bezahlen. Der Kauf auf Rechnung steht Kunden mit einer Lieferadresse in Deutschland offen.

## Rechnung

Die Rechnung liegt Ihrem Paket bei. Bitte überweisen Sie den Betrag innerhalb von 14 Tagen.

## Gutscheine

Gutscheine lösen Sie im Warenkorb ein. Ein Gutschein ist drei Jahre gültig und wird nicht bar
ausgezahlt.
""",
    ),
    (
        "rueckgabe.md",
        """\
# Rückgabe und Umtausch

Sie haben 30 Tage Rückgaberecht ab Erhalt der Ware. Die Rücksendung ist für Sie kostenlos: Drucken
Sie das Rücksendeetikett in Ihrem Kundenkonto aus. Nach Eingang der Ware erstatten wir den Kaufpreis
innerhalb von fünf Werktagen.

## Garantie

Auf alle Zelte und Rucksäcke geben wir zwei Jahre Garantie. Wenden Sie sich bei einem Defekt mit
einem Foto und Ihrer Bestellnummer an unseren Kundenservice.
""",
    ),
    (
        "kontakt.md",
        """\
# Kontakt und Öffnungszeiten

Unser Kundenservice ist montags bis freitags von 9 bis 18 Uhr telefonisch unter 030 1234567
erreichbar. Per E-Mail erreichen Sie uns unter service@bergwerk-outdoor.de.

## Ladengeschäft

Unser Laden in Berlin-Kreuzberg, Bergmannstraße 12, ist montags bis samstags von 10 bis 19 Uhr
geöffnet.
""",
    ),
]

BIKE_RENTAL: list[tuple[str, str]] = [
    (
        "tarifs.md",
        """\
# Tarifs de location

La location d'un vélo de ville coûte 15 euros la journée et 60 euros la semaine. Un vélo
électrique coûte 30 euros la journée. Les enfants de moins de 12 ans bénéficient d'une réduction
de 50 %.

## Caution

Nous demandons une caution de 300 euros par vélo, par carte bancaire. Elle n'est pas débitée et
elle est libérée au retour du vélo.
""",
    ),
    (
        "reservation.md",
        """\
# Réservation et annulation

Vous pouvez réserver en ligne jusqu'à la veille de votre location. L'annulation est gratuite
jusqu'à 48 heures avant le début de la location ; ensuite, nous conservons la moitié du montant.

## Horaires

L'agence est ouverte tous les jours de 9 h à 19 h, d'avril à octobre. De novembre à mars, elle
ferme le lundi.
""",
    ),
    (
        "equipement.md",
        """\
# Équipement et sécurité

Chaque location comprend un casque, un antivol et une trousse de réparation. Les sièges enfant et
les remorques sont disponibles sur demande, sans supplément.

## Assurance

Nos vélos sont assurés contre le vol si l'antivol fourni a été utilisé. En cas de crevaison,
appelez-nous : nous intervenons dans tout Lyon en moins d'une heure.
""",
    ),
    (
        "tarifas.md",
        """\
# Tarifas de alquiler

El alquiler de una bicicleta de ciudad cuesta 15 euros al día y 60 euros a la semana. Una
bicicleta eléctrica cuesta 30 euros al día. Los niños menores de 12 años tienen un descuento del
50 %.

## Fianza

Pedimos una fianza de 300 euros por bicicleta, con tarjeta bancaria. No se cobra y se libera al
devolver la bicicleta.
""",
    ),
    (
        "reservas.md",
        """\
# Reservas y cancelaciones

Puede reservar en línea hasta el día anterior al alquiler. La cancelación es gratuita hasta 48
horas antes del inicio del alquiler; después, nos quedamos con la mitad del importe.

## Horario

La oficina abre todos los días de 9 a 19 h, de abril a octubre. De noviembre a marzo cierra los
lunes.
""",
    ),
    (
        "equipamiento.md",
        """\
# Equipamiento y seguridad

Cada alquiler incluye un casco, un candado y un kit de reparación. Las sillas infantiles y los
remolques están disponibles bajo petición, sin coste adicional.

## Seguro

Nuestras bicicletas están aseguradas contra robo si se ha usado el candado incluido. En caso de
pinchazo, llámenos: llegamos a cualquier punto de Lyon en menos de una hora.
""",
    ),
]

KNOWLEDGE_SETS: dict[str, list[tuple[str, str]]] = {
    "demo": DEMO_DOCUMENTS,
    "shop-de": GERMAN_SHOP,
    "rental-fr-es": BIKE_RENTAL,
}


def _q(
    knowledge: str, language: str, expected: str | tuple[str, ...] | None, *texts: str
) -> list[Question]:
    documents = (expected,) if isinstance(expected, str) else (expected or ())
    return [Question(knowledge, language, text, documents) for text in texts]


QUESTIONS: list[Question] = [
    # English, over the demo knowledge.
    *_q("demo", "en", "overview.md", "What is Parley?", "Who is this product for?"),
    *_q("demo", "en", "pricing.md", "How much is the Team plan?", "Is there a free trial?"),
    *_q("demo", "en", "crm-integrations.md", "Can I connect it to Pipedrive?"),
    *_q("demo", "en", "installation.md", "How do I add the widget to my WordPress site?"),
    *_q("demo", "en", "webhooks.md", "How do I verify webhook signatures?"),
    *_q("demo", "en", "browser-events.md", "Which events can my JavaScript listen to?"),
    # Both say so: "installing the widget does not slow your page down".
    *_q("demo", "en", ("faq.md", "installation.md"), "Will the chat make my website slower?"),
    # Both say so: "without sending visitor data to a third party".
    *_q(
        "demo",
        "en",
        ("privacy-and-self-hosting.md", "overview.md"),
        "Is my visitors' data sent to a third party?",
    ),
    *_q(
        "demo",
        "en",
        "privacy-and-self-hosting.md",
        "Can I use my own language model?",
        "Is Parley GDPR compliant?",
    ),
    *_q(
        "demo",
        "en",
        None,
        "Do you sell pizza?",
        "What's the weather like in Paris?",
        "Can I pay with bitcoin?",
        "Do you have an office in Tokyo?",
        "Is there an iOS app?",
        "Who won the football match yesterday?",
    ),
    # German, over the outdoor shop.
    *_q(
        "shop-de",
        "de",
        "versand.md",
        "Wie lange dauert der Versand?",
        "Was kostet der Versand nach Österreich?",
        "Ab welchem Bestellwert ist die Lieferung kostenlos?",
        "Wie kann ich mein Paket verfolgen?",
    ),
    *_q(
        "shop-de",
        "de",
        "zahlung.md",
        "Welche Zahlungsarten gibt es?",
        "Kann ich mit PayPal bezahlen?",
        "Kann ich auf Rechnung kaufen?",
        "Wie lange ist ein Gutschein gültig?",
    ),
    *_q(
        "shop-de",
        "de",
        "rueckgabe.md",
        "Wie lange habe ich Zeit für eine Rückgabe?",
        "Gibt es Garantie auf Zelte?",
    ),
    *_q(
        "shop-de",
        "de",
        "kontakt.md",
        "Wann hat euer Laden geöffnet?",
        "Wie erreiche ich den Kundenservice?",
    ),
    *_q(
        "shop-de",
        "de",
        None,
        "Verkauft ihr auch Fahrräder?",
        "Habt ihr eine Filiale in München?",
        "Kann ich mit Bitcoin bezahlen?",
        "Wie wird das Wetter morgen?",
        "Bietet ihr Kletterkurse an?",
        "Liefert ihr auch nach Japan?",
    ),
    # French, over the rental company's French pages.
    *_q(
        "rental-fr-es",
        "fr",
        "tarifs.md",
        "Combien coûte un vélo électrique ?",
        "Faut-il laisser une caution ?",
        "Y a-t-il une réduction pour les enfants ?",
    ),
    *_q(
        "rental-fr-es",
        "fr",
        "reservation.md",
        "Jusqu'à quand puis-je annuler ma réservation ?",
        "Quels sont vos horaires d'ouverture ?",
    ),
    *_q(
        "rental-fr-es",
        "fr",
        "equipement.md",
        "Est-ce que le casque est fourni ?",
        "Avez-vous des sièges pour enfants ?",
        "Que faire en cas de crevaison ?",
        "Le vélo est-il assuré contre le vol ?",
        "Peut-on avoir une remorque ?",
    ),
    *_q(
        "rental-fr-es",
        "fr",
        None,
        "Proposez-vous des visites guidées en bateau ?",
        "Puis-je louer une voiture ?",
        "Quel temps fera-t-il demain ?",
        "Acceptez-vous les chèques vacances ?",
        "Avez-vous une agence à Paris ?",
    ),
    # Spanish, over the rental company's Spanish pages.
    *_q(
        "rental-fr-es",
        "es",
        "tarifas.md",
        "¿Cuánto cuesta una bicicleta eléctrica?",
        "¿Hay descuento para niños?",
        "¿Cuánto es la fianza?",
    ),
    *_q(
        "rental-fr-es",
        "es",
        "reservas.md",
        "¿Puedo cancelar la reserva gratis?",
        "¿Cuál es el horario de la oficina?",
    ),
    *_q(
        "rental-fr-es",
        "es",
        "equipamiento.md",
        "¿Incluye casco?",
        "¿Tienen sillas infantiles?",
        "¿Qué pasa si tengo un pinchazo?",
        "¿Las bicicletas tienen seguro contra robo?",
        "¿Puedo pedir un remolque?",
    ),
    *_q(
        "rental-fr-es",
        "es",
        None,
        "¿Alquilan coches?",
        "¿Organizan excursiones en barco?",
        "¿Qué tiempo hará mañana?",
        "¿Aceptan pagos con bitcoin?",
        "¿Tienen una oficina en Madrid?",
    ),
]
