"""`make token ROLE=<role> [SUB=<subject>] [HOURS=8]`: a token signed with the embedded key (made if missing),
printed as the last line after how to use it."""

import argparse
import sys

from shared.tokens import AuthSettings, Role, ensure_keys, sign


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("role", choices=[r.value for r in Role])
    parser.add_argument("subject", nargs="?", default="", help="the token's sub (default: local-<role>)")
    parser.add_argument("hours", nargs="?", type=float, default=8.0)
    arguments = parser.parse_args(argv)
    settings = AuthSettings()
    if settings.mode != "embedded":
        sys.exit("OMI_AUTH_MODE is oidc: get tokens from the OIDC provider")
    ensure_keys(settings.keys_dir)
    subject = arguments.subject or f"local-{arguments.role}"
    token = sign(settings, subject, arguments.role, arguments.hours)
    print(f"A {arguments.role} token for {subject!r}, valid {arguments.hours:g} hours. Use it as:")
    print('  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/api/v1/inspections')
    print("or paste it into Authorize at http://127.0.0.1:8000/docs. With a reader token (ROLE=reader, few HOURS:")
    print("a token in a URL is a credential while it lasts), a published report opens in a browser at")
    print("  http://127.0.0.1:8000/api/v1/inspections/<id>/report?format=html&access_token=$TOKEN")
    print("The token:")
    print(token)


if __name__ == "__main__":
    main()
