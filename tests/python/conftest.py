import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = pathlib.Path(os.environ.get("HEED_TEST_DATA_DIR", ROOT.parent / "shared" / "data"))
FIXTURES = pathlib.Path(os.environ.get("HEED_TEST_FIXTURES_DIR", ROOT.parent / "shared" / "fixtures"))


@pytest.fixture
def cora_dir():
    path = DATA / "cora"
    if not (path / "meta.json").exists():
        pytest.skip(f"no {path}")
    return path


@pytest.fixture
def pyg_gat_cora():
    path = FIXTURES / "pyg-gat-cora"
    if not (path / "model.json").exists():
        pytest.skip(f"no {path}")
    return path
