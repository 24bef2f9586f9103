import pytest

from bzzz import schemas
from bzzz.errors import InputError
from bzzz.tasks.keys import parse_task_key, task_key


def test_round_trip():
    assert parse_task_key(task_key("octo-org/my.repo_1", 42)) == ("octo-org/my.repo_1", 42)


@pytest.mark.parametrize(
    "key", ["octo/repo", "octo#1", "-octo/r#1", "o/r#0", "o/r#x", "o/r/s#1", ""]
)
def test_malformed_keys_name_the_field(key):
    with pytest.raises(InputError) as caught:
        parse_task_key(key)
    assert caught.value.field == "task"


@pytest.mark.parametrize("key", ["octo/repo#1", "a/b#9999999999", "-a/b#1", "a/b c#1", "a/b#01"])
def test_python_and_schema_agree(key):
    import re

    in_python = True
    try:
        parse_task_key(key)
    except InputError:
        in_python = False
    in_schema = re.fullmatch(schemas.load("task-key.json")["pattern"].strip("^$"), key) is not None
    assert in_python == in_schema
