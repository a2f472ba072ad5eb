"""YouTube channels through google-api-python-client (YouTube Data API v3).

``records`` is the only module that knows the API's JSON; ``client`` wraps the library on
the configured root URL and turns its errors into ``collectors.errors``; ``collect`` is the
run (what is read, in which order, what it costs); ``factory`` builds it for the registry.
"""

import warnings

# google-api-core warns on import, from its own calendar, once Google stops supporting the
# running Python (3.11: from 2027-10-24). That is for the operator's upgrade plan
# (docs/operators/upgrades.md), not a line in every command's output and the weekly email log.
warnings.filterwarnings(
    "ignore", category=FutureWarning, module=r"google\.api_core\._python_version_support"
)
