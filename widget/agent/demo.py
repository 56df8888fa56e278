"""The demo agent `ag_demo` and its knowledge: a small, true-to-the-product set of documents about
Parley, so that the demo answers real questions. The server seeds these on first start."""

from __future__ import annotations

from widget.agent.core import AgentConfig
from widget.agent.knowledge import Chunk, KnowledgeIndex, chunk_document

DEMO_AGENT_ID = "ag_demo"

DEMO_AGENT = AgentConfig(
    agent_id=DEMO_AGENT_ID,
    name="Parley",
    prompt=(
        "You are the assistant on Parley's website. Parley is an embeddable AI chat widget. "
        "Answer questions about Parley from the documents you are given, briefly and in a "
        "friendly tone. When a visitor asks about pricing, a demo or talking to sales, invite "
        "them to leave their name and email address so the team can follow up."
    ),
    welcome_message=(
        "Hi! I'm Parley's assistant. Ask me anything about the widget, "
        "or leave your email and we'll be in touch."
    ),
)

_OVERVIEW = """\
# What Parley does

Parley is an embeddable AI chat widget: a product that puts an AI assistant on your website. You
paste one snippet into your pages, a chat launcher appears, and visitors chat with an AI agent that
answers their questions from your own documents and captures leads (name, email address, phone
number and company) for your sales team.

Parley has three parts: the widget in the visitor's browser, the event API your page's
JavaScript subscribes to with `widget.on(...)`, and the server, which stores conversations and
leads, sends signed webhooks and pushes new leads to your CRM (HubSpot or Pipedrive).

## Who it is for

Parley is for teams that want a support and sales assistant on their site without sending visitor
data to a third party: SaaS companies, agencies, shops and B2B sales teams. Because Parley is
self-hosted, you run it on your own server and keep every conversation in your own database.

## How the agent answers

You train the agent by uploading documents (plain text, Markdown or HTML). The agent finds the
passages that match a question and answers from them. When your documents do not cover a question,
it says so honestly and offers to connect the visitor with your team instead of making something up.
"""

_INSTALLATION = """\
# Installation

To install Parley on your website, add the embed snippet to every page where the chat widget
should appear, just before the closing `</body>` tag. Replace YOUR-SERVER with the address of
your Parley server and `ag_demo` with your agent's id:

```html
<script async src="https://YOUR-SERVER/widget.js" data-agent-id="ag_demo"></script>
```

The launcher button appears at once; the chat itself loads in the background, so installing the
widget does not slow your page down. Loading the snippet twice is harmless: you get one widget.

## Running the server

Parley's server is a Python application. Start it with
`python -m widget serve --host 127.0.0.1 --port 8000`. It stores data in SQLite by default; set
`WIDGET_DATABASE_URL` to use another database such as PostgreSQL. On first start it prints an
admin key for the admin API, unless you set `WIDGET_ADMIN_KEY` yourself.

## Website builders

The snippet works on any site where you can add a script tag: WordPress (in a custom HTML block or
your theme's footer), Webflow, Shopify, Squarespace, Wix, or a hand-written site.
"""

_EVENTS = """\
# Browser events

Your page can listen to chat events and react to them with the event API:
`widget.on(event, callback)` subscribes a listener and returns an unsubscribe function;
`widget.once` fires a listener one time; `widget.off` removes it. `widget.open()`,
`widget.close()` and `widget.toggle()` control the panel, and `widget.ready` is a Promise that
resolves when the chat is live. The calls work as soon as the snippet is on the page.

There are six browser events you can listen to:

- `widget_opened`: the chat widget opens.
- `widget_closed`: the chat widget closes.
- `conversation_started`: the first message of a new conversation.
- `message_sent`: the visitor sends a message; the data is `{ message }`.
- `message_received`: the AI agent's reply is shown.
- `lead_captured`: the agent captures a lead; the data is `{ conversationId }`.

## Example: conversion tracking

```js
widget.on("lead_captured", ({ conversationId }) => {
  gtag("event", "generate_lead", { source: "chatbot" });
});
```

A listener that throws an error is reported in the console and does not stop the other listeners.
For lead data on your server, use webhooks rather than browser events: webhooks carry the full
lead and are not blocked by ad blockers.
"""

_WEBHOOKS = """\
# Webhooks

Webhooks send events from your Parley server to your own backend as signed HTTP POST requests.
Register an endpoint with `POST /v1/webhooks` and the list of events you want; the response holds
a signing secret that starts with `whsec_`.

## Webhook events

Parley sends nine webhook events: `lead.captured`, `conversation.started`, `conversation.ended`,
`message.sent`, `agent.updated`, `ai-action.completed`, `ai-action.failed`,
`training.completed` and `training.failed`. Every body has the form
`{ "event", "timestamp", "data" }`; the `lead.captured` data holds the lead's name, email, phone,
company name and first message.

## Signatures

Deliveries follow the Standard Webhooks specification: each request carries the headers
`webhook-id`, `webhook-timestamp` and `webhook-signature` (an HMAC-SHA256 signature of the body
made with your secret), so any Standard Webhooks library can verify them.

## Retries

Delivery is at least once. A failed delivery is retried with backoff, and a server restart loses
nothing because deliveries wait in a durable outbox. Every attempt of one delivery has the same
`webhook-id`, so your endpoint can drop duplicates. You can read the delivery log and redeliver an
event from the admin API. Set `WIDGET_WEBHOOK_RETRY_DELAYS` to change the retry schedule.
"""

_PRICING = """\
# Pricing

Parley costs nothing to start, and paid plans are priced per server, billed monthly or yearly.
Every plan includes the full widget, the event API and unlimited visitors. The plans and prices:

- Free plan: $0 per month. One agent, up to 100 conversations a month, lead capture and webhooks.
- Team plan: $29 per month. Up to 5 agents, 2,000 conversations a month, HubSpot and Pipedrive
  integrations, and removal of the Parley branding.
- Business plan: $99 per month. Unlimited agents, 20,000 conversations a month, priority support
  with a one business day response time, and help with setup.

## Billing questions

With yearly billing you get two months free compared with paying monthly. You can start a
14-day free trial of the Business plan without a credit card, and you can change or cancel your
plan at any time. For more than 20,000 conversations a month, or for custom terms, contact sales
for a quote.
"""

_INTEGRATIONS = """\
# CRM integrations

Parley integrates with HubSpot and Pipedrive. When the agent captures a lead, Parley pushes it to
every CRM you have connected: a contact in HubSpot, or a person in Pipedrive, with the name, email
address, phone number and company the visitor gave.

Connect a CRM with `PUT /v1/agents/{agentId}/integrations/hubspot` or
`PUT /v1/agents/{agentId}/integrations/pipedrive` and your CRM API token. Each push is reported
with the `ai-action.completed` or `ai-action.failed` webhook event, so you know when a lead
did not reach the CRM. The HubSpot and Pipedrive integrations are included in the Team and
Business plans.

For another CRM such as Salesforce, subscribe to the `lead.captured` webhook and forward the lead
from your own backend.
"""

_PRIVACY = """\
# Privacy and self-hosting

Parley is self-hosted: the widget, the server and the AI agent run on infrastructure you control.
There is no CDN and no outside service at run time; visitor conversations and leads stay in your
own database, and nothing is sent to us.

The chat runs in its own frame on your Parley server's origin, so scripts on the host page cannot
read the conversation or the visitor's token. The widget does not set tracking cookies.

By default the agent needs no external AI provider. If you want answers written by a large
language model, you can point Parley at any OpenAI-compatible chat endpoint, including a model you
host yourself, with the `WIDGET_LLM_BASE_URL`, `WIDGET_LLM_MODEL` and `WIDGET_LLM_API_KEY`
settings.

## GDPR

Parley helps you stay GDPR compliant: because you host it, you are the data controller and choose
where the data lives. You can export or delete a visitor's conversations and leads from your own
database.
"""

_FAQ = """\
# Frequently asked questions

## Does the widget slow down my site?

No. The launcher is drawn by a small script as soon as the page loads, and the chat itself starts
in a separate frame in the background, so your site stays fast and responsive.

## Can I see a demo?

You are using one: this chat is Parley's demo agent. For a guided demo with our team, leave your
name and email address in the chat and we will get in touch to find a time.

## How do I train the agent?

Upload your documents with `POST /v1/agents/{agentId}/training`. Plain text, Markdown and HTML files
are supported, up to 1 MB each. You receive a `training.completed` or `training.failed` webhook
when processing ends.

## Can I change what the agent says?

Yes. Change the agent's name, prompt and welcome message with `PATCH /v1/agents/{agentId}`; an
`agent.updated` webhook reports which fields changed.

## Where do I see the leads?

Leads are listed by `GET /v1/leads`, sent to your backend with the `lead.captured` webhook, and
pushed to HubSpot or Pipedrive when you have connected one. Each conversation produces at most one
lead; details the visitor gives later update it.

## Which languages does the agent speak?

The built-in agent answers with passages from your documents, so it speaks the language they are
written in. With a language model connected, it can also reply in the visitor's own language.

## Which browsers are supported?

Current versions of Chrome, Edge, Firefox and Safari, on desktop and mobile.

## How do I contact the Parley team?

Leave your name and email address in this chat and the team will get back to you, usually within
one business day.
"""

DEMO_DOCUMENTS: list[tuple[str, str]] = [
    ("overview.md", _OVERVIEW),
    ("installation.md", _INSTALLATION),
    ("browser-events.md", _EVENTS),
    ("webhooks.md", _WEBHOOKS),
    ("pricing.md", _PRICING),
    ("crm-integrations.md", _INTEGRATIONS),
    ("privacy-and-self-hosting.md", _PRIVACY),
    ("faq.md", _FAQ),
]


def demo_chunks() -> list[Chunk]:
    """The demo documents as chunks, ready for the server to store under `ag_demo`."""
    return [chunk for name, content in DEMO_DOCUMENTS for chunk in chunk_document(name, content)]


def demo_index() -> KnowledgeIndex:
    return KnowledgeIndex(demo_chunks())
