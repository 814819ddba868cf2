"""The Elasticsearch store (the ``es`` extra), its analyzer settings and its retrievers."""
