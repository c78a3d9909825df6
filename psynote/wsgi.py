import os

from django.core.wsgi import get_wsgi_application

# The server writes only the operator's files (SQLite, exports, anchors): 0600 and 0700, even
# when started by a process manager with a looser umask than `psynote serve` sets.
os.umask(0o077)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psynote.settings")
application = get_wsgi_application()
