from django.dispatch import Signal

# Sent whenever a user's password is set: user, raw_password, old_raw_password
# (None when not known, e.g. an admin reset), by_admin (bool).
password_set = Signal()
