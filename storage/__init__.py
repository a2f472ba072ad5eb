"""Storage: SQLAlchemy 2 models, engines, migrations and idempotent upserts.

Everything above this package (collectors, metrics, dashboard, reports) shares these
tables. Nothing here imports any other replywatch package.
"""
