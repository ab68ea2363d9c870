"""makemessages that also extracts the project's `_l` alias (gettext_lazy imported as _l).

Several modules import `gettext_lazy as _l` next to `gettext as _`; xgettext only knows the
standard names, so without this their form labels and choices never reach the catalog.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_l"]
