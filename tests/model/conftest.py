from pathlib import Path
from textwrap import dedent

import pytest

from pipelines.located import LoadErrors, LocatedError
from pipelines.model import load_model


class ModelDir:
    """A model folder in tmp_path, written file by file."""

    def __init__(self, root: Path):
        self.root = root

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text).lstrip("\n"))
        return path

    def errors(self, **kwargs) -> list[LocatedError]:
        with pytest.raises(LoadErrors) as info:
            load_model(self.root, **kwargs)
        return info.value.errors

    def error(self, **kwargs) -> LocatedError:
        errors = self.errors(**kwargs)
        assert len(errors) == 1, "\n".join(map(str, errors))
        return errors[0]

    def where(self, err: LocatedError) -> tuple[str, int | None, int | None, str]:
        """(relative file, line, column, key) of an error, for exact assertions."""
        return Path(err.file).relative_to(self.root).as_posix(), err.line, err.column, err.key


@pytest.fixture
def model_dir(tmp_path: Path) -> ModelDir:
    return ModelDir(tmp_path / "model")
