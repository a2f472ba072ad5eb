"""``replywatch demo``: the real pipeline on a simulated portfolio, with no API keys.

- :mod:`replywatch.demo.database` — the demo's own SQLite file, marked, replaced per run;
- :mod:`replywatch.demo.setup` — clients, accounts, identities, users via the portfolio
  service the commands use;
- :mod:`replywatch.demo.platforms` — the simulated platforms on free local ports;
- :mod:`replywatch.demo.pipeline` — generate, set up, collect twice, compute;
- :mod:`replywatch.demo.summary` — each client's verdicts read back from the metrics;
- :mod:`replywatch.demo.emails` — the weekly emails of owners and consultant as files;
- :mod:`replywatch.demo.progress` — what the pipeline reports while it runs.

The command itself is :mod:`replywatch.cli.demo`.
"""
