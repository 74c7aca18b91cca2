from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "gatehouse.worker"
    label = "worker"
    verbose_name = "Worker"
