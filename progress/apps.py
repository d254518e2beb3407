from django.apps import AppConfig


class ProgressConfig(AppConfig):
    """The progress boards of county, city and province at /progress/ (and on the home page):
    figures read through the scope, kept copies, the lists and tables behind them. No models:
    the flags the boards show are the clock's (clock.models)."""

    name = "progress"
    verbose_name = "工作进度"
