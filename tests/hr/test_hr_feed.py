from datetime import datetime, timezone

import pytest

from connectors.hr import HrFeedError, read_people


def write(tmp_path, text):
    p = tmp_path / "people.csv"
    p.write_text(text)
    return p


def test_people_are_read_with_normalised_status_and_instants(tmp_path):
    p = write(tmp_path, "id,email,status,terminated_at,manager\n"
                        "alice,Alice@Example.com,Active,,bob\n"
                        "dave,dave@example.com,terminated,2026-11-20T17:00:00Z,bob\n"
                        "erin,erin@example.com,terminated,2027-01-31,\n")
    people = read_people(p)
    assert [x["person_id"] for x in people] == ["alice", "dave", "erin"]
    assert people[0]["status"] == "active" and people[0]["manager"] == "bob"
    assert people[1]["terminated_at"] == datetime(2026, 11, 20, 17, tzinfo=timezone.utc)
    assert people[2]["terminated_at"] == datetime(2027, 1, 31, tzinfo=timezone.utc)  # bare date: 00:00 UTC
    assert people[2]["manager"] is None


def test_every_bad_line_is_reported_with_its_number(tmp_path):
    p = write(tmp_path, "id,email,status,terminated_at,manager\n"
                        "alice,a@x,retired,,\n"
                        ",b@x,active,,\n"
                        "carol,c@x,terminated,last tuesday,\n"
                        "ALICE,a2@x,active,,\n")
    with pytest.raises(HrFeedError) as e:
        read_people(p)
    text = str(e.value)
    assert f"{p}:2: status: 'retired' is not one of active, suspended, terminated" in text
    assert f"{p}:3: id: empty" in text
    assert f"{p}:4: terminated_at: 'last tuesday'" in text
    assert f"{p}:5: id: duplicate person 'ALICE' (also on line 2)" in text


def test_missing_columns_and_missing_file(tmp_path):
    with pytest.raises(HrFeedError, match="missing column"):
        read_people(write(tmp_path, "id,email\nalice,a@x\n"))
    with pytest.raises(HrFeedError, match="cannot read the HR feed"):
        read_people(tmp_path / "nope.csv")
