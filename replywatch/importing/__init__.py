"""Importers: offline data sets read into storage, never through a platform's API.

An importer turns a file into stored items through ``storage.upsert`` the way a
collector's batches are stored, so the metrics cannot tell them apart; it imports only
storage (the layering contract in pyproject.toml keeps it so). ``twcs`` reads the Kaggle
"Customer Support on Twitter" data set (``replywatch import twcs``).
"""
