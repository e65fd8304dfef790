"""moto's server in this process, for the demo estate and the tests: idrift talks to it over
HTTP as to AWS, and the seeders reach into its backend for what the API cannot do (backdating
creation and last use, seeding thousands of principals in a fraction of a second)."""

import logging
import os

# Read when moto builds an account's IAM backend; without it no AWS-managed policy exists.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from moto.iam.models import IAMBackend, iam_backends  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

REGION = "us-east-1"
DUMMY_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def start(port: int = 0) -> tuple[ThreadedMotoServer, str]:
    """A running moto server on 127.0.0.1 and its endpoint."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per call otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound = server.get_host_and_port()
    return server, f"http://{host}:{bound}"


def iam_backend(account: str) -> IAMBackend:
    return iam_backends[account]["global"]
