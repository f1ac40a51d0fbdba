"""`python -m pajamas`: the same as the `pajamas` command."""

from __future__ import annotations

import sys

from pajamas.cli import main

sys.exit(main())
