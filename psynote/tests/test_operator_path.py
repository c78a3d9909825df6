"""The PostgreSQL path as README.md tells it, on a fresh PostgreSQL cluster.

`scripts/with-postgres` starts a throwaway cluster of its own (a new folder, a Unix socket
only), so this runs the same way in the SQLite and in the PostgreSQL suite. The README's
commands are taken from README.md itself and run as the operator would, in subprocesses
with their own data folder: the installed `psynote` console script, `createuser`,
`createdb`. What needs root or another OS user on a real server is done inside the
throwaway cluster instead, and `in_the_throwaway_cluster` says so line by line.
"""

import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest

REPO = Path(__file__).resolve().parents[2]
PSYNOTE = Path(sys.executable).with_name("psynote")  # the console script beside this Python
PASSWORD = "a fictional long passphrase 42"  # noqa: S105 - fictional, for a throwaway cluster
FIRST_LINE = re.compile(r"psynote: database (PostgreSQL|SQLite) \S")


@dataclass
class Cluster:
    socket_dir: str
    superuser: str

    def url(self, user: str = "psynote", name: str = "psynote", password: str = "") -> str:
        secret = f":{password}" if password else ""
        return f"postgresql://{user}{secret}@/{name}?host={self.socket_dir}"

    def sql(self, statement: str, database: str = "postgres") -> list[tuple]:
        with psycopg.connect(host=self.socket_dir, user=self.superuser, dbname=database,
                             autocommit=True) as connection:
            cursor = connection.execute(statement)
            return cursor.fetchall() if cursor.description else []

    def authenticate_psynote_by(self, method: str) -> None:
        """A first pg_hba.conf line for the role psynote, as a Debian server has (`peer` on
        the socket), then reload; `trust` stands in for running as the OS user psynote."""
        hba = Path(self.socket_dir) / "data" / "pg_hba.conf"
        lines = [line for line in hba.read_text().splitlines() if "# psynote" not in line]
        hba.write_text(f"local all psynote {method}  # psynote\n" + "\n".join(lines) + "\n")
        # pg_reload_conf() only signals the server: wait until a new session sees the reload.
        loaded = self.sql("SELECT pg_conf_load_time()")[0][0]
        self.sql("SELECT pg_reload_conf()")
        for _ in range(600):
            if self.sql("SELECT pg_conf_load_time()")[0][0] > loaded:
                return
            time.sleep(0.05)
        raise AssertionError("PostgreSQL did not reload pg_hba.conf")


@pytest.fixture
def cluster(tmp_path) -> Iterator[Cluster]:
    """A new PostgreSQL cluster for this test alone, stopped and removed afterwards."""
    log = (tmp_path / "with-postgres.log").open("w")
    server = subprocess.Popen(  # noqa: S603 - fixed argv
        [str(REPO / "scripts" / "with-postgres"), "bash", "-c",
         'printf "%s\\n" "$DATABASE_URL"; read -r _'],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
        env=_base_environment())
    try:
        url = server.stdout.readline().strip()
        assert url, (tmp_path / "with-postgres.log").read_text()
        parts = urlsplit(url)
        yield Cluster(socket_dir=parse_qs(parts.query)["host"][0],
                      superuser=parts.username or "")
    finally:
        server.stdin.close()  # `read` ends, with-postgres stops the cluster and removes it
        server.wait(timeout=60)
        log.close()


def _base_environment() -> dict[str, str]:
    """The operator's shell: none of the test run's own Psynote settings."""
    keep = ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR")
    return {name: os.environ[name] for name in keep if name in os.environ}


def readme_section(heading: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def code_blocks(section: str) -> list[list[str]]:
    return [[line for line in block.splitlines() if line.strip()]
            for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S)]


def in_the_throwaway_cluster(line: str, cluster: Cluster, home: str) -> str | None:
    """A README line as it runs here; None for a step that needs root on a real server.

    Every README line must match one of these, so a changed README fails this test until
    the test runs the new command too.
    """
    line = re.sub(r"\s+#.*$", "", line)
    console_script = shlex.quote(str(PSYNOTE))
    client = f"-h {shlex.quote(cluster.socket_dir)} -U {shlex.quote(cluster.superuser)}"
    if line.startswith("sudo adduser --system"):
        # A test does not add OS users to the machine. Peer authentication as the OS user
        # psynote is what the cluster's `trust` stands for (Cluster.authenticate_psynote_by).
        return None
    if match := re.fullmatch(r"sudo -u postgres (createuser|createdb) (.*)", line):
        # `sudo -u postgres`: the cluster's superuser, over the cluster's own socket.
        return f"{match[1]} {client} {match[2]}"
    if re.fullmatch(r"export PSYNOTE_HOME=\S+ "
                    r"DATABASE_URL='postgresql://psynote@/psynote\?host=\S+'", line):
        # This test's data folder, and the throwaway cluster's socket folder.
        return (f"export PSYNOTE_HOME={shlex.quote(home)} "
                f"DATABASE_URL={shlex.quote(cluster.url())}")
    if match := re.fullmatch(r"sudo -u psynote --preserve-env=\S+ \.venv/bin/psynote (.*)",
                             line):
        # Already "the OS user psynote" as far as this cluster can tell (trust).
        return f"{console_script} {match[1]}"
    if match := re.fullmatch(r"\.venv/bin/psynote (.*)", line):
        return f"{console_script} {match[1]}"
    raise AssertionError(f"README line this test does not know how to run: {line!r}")


def environment_file_command(cluster: Cluster, home: Path, folder: Path) -> str:
    """docs/operations.md's /etc/psynote.env, pointed at this test's data folder and
    cluster, and its by-hand command line (the OS user psynote is, again, `trust`)."""
    operations = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    service = operations[operations.index("\n## Running as a service\n"):]
    blocks = code_blocks(service)
    settings = next(block for block in blocks if block[0].startswith("PSYNOTE_HOME="))
    values = {"PSYNOTE_HOME": str(home), "DATABASE_URL": cluster.url()}
    env_file = folder / "psynote.env"
    env_file.write_text("\n".join(
        f"{name}={values[name]}" if (name := line.split("=")[0]) in values else line
        for line in settings) + "\n")
    by_hand = next(line for block in blocks for line in block
                   if line.startswith("sudo -u psynote sh -c "))
    return (by_hand.removeprefix("sudo -u psynote ")
            .replace("/etc/psynote.env", shlex.quote(str(env_file)))
            .replace("/opt/psynote/.venv/bin/psynote", shlex.quote(str(PSYNOTE))))


def serve_login_page(env: dict[str, str]) -> int:
    """Start `psynote serve` on a free port, fetch the login page, stop the server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603 - fixed argv
        [str(PSYNOTE), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy
    try:
        for _ in range(1200):
            assert server.poll() is None, server.communicate()[1]
            try:
                with direct.open(f"http://127.0.0.1:{port}/login/", timeout=30) as response:
                    return response.status
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        raise AssertionError("psynote serve did not answer")
    finally:
        server.terminate()
        stderr = server.communicate(timeout=60)[1]
        assert FIRST_LINE.match(stderr), stderr


def run(command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=REPO, env=env,  # noqa: S603,S607
                          capture_output=True, text=True, timeout=120, check=False)


def psynote(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return psynote_at_once([(env, list(args))])[0]


def psynote_at_once(runs: list[tuple[dict[str, str], list[str]]]
                    ) -> list[subprocess.CompletedProcess]:
    """The console script, once per (environment, arguments), all started together."""
    started = [(args, subprocess.Popen([str(PSYNOTE), *args], cwd=REPO,  # noqa: S603
                                       env=env, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True))
               for env, args in runs]
    done = []
    for args, process in started:
        stdout, stderr = process.communicate(timeout=120)
        # Every command first names the database it is about to use, whatever happens next.
        assert FIRST_LINE.match(stderr), (args, stderr)
        done.append(subprocess.CompletedProcess(args, process.returncode, stdout, stderr))
    return done


def one_sentence(stderr: str, command: str) -> str:
    """The refusal after the database line: one line, one sentence, no traceback."""
    lines = stderr.splitlines()
    assert len(lines) == 2, stderr
    assert "Traceback" not in stderr
    message = lines[1]
    assert message.startswith(f"psynote {command}: ") and message.endswith("."), message
    assert not re.search(r"[.!?] [A-Z]", message), f"more than one sentence: {message}"
    return message


def test_the_readme_postgresql_path_on_a_fresh_cluster(cluster, tmp_path):
    home = tmp_path / "var"
    # `createuser` asks for the password on a terminal, else reads PSYNOTE_NEW_PASSWORD.
    env = _base_environment() | {"PSYNOTE_NEW_PASSWORD": PASSWORD}
    label = f"psynote: database PostgreSQL psynote@{cluster.socket_dir}/psynote"

    # with-postgres made a database `psynote` owned by its superuser; the README makes it.
    cluster.sql("DROP DATABASE psynote")
    cluster.authenticate_psynote_by("trust")

    # "Running on PostgreSQL", the first way (peer authentication), line by line: it
    # creates the role and the database, the data folder and the practice, then a user.
    peer_way = code_blocks(readme_section("## Running on PostgreSQL"))[0]
    script = [step for line in peer_way
              if (step := in_the_throwaway_cluster(line, cluster, str(home))) is not None]
    done = run("set -e\n" + "\n".join(script), env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.splitlines() == [label, label]  # init, createuser
    assert "Practice created: Your Practice Name" in done.stdout
    assert "psynote demo" not in done.stdout  # not offered beside a real practice
    assert "Created practice admin jlee in Your Practice Name." in done.stdout
    assert cluster.sql("SELECT pg_get_userbyid(datdba) FROM pg_database "
                       "WHERE datname = 'psynote'") == [("psynote",)]
    assert (home / "database.json").is_file()

    # Safe to repeat: the same createuser again has nothing to do. What the README
    # exported stays set for every later command, as it says.
    env |= {"PSYNOTE_HOME": str(home), "DATABASE_URL": cluster.url()}
    createuser = next(line for line in peer_way if " createuser --username" in line)
    done = run(in_the_throwaway_cluster(createuser, cluster, str(home)) or "", env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [label]
    assert "jlee exists already" in done.stdout and "nothing to do" in done.stdout

    # docs/operations.md: the units' /etc/psynote.env, and a command run by hand with it.
    done = run(environment_file_command(cluster, home, tmp_path), _base_environment())
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == label
    assert "OK: every audit chain and every signed record is intact." in done.stdout

    # And the server: `psynote serve` with the same settings answers on the database.
    assert serve_login_page(env) == 200

    # The demo is refused beside the real practice; no demo user appears.
    done = psynote(env, "demo")
    assert done.returncode == 1
    assert "Your Practice Name" in one_sentence(done.stderr, "demo")
    assert cluster.sql("SELECT username FROM accounts_user", "psynote") == [("jlee",)]

    # Without DATABASE_URL, or with another one, every command refuses in one sentence and
    # no SQLite file appears in the data folder.
    cluster.sql("CREATE DATABASE other OWNER psynote")
    every_command = (["verify"], ["init", "--practice-name", "Your Practice Name"],
                     ["createuser", "--username", "kim", "--role", "clinician"],
                     ["demo"], ["serve"], ["manage", "migrate"])
    without = {k: v for k, v in env.items() if k != "DATABASE_URL"}
    other = env | {"DATABASE_URL": cluster.url(name="other")}
    runs = [(without, command) for command in every_command] + [
        (other, command) for command in every_command[:2]]
    for (setting, command), done in zip(runs, psynote_at_once(runs), strict=True):
        assert done.returncode == 2, (command, done.stderr)
        message = one_sentence(done.stderr, command[0])
        assert f"belongs to PostgreSQL psynote@{cluster.socket_dir}/psynote" in message
        assert ("DATABASE_URL is not set" if setting is without
                else "would use PostgreSQL psynote@") in message, message
    assert not list(home.glob("*.sqlite3*"))
    assert cluster.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
                       "other") == [(0,)]
    assert cluster.sql("SELECT username FROM accounts_user", "psynote") == [("jlee",)]

    # Peer authentication as another OS user: one sentence naming both ways out.
    cluster.authenticate_psynote_by("peer")
    done = psynote(env, "verify")
    assert done.returncode == 2
    message = one_sentence(done.stderr, "verify")
    assert "PostgreSQL refused user psynote (peer authentication)" in message
    assert "run psynote as the OS user psynote" in message
    assert "password in DATABASE_URL" in message

    # The second way: the role has a password (`createuser --pwprompt` asks for one) and
    # the URL carries it; a wrong one is one sentence too. The throwaway cluster listens on
    # its socket only, so the password goes there instead of to localhost:5432.
    password_way = code_blocks(readme_section("## Running on PostgreSQL"))[1]
    assert "sudo -u postgres createuser --pwprompt psynote" in password_way
    assert any(line.startswith("export DATABASE_URL='postgresql://psynote:PASSWORD@")
               for line in password_way)
    cluster.sql(f"ALTER ROLE psynote PASSWORD '{PASSWORD}'")
    cluster.authenticate_psynote_by("scram-sha-256")
    done = psynote(env | {"DATABASE_URL": cluster.url(password=PASSWORD)}, "verify")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == label
    assert PASSWORD not in done.stderr + done.stdout
    done = psynote(env | {"DATABASE_URL": cluster.url(password="wrong-fictional")}, "verify")
    assert done.returncode == 2
    assert "refused the password for user psynote" in one_sentence(done.stderr, "verify")
    assert "wrong-fictional" not in done.stderr
