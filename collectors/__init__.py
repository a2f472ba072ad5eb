"""Collectors: one package per platform turning API payloads into storage records."""
