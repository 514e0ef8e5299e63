"""Entry point for `python -m outreach`."""

import os
import sys

from outreach.cli import main

try:
    code = main()
    sys.stdout.flush()
except BrokenPipeError:
    # The reader went away (`... | head`): stop quietly, as other command-line tools do,
    # and point stdout at /dev/null so the flush at exit cannot fail a second time.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    code = 141  # 128 + SIGPIPE, what a shell reports for a tool killed by a closed pipe
sys.exit(code)
