"""What a model source's repository holds and which of its files a deployment needs.

Shared by the scheduler (it prices a hub repository from its listing) and the worker (it
downloads the same selection); it imports nothing of either.
"""
