"""gRPC servicer (proto -> command -> handler -> proto) and the database health probe."""
