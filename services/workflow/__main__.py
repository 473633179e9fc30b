"""`python -m services.workflow`: run the workflow service."""

from services.platform.serve import serve
from services.workflow.app import create_app
from services.workflow.settings import WorkflowSettings


def main() -> None:
    settings = WorkflowSettings()
    serve("workflow", settings, create_app, settings.http_port)


if __name__ == "__main__":
    main()
