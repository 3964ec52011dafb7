"""The admin use cases behind CJAdminService: an assignment's instructions, student prompt,
judge rubric and anchor essays, and the assignment context a submission reads once
(assignment_context.py). They depend only on ports.py; records and commands are models.py.
No protobuf and no SQL here: the servicer maps protos, the adapters map rows.
"""
