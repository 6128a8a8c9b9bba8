from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
SHARED = ROOT.parent / "shared"
REAL = SHARED / "real"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def sample(name: str) -> Path:
    return SAMPLES / name


@pytest.fixture(scope="session")
def real():
    if not REAL.is_dir():
        pytest.skip("../shared/real is not beside this checkout")
    return REAL
