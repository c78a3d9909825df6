"""`psynote manage changepassword USERNAME`, through accounts.actions.

Django's own command sets the password directly; this one replaces it (accounts comes
before django.contrib.auth in INSTALLED_APPS) so that the operator's change applies the
password rules, sends `password_set`, ends the user's sessions and API tokens, tells the
user, and is audited as `user.password_reset`. The password is one-time (the user must
change it at next sign-in) unless `--not-one-time` says it is the operator's own.
"""

from typing import Any

from django.contrib.auth.management.commands import changepassword
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from psynote.accounts import actions
from psynote.accounts.models import User

MAX_TRIES = 3


class Command(changepassword.Command):
    help = "Set a user's password (one-time unless --not-one-time); their sessions end."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--not-one-time",
            action="store_true",
            help="the password is the operator's own: do not ask for a change at sign-in",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        if not username:
            raise CommandError("name the user: changepassword USERNAME")
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"user {username!r} does not exist")
        self.stdout.write(f"Changing password for user {user.username!r}")
        for _ in range(MAX_TRIES):
            first = self._get_pass()
            if first != self._get_pass("Password (again): "):
                self.stdout.write("Passwords do not match. Please try again.")
                continue
            try:
                actions.set_password_by_operator(
                    user=user, password=first, one_time=not options["not_one_time"]
                )
            except ValidationError as error:
                self.stderr.write("\n".join(error.messages))
                continue
            self.stdout.write(f"Password changed successfully for user {user.username!r}.")
            return
        raise CommandError(f"Aborting password change for user {username!r} after "
                           f"{MAX_TRIES} attempts")
