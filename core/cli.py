"""How every ``./cs`` command ends when the operator meets a failure they can fix: one sentence and an exit code,
never a traceback. Redis not running (or another ``REDIS_URL``), a file that cannot be read or written."""

from __future__ import annotations

import sys
from collections.abc import Callable

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeout


def run(main: Callable[[], int]) -> int:
    """``main()``'s exit code, or 2 with the reason on stderr (130 on Ctrl-C)."""
    try:
        return main()
    except (RedisConnectionError, RedisTimeout) as exc:
        from core.redis import redis_url, shown_url
        from core.settings import get_settings

        print(f"error: cannot reach Redis at {shown_url(redis_url(get_settings()))} ({exc}). "
              "Start the product with ./run.sh, or point REDIS_URL at your Redis.", file=sys.stderr)
    except OSError as exc:  # --out into a directory or a missing folder, an unreadable file
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 2
