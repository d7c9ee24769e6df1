import sys

from core.cli import run
from handoff.cli import main

sys.exit(run(main))
