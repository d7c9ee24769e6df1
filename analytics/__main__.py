import sys

from core.cli import run
from analytics.cli import main

sys.exit(run(main))
