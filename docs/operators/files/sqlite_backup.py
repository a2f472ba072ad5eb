"""Copy a replywatch SQLite database while it is in use: python sqlite_backup.py SOURCE TARGET.

SQLite's online backup copies a consistent state, including what is still in the WAL file;
a plain file copy of a database in WAL mode does not.
"""

import sqlite3
import sys

if len(sys.argv) != 3:
    sys.exit("usage: python sqlite_backup.py SOURCE.db TARGET.db")
source, target = sys.argv[1], sys.argv[2]
with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
    live.backup(copy)
    check = copy.execute("PRAGMA integrity_check").fetchone()[0]
if check != "ok":
    sys.exit(f"the copy {target} failed SQLite's integrity check: {check}")
print(f"copied {source} to {target}")
