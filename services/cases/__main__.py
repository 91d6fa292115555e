"""`python -m services.cases`: run the cases service."""

from services.cases.app import main

main()
