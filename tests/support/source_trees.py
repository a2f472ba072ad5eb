"""Our own Python source, parsed in a child process.

CPython 3.11 counts the depth of its AST conversion in state shared by every thread
(python/cpython#106905). When a thread left running by an earlier test in the same worker
(a Werkzeug server compiles its URL rules through ``ast``) converts a tree at the same
moment, ``ast.parse`` here fails with "AST constructor recursion depth mismatch" although
the source is fine. A child process has no such neighbours; the trees come back pickled.
"""

from __future__ import annotations

import ast
import pickle
import subprocess
import sys
from pathlib import Path

_PARSE = """
import ast, pickle, sys
trees = []
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as source:
        trees.append(ast.parse(source.read(), filename=path))
sys.stdout.buffer.write(pickle.dumps(trees))
"""


def parse_files(paths: list[Path]) -> dict[Path, ast.Module]:
    """Each file's syntax tree; a file that does not parse fails with its name."""
    if not paths:
        return {}
    done = subprocess.run(
        [sys.executable, "-c", _PARSE, *map(str, paths)], capture_output=True, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"parsing our source failed:\n{done.stderr.decode(errors='replace')}")
    return dict(zip(paths, pickle.loads(done.stdout), strict=True))
