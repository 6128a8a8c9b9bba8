import uuid
from pathlib import Path

import pytest

from pgserver import running_postgres

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = FIXTURES / "seeds"          # the five seed reports (links into data/samples, which also holds real demo reports)
REAL = FIXTURES / "real"            # the real reports of ../shared/real (pingtan-units/ flattened in; those in the demo are links)


def sample(name: str) -> Path:
    return SEEDS / name


@pytest.fixture(scope="session")
def real():
    if not REAL.is_dir():
        pytest.skip("tests/fixtures/real is missing")
    return REAL


# --- a real PostgreSQL server, started from the machine's binaries ----------------------

@pytest.fixture(scope="session")
def postgres_server():
    """Base URL of a throw-away PostgreSQL on a free loopback port."""
    try:
        with running_postgres() as url:
            yield url
    except FileNotFoundError as e:
        pytest.fail(str(e))


@pytest.fixture
def pg_database(postgres_server):
    """A fresh database on the server for one test; its URL."""
    import psycopg
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.replace("postgresql+psycopg", "postgresql") + "/postgres",
                         autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{postgres_server}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """The same store test runs on SQLite and on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'reviews.db'}"
    return request.getfixturevalue("pg_database")


# --- Debian's headless Chromium, driven by Playwright (never a downloaded browser) -------------

@pytest.fixture(scope="module")
def browser():
    from browser import CHROMIUM, CHROMIUM_ARGS
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def app(workspace):
    """``govaudit app`` on the module's ``workspace`` fixture (data folder, database URL, folder for the log)."""
    from browser import running_app
    data, db, base = workspace
    with running_app(data, db, log=base / "workbench.log") as url:
        yield url


@pytest.fixture
def page(browser):
    """A fresh page that refuses every outside request (``page.blocked`` lists them)."""
    from browser import offline
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.blocked = offline(pg)
    yield pg
    context.close()
