from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo city: glue that uses every app (casework, integrations, riskmodel), so it stands beside them."""

    name = "demo"
    verbose_name = "Demo city"
