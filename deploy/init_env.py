"""Prepare deploy/.env for `make up`, and say how to get in once the stack is up.

    python3 deploy/init_env.py deploy/.env            # before `docker compose up`
    python3 deploy/init_env.py --banner deploy/.env   # after it

The first form copies deploy/.env.example when there is no .env yet, then fills every
secret that is empty (LEAVEFLOW_SERVICE_SECRET, WEB_SESSION_SECRET) with a fresh random
value, in place: the compose file has no default for the service secret (it refuses to
start without one), so a secret is never a value published in this repository. Values
already set are kept, so running it again changes nothing.

Only the standard library: `make up` needs nothing but python3 and Docker.
"""

from __future__ import annotations

import argparse
import re
import secrets
import shutil
import sys
from pathlib import Path

GENERATED = ("LEAVEFLOW_SERVICE_SECRET", "WEB_SESSION_SECRET")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def read_env(path: Path) -> dict[str, str]:
    """The KEY=value lines of an env file, as compose reads them (last one wins)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        match = _ASSIGNMENT.match(line.strip())
        if match:
            values[match.group(1)] = match.group(2).strip().strip("'\"")
    return values


def ensure_env(env_file: Path, example: Path) -> list[str]:
    """Create ``env_file`` from ``example`` if missing; fill empty secrets. Names filled."""
    if not env_file.exists():
        shutil.copyfile(example, env_file)
        env_file.chmod(0o600)
    lines = env_file.read_text().splitlines()
    filled: list[str] = []
    for name in GENERATED:
        value = secrets.token_urlsafe(32)
        for index, line in enumerate(lines):
            match = _ASSIGNMENT.match(line.strip())
            if match and match.group(1) == name:
                if not match.group(2).strip().strip("'\""):
                    lines[index] = f"{name}={value}"
                    filled.append(name)
                break
        else:
            lines.append(f"{name}={value}")
            filled.append(name)
    if filled:
        env_file.write_text("\n".join(lines) + "\n")
        env_file.chmod(0o600)
    return filled


def banner(env_file: Path) -> str:
    """Where the stack is, and how the first company gets in."""
    env = read_env(env_file)
    web = env.get("WEB_PUBLIC_URL") or "http://localhost:8000"
    signup = (env.get("LEAVEFLOW_SIGNUP_OPEN") or "first").lower()
    lines = [f"Leaveflow is up: {web}"]
    if signup == "first":
        lines.append(
            f"First run? Sign up your company at {web}/signup : you become its admin. "
            "Signup closes as soon as one company exists (LEAVEFLOW_SIGNUP_OPEN=first)."
        )
    elif signup in {"true", "1", "yes", "on"}:
        lines.append(f"Signup is open to anyone who reaches {web}/signup (LEAVEFLOW_SIGNUP_OPEN).")
    else:
        lines.append("Signup is closed (LEAVEFLOW_SIGNUP_OPEN=false).")
    if not env.get("WEB_OIDC_ISSUER") and (env.get("LEAVEFLOW_DEV_LOGIN") or "false") != "true":
        lines.append(
            "Signing in later needs single sign-on: set WEB_OIDC_* in deploy/.env "
            "(README, 'The compose stack')."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("env_file", type=Path, help="deploy/.env")
    parser.add_argument("--example", type=Path, help="default: .env.example next to env_file")
    parser.add_argument("--banner", action="store_true", help="print how to get in, and exit")
    args = parser.parse_args(argv)
    env_file: Path = args.env_file
    if args.banner:
        print(banner(env_file))
        return 0
    example = args.example or env_file.with_name(".env.example")
    created = not env_file.exists()
    filled = ensure_env(env_file, example)
    if created:
        print(f"wrote {env_file} from {example.name}")
    for name in filled:
        print(f"generated {name} into {env_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
