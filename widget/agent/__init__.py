"""The chat agent: retrieval over an agent's training documents, lead capture, and the reply logic.

Pure server-side Python with no web framework and no database: the server stores chunks and
conversations and hands them in. `RuleAgent` needs no outside service; `OpenAICompatibleAgent`
talks to any OpenAI-compatible chat endpoint when `WIDGET_LLM_BASE_URL` and `WIDGET_LLM_MODEL`
are set.
"""

from widget.agent.core import (
    Agent,
    AgentConfig,
    AgentError,
    AgentReply,
    OpenAICompatibleAgent,
    RuleAgent,
    Turn,
    agent_from_env,
)
from widget.agent.knowledge import (
    Chunk,
    KnowledgeIndex,
    UnusableDocument,
    chunk_document,
    extract_text,
    split_document,
)
from widget.agent.leads import LeadDetails, extract_lead, merge

__all__ = [
    "Agent",
    "AgentConfig",
    "AgentError",
    "AgentReply",
    "Chunk",
    "KnowledgeIndex",
    "LeadDetails",
    "OpenAICompatibleAgent",
    "RuleAgent",
    "Turn",
    "UnusableDocument",
    "agent_from_env",
    "chunk_document",
    "extract_lead",
    "extract_text",
    "merge",
    "split_document",
]
