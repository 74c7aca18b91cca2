"""Menu labels the web app's navigation shows for this app (kept here so their translations are)."""

from django.utils.translation import gettext_lazy as _

VOLUNTEERS = _("Volunteers")
MY_SHIFTS = _("My shifts")
