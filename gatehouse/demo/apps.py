from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "gatehouse.demo"
    label = "demo"
    verbose_name = "Demo"
