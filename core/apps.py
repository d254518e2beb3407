from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The machinery every domain app shares and none owns: the control-character rule for
    text, encryption of personal numbers, kept copies of slow figures, paging, the API's
    ordering and paging. The bottom layer: it imports no app of this project."""

    name = "core"
    verbose_name = "公共"

    def ready(self):
        from .text import install_on_char_fields

        # Every form and serializer CharField refuses control characters (core/text.py).
        install_on_char_fields()
