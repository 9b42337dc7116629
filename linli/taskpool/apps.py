from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaskpoolConfig(AppConfig):
    name = "linli.taskpool"
    label = "taskpool"
    verbose_name = _("Task pool")
