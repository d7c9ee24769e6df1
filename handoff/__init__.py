"""Human handoff: conversations and their transcripts, the queue, agents, routing."""
