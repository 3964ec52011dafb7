"""Local launcher: finds or starts NATS/PostgreSQL and runs the mesh's services.

``python -m deploy.local up|down|status|run`` -- see ``deploy/local/README.md``.
"""
