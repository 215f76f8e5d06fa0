"""Retrieval: finding past turns again (full text, vectors, fusion) and building prompt context.

Filters and word handling are shared by full-text search, vector search and the context engine;
chunking and embedding prepare stored messages; the worker and reindex keep vectors up to date.
"""
