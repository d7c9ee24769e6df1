import sys

from privacy.cli import main

sys.exit(main())
