"""Stores: one protocol per store, an in-memory twin and SQLite/Redis implementations."""
