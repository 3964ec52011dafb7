"""The run folder: results CSV, the JSON artefact (schema-validated), report files, manifest."""
