from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObservationConfig(AppConfig):
    name = "gatehouse.observation"
    label = "observation"
    verbose_name = _("Home observation")

    def ready(self) -> None:
        from gatehouse.alerts.links import alert_linker_register
        from gatehouse.observation.selectors import alert_case_links

        alert_linker_register(alert_case_links)
