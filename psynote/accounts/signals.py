"""Signals of the accounts app.

`password_set` is sent by every path that sets a password (accounts.actions: the user's
own change, an admin's reset or new account, `psynote createuser`, `psynote manage
changepassword`), inside the transaction that sets it, so a receiver that raises undoes the
change. Keyword arguments:

- `user`: the User, with the new password already set (not necessarily saved yet);
- `raw_password`: the new password;
- `old_raw_password`: the password it replaces when the user proved it (their own change),
  else None (a reset or a new account: nobody who set it knew the old one);
- `by_admin`: True when someone other than the user chose it (an admin's reset or a new
  account an admin made, the operator's `changepassword`): the user must change it at
  sign-in. False for the user's own change, and for `psynote createuser` (the operator at
  the server's console sets a lasting password, usually their own).

Receivers must never log or store `raw_password` or `old_raw_password`.
"""

from django.dispatch import Signal

password_set = Signal()
