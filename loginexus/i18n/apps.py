from django.apps import AppConfig


class I18nConfig(AppConfig):
    name = "loginexus.i18n"
    label = "loginexus_i18n"
    verbose_name = "Languages and time"
