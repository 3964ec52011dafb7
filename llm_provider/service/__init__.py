"""Use cases: intake (SubmitComparisons), judging one queued request, catalog queries."""
