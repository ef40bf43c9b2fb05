"""``python -m leadq`` runs the command line."""

import sys

from leadq.cli import main

sys.exit(main())
