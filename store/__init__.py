"""Stores: one base (protocol, shared types, errors, chunk-metadata layout, filters) and one folder per backend."""
