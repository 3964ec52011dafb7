"""Thin edges: the gRPC servicer and the NATS worker loop."""
