"""The Slack app: OAuth install, the Events API (App Home), the request modal and the
status while away. Calls Slack through `ports.SlackWebApi`."""
