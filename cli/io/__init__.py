"""Reading what the user points the CLI at: essay files, anchors, context files."""
