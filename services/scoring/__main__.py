"""`python -m services.scoring`: run the scoring service."""

from services.scoring.app import main

main()
