"""Retrieval: finding past turns again (full text, vectors, fusion) and building prompt context.

Filters and word handling are shared by full-text search, vector search and the context engine;
chunking and embedding prepare stored messages; the worker and reindex keep vectors up to date.
"""

import os

# Retrieval's matrices are tiny (<= a few hundred x 384): OpenBLAS's thread pool only adds
# hand-offs, and on a busy 2-core machine it made an 80x80 similarity matrix 12x slower (0.6 ms
# -> 7 ms). Every module here imports numpy lazily, after this package's __init__ has run.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
