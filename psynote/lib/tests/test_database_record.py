import pytest

from psynote.lib import database_record as record

SQLITE = {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/psynote/psynote.sqlite3"}
POSTGRES = {"ENGINE": "django.db.backends.postgresql", "NAME": "psynote", "USER": "psynote",
            "PASSWORD": "hunter2-fictional", "HOST": "/run/postgresql", "PORT": ""}


def test_a_folder_without_a_record_accepts_any_database(tmp_path):
    record.check(tmp_path, SQLITE)
    record.check(tmp_path, POSTGRES)


def test_the_record_names_the_database_without_its_password(tmp_path):
    record.write(tmp_path, POSTGRES)
    text = (tmp_path / record.FILENAME).read_text()
    assert "psynote@/run/postgresql/psynote" in text and "hunter2" not in text
    assert (tmp_path / record.FILENAME).stat().st_mode & 0o077 == 0
    record.check(tmp_path, POSTGRES)


def test_a_postgresql_folder_without_database_url_is_refused_in_one_sentence(tmp_path):
    record.write(tmp_path, POSTGRES)
    with pytest.raises(record.WrongDatabase, match="DATABASE_URL is not set"):
        record.check(tmp_path, SQLITE)


def test_another_database_is_refused(tmp_path):
    record.write(tmp_path, SQLITE)
    with pytest.raises(record.WrongDatabase, match="belongs to SQLite"):
        record.check(tmp_path, POSTGRES)
    record.write(tmp_path, POSTGRES)
    with pytest.raises(record.WrongDatabase, match="would use PostgreSQL"):
        record.check(tmp_path, POSTGRES | {"NAME": "other"})


def test_a_damaged_record_is_a_sentence(tmp_path):
    (tmp_path / record.FILENAME).write_text("{not json")
    with pytest.raises(record.WrongDatabase, match="cannot be read"):
        record.check(tmp_path, SQLITE)


def test_the_socket_folder_of_a_url_is_part_of_the_record(tmp_path):
    """The README's URL puts the socket folder in `?host=`, which Django keeps in OPTIONS."""
    import dj_database_url

    readme = dj_database_url.parse("postgresql://psynote@/psynote?host=/run/postgresql")
    assert record.label(record.describe(readme)) == "PostgreSQL psynote@/run/postgresql/psynote"
    record.write(tmp_path, readme)
    other = dj_database_url.parse("postgresql://psynote@/psynote?host=/tmp/another-cluster")
    with pytest.raises(record.WrongDatabase, match="would use PostgreSQL"):
        record.check(tmp_path, other)
