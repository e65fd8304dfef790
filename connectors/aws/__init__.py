"""The AWS IAM connector: `get` makes the calls, `transform` and `policies` turn their answers
into records, `connector` runs one account's reads and decides what is complete."""

from connectors.aws.connector import AwsConnector
from connectors.aws.managed import ManagedPolicyCache

__all__ = ["AwsConnector", "ManagedPolicyCache"]
