"""``./run.sh``: start everything, print where to open it, keep it running, stop everything on Ctrl-C.

A service that dies, or runs but stops answering its health checks, is
restarted by itself (with backoff) while the others keep serving; a launcher that was itself killed leaves nothing behind that
would stop the next ``./run.sh`` (see ``core/supervisor.py``).
"""

from __future__ import annotations

import signal
import sys
import time

from core.settings import get_settings
from core.stack import Stack


def main() -> int:
    settings = get_settings()
    stack = Stack(settings)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        stack.start()
        password = stack.ensure_admin()
    except Exception as exc:
        print(f"\nstart-up failed: {exc}", file=sys.stderr)
        stack.stop()
        return 1
    hub = settings.hub_url
    print(f"""
  Customer service platform is running.

    Customer chat      {hub}/chat
    Agent console      {hub}/console
    Knowledge base     {hub}/kb
    API docs           {hub}/docs
    Health             {hub}/healthz
    Rasa               {settings.rasa_url}   actions {settings.action_url}
    Logs               {stack.logs}/
""")
    if password:
        # Shown once, on a terminal only: a launcher whose output goes to a file never writes it there.
        shown = password if sys.stdout.isatty() else "(not shown: output is not a terminal)"
        print(f"  First run: sign in to the console as  admin / {shown}")
        print(f"  The password is also in {stack.admin_password_file} (readable by you only) until you change it;")
        print("  the first sign-in asks for a new one. Add agents with:  ./cs agents add alice --name Alice\n")
    print("  Press Ctrl-C to stop.\n", flush=True)
    while not stopping:
        stack.supervise()
        time.sleep(0.5)
    print("\nstopping...", flush=True)
    stack.stop()
    print("stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
