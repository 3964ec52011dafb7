"""Deployment assets: the local launcher (``deploy.local``) plus compose/k8s manifests."""
