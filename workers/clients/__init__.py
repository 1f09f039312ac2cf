"""API clients (Smartlead, HubSpot, Slack): every request passes the shared rate limiter's gate."""
