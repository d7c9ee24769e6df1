"""Pieces every process shares: settings, the Redis connection, language detection, the process launcher."""
