"""`python -m services.intake`: run the intake service."""

from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from services.platform.serve import serve


def main() -> None:
    settings = IntakeSettings()
    serve("intake", settings, create_app, settings.http_port)


if __name__ == "__main__":
    main()
