"""The assessment workflow behind CJAssessmentService: submit, apply results, step (check,
plan, stop), finish, cancel, dispatch, watch, read. The use cases depend on ports.py through
the contexts of contexts.py; the decisions are the domain's (cj_service/domain). No protobuf
of the workflow's own and no SQL here: the entrypoints and adapters map them.
"""
