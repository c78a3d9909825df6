import pytest


@pytest.fixture
def home(settings, tmp_path):
    """This process's data folder for the test: signing keys and checkpoints go there."""
    settings.HOME = tmp_path / "home"
    settings.ANCHOR_DIR = settings.HOME / "anchors"
    settings.HOME.mkdir()
    return settings.HOME
