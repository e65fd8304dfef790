"""Emulators shared by the whole suite: started once per session (moto with AWS-managed policies
costs about a second to reset), with fresh accounts per test instead of resets."""

import os

import pytest

from tests.emulators.fault_proxy import FaultProxy
from tests.emulators.moto_server import DUMMY_KEYS, REGION, MotoServer
from tests.project import Project


@pytest.fixture(scope="session")
def moto_server():
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def aws_organization(moto_server):
    """The organization of moto's default account; `moto_server.new_account(...)` adds to it."""
    session = moto_server.management()
    session.client("organizations", endpoint_url=moto_server.endpoint).create_organization(FeatureSet="ALL")
    return session


@pytest.fixture
def new_account(moto_server, aws_organization):
    """Call it for a fresh, empty AWS account id (a member of the organization)."""
    return lambda: moto_server.new_account(aws_organization)


@pytest.fixture
def aws_env(monkeypatch):
    """The ambient AWS configuration the SDK sees during one test: moto's dummy keys (they act
    in the management account), no profile, config file or instance metadata of the machine."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", DUMMY_KEYS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", DUMMY_KEYS["aws_secret_access_key"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


@pytest.fixture
def fault_proxy(moto_server):
    proxy = FaultProxy(moto_server.endpoint)
    yield proxy
    proxy.stop()


@pytest.fixture
def project(tmp_path, moto_server, aws_env) -> Project:
    """A fresh project folder whose config points at moto (see tests/project.py)."""
    return Project(tmp_path / "project", moto_server.endpoint)
