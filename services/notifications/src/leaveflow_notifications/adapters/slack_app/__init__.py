"""Slack's Web API through slack_sdk (implements `service_layer.slack_app.ports`)."""
