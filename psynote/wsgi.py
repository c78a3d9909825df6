import os

from django.core.wsgi import get_wsgi_application

# The server writes only the operator's files (SQLite, exports, anchors): 0600 and 0700, even
# when started by a process manager with a looser umask than `psynote serve` sets.
os.umask(0o077)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psynote.settings")
application = get_wsgi_application()


def _check_database() -> None:
    """Never serve a fresh, empty SQLite file when the practice's data is elsewhere."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from psynote.lib import database_record

    try:
        database_record.check(settings.HOME, settings.DATABASES["default"])
    except database_record.WrongDatabase as error:
        raise ImproperlyConfigured(str(error)) from None


_check_database()
