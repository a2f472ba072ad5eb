"""The Dash dashboard: pages, figures, login. Reads metrics and storage only."""
