"""pytest plugin (loaded with `-p psynote.pytest_env` before Django's settings are read):
a throwaway data folder and master key for every test run, and a fast password hasher."""

import base64
import os
import secrets
import tempfile

os.environ["PSYNOTE_HOME"] = tempfile.mkdtemp(prefix="psynote-test-")
os.makedirs(os.path.join(os.environ["PSYNOTE_HOME"], "static"))  # WhiteNoise looks there
os.environ["PSYNOTE_MASTER_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
os.environ["PSYNOTE_FAST_HASHER"] = "1"
os.environ["PSYNOTE_SECRET_KEY"] = "test-only-secret-" + secrets.token_hex(8)
