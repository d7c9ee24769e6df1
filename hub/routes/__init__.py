"""One router per audience: customers, agents, knowledge-base editors, operations."""
