"""Content service: stores essay, prompt and rubric text addressed by the sha256 of its bytes."""

SERVICE_NAME = "huleedu.content.v1.ContentService"
DOMAIN = "content.huleedu"
