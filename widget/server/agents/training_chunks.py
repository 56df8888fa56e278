"""A training's documents as chunks: pure computation, run in a child process by the training
worker (`widget.server.agents.training_jobs`), so it imports nothing but the agent's knowledge
module."""

from __future__ import annotations

from widget.agent.knowledge import Chunk, UnusableDocument, chunk_document


def chunk_documents(documents: list[dict[str, str]]) -> list[Chunk]:
    """Every document's chunks; raises UnusableDocument for the first one that cannot be used."""
    chunks: list[Chunk] = []
    names = [d["name"] for d in documents]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise UnusableDocument(f"document names must be unique; repeated: {', '.join(duplicates)}")
    for document in documents:
        found = chunk_document(document["name"], document["content"])
        if not found:
            raise UnusableDocument(f"document {document['name']!r} has no usable text")
        chunks.extend(found)
    return chunks
