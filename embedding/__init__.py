"""Embedding models behind Haystack components: the query and document embedders share one backend per model."""
