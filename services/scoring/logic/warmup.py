"""What the scoring service fills before it says it is ready: parsed frameworks, their plans, and the
bootstrap draw matrices of the usual sample sizes (the first score after a restart took 1.2 s without)."""

from collections.abc import Sequence

from services.scoring.logic import scoring
from services.scoring.logic.live import Caches
from shared.schemas.frameworks import Framework
from shared.schemas.sampling import SampleMix

_DEFAULT_MIX = SampleMix.model_validate({})
# Samples hold min_total to max_total cases (110-120 by default): the sizes whose draws are kept.
USUAL_SIZES = range(_DEFAULT_MIX.min_total, _DEFAULT_MIX.max_total + 1)


def warm(caches: Caches, documents: Sequence[Framework], resamples: int) -> None:
    """Score a synthetic sample of each usual size under each framework, as the first requests would."""
    for framework in documents:
        caches.parsed_frameworks.setdefault((framework.id, framework.version), framework)
        plan = caches.plan(framework)
        row = plan.encode_row(dict.fromkeys(plan.qids, "yes"))
        for size in USUAL_SIZES:
            scoring.score_rows(plan, [row] * size, resamples=resamples)
