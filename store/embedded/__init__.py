"""The embedded store (SQLite + tantivy + memory-mapped vectors, no server) and its retrievers."""
