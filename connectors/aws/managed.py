"""AWS-managed policy documents, shared by every account (and worker thread) of a run."""

import threading
from collections.abc import Callable


class ManagedPolicyCache:
    """Policy ARN -> default document. The documents are the same in every account, and the
    AWSManagedPolicy pages are large, so they are fetched once per run rather than per account."""

    def __init__(self) -> None:
        self._docs: dict[str, dict] = {}
        self._lock = threading.Lock()

    def documents(self, arns: set[str], fetch: Callable[[], dict[str, dict]] | None) -> dict[str, dict]:
        """The cached documents of `arns`, first calling `fetch` when some are missing.

        The lock is held during the fetch on purpose: a second worker missing the same policies
        waits for the first one's pages instead of fetching them again."""
        with self._lock:
            if fetch is not None and not arns <= self._docs.keys():
                self._docs.update(fetch())
            return {a: self._docs[a] for a in arns if a in self._docs}
