"""The owner's live inbox: open conversations (waiting ones first), a person's replies, handing
a conversation back to the AI, closing it, and the stream of changes."""
