"""The runtime every LeadOps task stands on: settings, Celery app, queues, limiter, clients, db."""
