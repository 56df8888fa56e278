"""The public chat API the frame calls: conversations, messages, rate limits, idle ending."""
