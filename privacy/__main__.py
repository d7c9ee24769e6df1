import sys

from core.cli import run
from privacy.cli import main

sys.exit(run(main))
