"""Every value from a provider or the model is text in the report, never markup."""

import html
import re

MARKUP_AGENT = "<script>alert('agent')</script>"


def test_markup_in_principals_and_agents_stays_text(project, moto_server, new_account):
    account = new_account()
    principal = f"arn:aws:iam::{account}:role/<img/src=x/onerror=alert(1)>"
    project.configure([account], model=f"""
version: 1
agents:
  - id: "{MARKUP_AGENT}"
    kind: ai_agent
    sponsor: "<b>boss</b>@example.com"
    identities: [aws: "{principal}"]
""")

    result = project.idrift("run")

    assert result.exit_code == 0, result.stderr
    [folder] = (project.root / "reports").iterdir()
    page = (folder / "index.html").read_text()
    assert "<script" not in page and "<img" not in page and "<b>boss" not in page
    text = html.unescape(page)
    assert principal in text and f"<b>boss</b>@example.com → {MARKUP_AGENT}" in text  # shown, as text
    assert not re.search(r"<(?!/?(html|head|meta|title|style|body|h[1-3]|p|table|tr|th|td|span|code|strong|br|details"
                         r"|summary|pre)\b)[a-z]", page)  # nothing but the template's own tags
