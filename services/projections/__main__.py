"""`python -m services.projections`: run the projections service."""

from services.platform.serve import serve
from services.projections.app import create_app
from services.projections.settings import ProjectionsSettings


def main() -> None:
    settings = ProjectionsSettings()
    serve("projections", settings, create_app, settings.http_port)


if __name__ == "__main__":
    main()
