"""`python -m services.cases`: run the cases service."""

from shared.memory import with_the_system_allocator

with_the_system_allocator()  # before the service's modules are imported: see shared.memory

from services.cases.app import main  # noqa: E402  (after the allocator is chosen)

main()
