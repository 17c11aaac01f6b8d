"""Controllers: loops that move the database towards what the deployments ask for.

Each reacts to events and also sweeps periodically, so a missed event only delays convergence.
"""
