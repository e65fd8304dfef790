"""The IAM, STS and Organizations calls (bulk reads only), each response kept as a raw page.

botocore retries every call itself (standard or adaptive mode); the only loop here is the
credential report's, whose "not ready yet" answers are not errors to retry but states to wait on.
"""

import time
from collections.abc import Iterator
from typing import Any, Protocol

from botocore.exceptions import ClientError

from connectors.aws.policies import default_documents

GAAD_PAGE = 1000  # the API's maximum

# Waits between credential-report polls: a large account takes tens of seconds to generate.
REPORT_WAITS = (1, 2, 4, 8, 8, 8, 8, 8, 8, 8)
_REPORT_NOT_READY = {"ReportInProgress", "ReportNotPresent", "ReportExpired", "LimitExceeded"}


class RawPages(Protocol):
    """Where responses are kept: a `ScopeSink`, or its thread-safe `raw_page` alone."""

    def raw_page(self, operation: str, params: dict[str, Any], body: Any) -> None: ...


def error_code(e: ClientError) -> str:
    return e.response.get("Error", {}).get("Code", "")


def organization_accounts(org) -> list[str]:
    """ACTIVE member account ids of the organization the credentials belong to."""
    pages = org.get_paginator("list_accounts").paginate()
    return [a["Id"] for page in pages for a in page["Accounts"] if a.get("Status", a.get("State")) == "ACTIVE"]


def start_credential_report(iam, pages: RawPages) -> None:
    try:
        pages.raw_page("GenerateCredentialReport", {}, iam.generate_credential_report())
    except ClientError as e:
        if error_code(e) != "LimitExceeded":  # no capacity now: the poll asks again
            raise


def credential_report(iam, pages: RawPages, waits=REPORT_WAITS) -> dict:
    """GetCredentialReport once it is ready (regenerating it when absent or expired)."""
    for wait in (*waits, None):
        try:
            report = iam.get_credential_report()
        except ClientError as e:
            code = error_code(e)
            if code not in _REPORT_NOT_READY or wait is None:
                raise
            if code in ("ReportNotPresent", "ReportExpired"):
                start_credential_report(iam, pages)
            time.sleep(wait)
            continue
        pages.raw_page("GetCredentialReport", {}, {**report, "Content": report["Content"].decode("utf-8")})
        return report
    raise AssertionError("unreachable: the last wait re-raises")


def authorization_pages(iam, filters: list[str], pages: RawPages) -> Iterator[dict]:
    """GetAccountAuthorizationDetails pages of the given entity filters, as they arrive."""
    params: dict = {"Filter": filters, "MaxItems": GAAD_PAGE}
    while True:
        page = iam.get_account_authorization_details(**params)
        pages.raw_page("GetAccountAuthorizationDetails", params, page)
        yield page
        if not page.get("IsTruncated"):
            return
        params = {**params, "Marker": page["Marker"]}


def aws_managed_documents(iam, pages: RawPages) -> dict[str, dict]:
    """Default documents of the AWS-managed policies the account can see, by ARN."""
    docs: dict[str, dict] = {}
    for page in authorization_pages(iam, ["AWSManagedPolicy"], pages):
        docs.update(default_documents(page.get("Policies", [])))
    return docs


def access_keys(iam, user_name: str, pages: RawPages) -> list[dict]:
    params = {"UserName": user_name}
    keys = []
    for page in iam.get_paginator("list_access_keys").paginate(**params):
        pages.raw_page("ListAccessKeys", params, page)
        keys += page["AccessKeyMetadata"]
    return keys


def access_key_last_used(iam, key_id: str, pages: RawPages) -> dict:
    params = {"AccessKeyId": key_id}
    response = iam.get_access_key_last_used(**params)
    pages.raw_page("GetAccessKeyLastUsed", params, response)
    return response.get("AccessKeyLastUsed", {})
