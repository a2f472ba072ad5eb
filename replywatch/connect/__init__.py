"""Owners connect their own accounts: the platforms' consent screens (OAuth) or app
passwords, tokens sealed in the database and watched until they must be renewed."""
