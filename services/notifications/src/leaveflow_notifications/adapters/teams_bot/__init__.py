"""The Teams bot on Microsoft's Teams SDK for Python (`microsoft-teams-apps`): see
docs/adr/0011-teams-bot-sdk.md."""
