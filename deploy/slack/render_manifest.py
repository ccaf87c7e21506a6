"""Write the Slack app manifest with this installation's public URLs (make slack-manifest).

The checked-in manifest names example hosts; they are replaced by the notifications
service's and the dashboard's public URLs, and the result is checked to still parse.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
NOTIFICATIONS_PLACEHOLDER = "https://notifications.leaveflow.example"
DASHBOARD_PLACEHOLDER = "https://leaveflow.example"


def render(template: str, notifications_url: str, dashboard_url: str) -> str:
    # The notifications host first: the dashboard placeholder is a suffix of it.
    out = template.replace(NOTIFICATIONS_PLACEHOLDER, notifications_url.rstrip("/"))
    out = out.replace(DASHBOARD_PLACEHOLDER, dashboard_url.rstrip("/"))
    yaml.safe_load(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notifications-url", required=True)
    parser.add_argument("--dashboard-url", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    for url in (args.notifications_url, args.dashboard_url):
        if not url.startswith("https://"):
            print(f"Slack calls only https URLs: {url}", file=sys.stderr)
            return 2
    text = render((HERE / "manifest.yml").read_text(), args.notifications_url, args.dashboard_url)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(
        f"wrote {args.out}: paste it into api.slack.com/apps -> Create New App -> From a manifest"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
