"""`python -m psynote.cli`: the same as the `psynote` command."""

import sys

from psynote.cli import main

sys.exit(main())
