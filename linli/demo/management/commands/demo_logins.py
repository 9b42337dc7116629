"""manage.py demo_logins: print the demo logins, their roles and areas, and the password."""

import unicodedata

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from linli.accounts.models import User
from linli.demo.selectors import demo_logins
from linli.demo.services import demo_password


def pad(text: str, width: int) -> str:
    """Left-align in a terminal, where each Chinese character takes two columns."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - columns, 1)


class Command(BaseCommand):
    help = "Print the 13 demo logins with their roles and areas, and the demo password."

    def handle(self, *args, **options):
        rows = demo_logins()
        if not rows:
            self.stdout.write(_("No demo logins: load the demo with `manage.py seed_demo`."))
            return
        password = demo_password()
        self.stdout.write(_("Demo logins (password: %(password)s):") % {"password": password})
        for row in rows:
            roles = row["roles"] or [(_("no role"), "")]
            for k, (role, area) in enumerate(roles):
                head = pad(row["username"], 14) + pad(row["display_name"] or "-", 12)
                self.stdout.write("  " + (head if k == 0 else " " * 26) + f"{role} · {area}")
        # One check (one password hash) is enough to say whether the printed password works.
        first = User.objects.get(username=rows[0]["username"])
        if not first.check_password(password):
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "The password above does not open %(username)s: it was changed, or the "
                        "demo was loaded with another LINLI_DEMO_PASSWORD."
                    )
                    % {"username": first.username}
                )
            )
