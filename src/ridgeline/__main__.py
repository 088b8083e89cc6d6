"""``python -m ridgeline``: the same as the ``ridgeline`` command."""

import sys

from .cli import main

sys.exit(main())
