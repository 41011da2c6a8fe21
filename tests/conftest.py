from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "cases"


@pytest.fixture
def example_cases() -> Path:
    return CASES / "redcar-cleveland-middlesbrough.csv"


@pytest.fixture
def example_judgements() -> Path:
    return CASES / "redcar-cleveland-middlesbrough-judgements.csv"
