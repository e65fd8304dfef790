from pipelines.secrets import REDACTED, looks_secret, redact


def test_secret_shapes_are_recognised_and_identifiers_are_not():
    assert looks_secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    assert looks_secret("-----BEGIN RSA PRIVATE KEY-----\nMIIE...")  # a fake key
    assert looks_secret("token=xoxb-1234567890-fakeabcdef")
    assert looks_secret("ghp_" + "a1B2" * 9)
    assert not looks_secret("AKIAIOSFODNN7EXAMPLE")  # an access key id is an identifier
    assert not looks_secret("da39a3ee5e6b4b0d3255bfef95601890afd80709")  # a hex digest
    assert not looks_secret("arn:aws:iam::111122223333:role/service-role/InvoiceAgentExecutionRole")
    assert not looks_secret("inspector2:BatchUpdateMemberEc2DeepInspectionStatus")  # a 40-letter IAM action


def test_random_secret_keys_are_recognised():
    import base64
    import random

    rng = random.Random(7)
    keys = [base64.b64encode(rng.randbytes(30)).decode() for _ in range(2000)]
    keys = [k for k in keys if any(c.isdigit() for c in k)]  # the test above: a digit among mixed case
    assert sum(looks_secret(k) for k in keys) / len(keys) > 0.999


def test_redact_replaces_secret_fields_at_any_depth():
    body = {"Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s", "SessionToken": "t"},
            "items": [{"password": "p", "PasswordLastUsed": "2026-01-01"}]}
    assert redact(body) == {
        "Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": REDACTED, "SessionToken": REDACTED},
        "items": [{"password": REDACTED, "PasswordLastUsed": "2026-01-01"}],
    }


def test_the_warehouse_judges_secrets_as_python_does():
    import base64
    import random

    import duckdb

    from pipelines.secrets import sql_macro

    rng = random.Random(3)
    corpus = [base64.b64encode(rng.randbytes(30)).decode() for _ in range(300)] + [
        "AKIAIOSFODNN7EXAMPLE", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "key=" + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "inspector2:BatchUpdateMemberEc2DeepInspectionStatus", "ghp_" + "a1B2" * 9, "eyJhbGciOiJIUzI1NiJ9x.eyJzdWIiOiIxMjM0x.sig",
        '{"owner": "alice@example.com"}', "", "-----BEGIN PRIVATE KEY-----",
    ]
    con = duckdb.connect()
    con.execute(sql_macro())
    in_sql = [r[0] for r in con.execute("SELECT looks_secret(unnest(?::VARCHAR[]))", [corpus]).fetchall()]
    assert in_sql == [looks_secret(v) for v in corpus]
    assert sum(in_sql) > 250
