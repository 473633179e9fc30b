"""The workflow's domain model: cases (案件) and the rules they follow. No infrastructure here."""
