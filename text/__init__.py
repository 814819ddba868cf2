"""Text rules, the lowest layer: analysis (normalise, tokenise, stem), scripts and letters, word lists, chunking,
dates. Pure functions and data; nothing here imports another Kavosh package."""
