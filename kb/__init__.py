"""The FAQ knowledge base: records in Redis, versioned search indexes on disk, hybrid dense + BM25 retrieval."""
