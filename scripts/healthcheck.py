"""Container health check: the login page answers 200 on the local port.

Sends the first ALLOWED_HOSTS name as Host and `X-Forwarded-Proto: https`, as the TLS proxy
in front does, so that neither the host check nor the HTTPS redirect gets in the way.
Exit 0 when healthy, 1 otherwise. Uses the standard library only.
"""

import os
import sys
import urllib.request

PORT = os.environ.get("PORT", "8000")
URL = f"http://127.0.0.1:{PORT}/accounts/login/"


def main() -> int:
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = hosts[0].lstrip(".") if hosts and hosts[0] != "*" else "localhost"
    request = urllib.request.Request(URL, headers={"Host": host, "X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - fixed local URL
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"unhealthy: {URL} (Host: {host}): {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
