"""``python -m cli`` runs the ``leadq`` command line."""

import sys

from cli import main

sys.exit(main())
