"""What the commands do with the services: upload, plan, submit, watch, collect."""
