"""The indexing job: files -> articles (loaders) -> chunks -> embeddings -> store."""
