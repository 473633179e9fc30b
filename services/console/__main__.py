"""`python -m services.console`: run the console."""

from services.console.app import create_app
from services.console.settings import ConsoleSettings
from services.platform.serve import serve


def main() -> None:
    settings = ConsoleSettings()
    serve("console", settings, create_app, settings.http_port)


if __name__ == "__main__":
    main()
