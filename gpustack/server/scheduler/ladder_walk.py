"""Walking the candidate ladder for successive replicas of one model without starting over.

Within one call capacity only shrinks, so a rung that found nothing stays empty for the later
replicas and the walk resumes at the rung the last replica used. Within a rung, a worker's
candidate and score depend only on that worker's own capacity and replica count, so after a
placement only the workers that took a claim are asked again: the first replica costs
O(workers x GPUs), each further one O(workers).
"""

from __future__ import annotations

from collections.abc import Sequence

from gpustack.server.scheduler.candidates import Candidate, CandidateSelector, SchedulingRound
from gpustack.server.scheduler.filters import Eligibility
from gpustack.server.scheduler.results import Placement
from gpustack.server.scheduler.scorers import Scorer, total_score

# (score, position of the worker in the eligible list, candidate)
_Scored = tuple[float, int, Candidate]


class LadderWalk:
    """Yields the best placement for each next replica of one model."""

    def __init__(
        self,
        eligible: Sequence[Eligibility],
        rnd: SchedulingRound,
        ladder: Sequence[CandidateSelector],
        scorers: tuple[Scorer, ...],
    ) -> None:
        self._eligible = eligible
        self._by_id = {item.worker.id: item for item in eligible}
        self._position = {item.worker.id: n for n, item in enumerate(eligible)}
        self._rnd = rnd
        self._ladder = ladder
        self._scorers = scorers
        self._rung = 0
        self._scored: dict[int, _Scored] = {}
        self._scored_rung = -1
        self._changed: set[int] = set()

    def next_placement(self) -> Placement | None:
        while self._rung < len(self._ladder):
            scored = self._score_rung(self._rung)
            if scored:
                # Highest score wins; on a tie, the worker listed first.
                best = max(scored.values(), key=lambda s: (s[0], -s[1]))
                return _placement(best[2], best[0])
            self._rung += 1
        return None

    def claimed(self, placement: Placement) -> None:
        """Marks the workers whose capacity the placement just changed."""
        self._changed.add(placement.worker_id)
        self._changed.update(h.worker_id for h in placement.helpers)

    def _score_rung(self, rung: int) -> dict[int, _Scored]:
        selector = self._ladder[rung]
        if rung == self._scored_rung and selector.per_worker:
            items = [self._by_id[w] for w in self._changed if w in self._by_id]
            for worker_id in self._changed:
                self._scored.pop(worker_id, None)
        else:
            items, self._scored, self._scored_rung = list(self._eligible), {}, rung
        self._changed.clear()
        for candidate in selector.candidates(items, self._rnd):
            worker_id = candidate.item.worker.id
            score = total_score(candidate, self._rnd, self._scorers)
            self._scored[worker_id] = (score, self._position[worker_id], candidate)
        return self._scored


def _placement(best: Candidate, score: float) -> Placement:
    worker = best.item.worker
    return Placement(
        worker_id=worker.id,
        worker_name=worker.name,
        gpu_indexes=best.gpu_indexes,
        claim=best.estimate,
        offload_layers=best.offload_layers,
        kind=best.kind,
        score=round(score, 3),
        helpers=best.helpers,
    )
