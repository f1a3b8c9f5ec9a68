"""Fuzzing: schemathesis drives ``zohosim serve`` from Zoho's own OpenAPI documents for every CRM
and Books operation the simulator implements (``bench/fuzz.py``; run that for the full figures).
No reply may be a server error, and every reply must match Zoho's documented schema, except where
the document is known to disagree with the real API (each such gap is listed in ``bench/fuzz.py``
with its reason).

Two sizes: the ``slow`` tier (CI) makes about 3,000 requests, a few minutes; the ``soak`` tier makes
20,000 or more, which takes 15-40 minutes on a 2-core machine, too long for CI's budget: run it before
a release with ``pytest -n 4 -m soak``. Each asserts its request count. Skipped when the documents
(``../shared/zoho-oas`` or ``$ZOHOSIM_OAS_DIR``) are absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.fuzz import OAS_DIR, ServiceResult, fuzz, oas_available

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("fuzz")]  # each fuzzing run on one worker

#: (examples per operation in the fuzzing phase, requests both services must take at least). Each
#: schemathesis case is one request; the examples and coverage phases add about 10,000 at 150.
SIZES = [
    pytest.param((8, 2_500), id="ci", marks=pytest.mark.slow),
    pytest.param((150, 20_000), id="soak", marks=pytest.mark.soak),
]


@pytest.fixture(scope="module", params=SIZES)
def sized(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, dict[str, ServiceResult]]:
    if not oas_available():
        pytest.skip(
            f"{OAS_DIR} is absent: Zoho's OpenAPI documents (crm-v8/*.json, books-v3/*.yml) drive the "
            "fuzzing; put them there or point $ZOHOSIM_OAS_DIR at a copy"
        )
    examples, minimum = request.param
    folder: Path = tmp_path_factory.mktemp("fuzz")
    return minimum, {result.service: result for result in fuzz(max_examples=examples, seed=1, folder=folder)}


@pytest.fixture
def results(sized: tuple[int, dict[str, ServiceResult]]) -> dict[str, ServiceResult]:
    return sized[1]


@pytest.mark.parametrize("service", ["crm", "books"])
def test_every_operation_was_exercised(results: dict[str, ServiceResult], service: str) -> None:
    result = results[service]
    assert result.cases >= 500, "\n".join([*result.lines(), result.output[-3000:]])


def test_both_services_together_take_the_tiers_requests(
    sized: tuple[int, dict[str, ServiceResult]],
) -> None:
    minimum, results = sized
    counts = {service: result.cases for service, result in results.items()}
    assert sum(counts.values()) >= minimum, counts


@pytest.mark.parametrize("service", ["crm", "books"])
def test_no_input_causes_a_server_error(results: dict[str, ServiceResult], service: str) -> None:
    result = results[service]
    assert not result.server_errors, "\n".join(result.lines())


@pytest.mark.parametrize("service", ["crm", "books"])
def test_replies_match_zohos_documents(results: dict[str, ServiceResult], service: str) -> None:
    result = results[service]
    assert not result.unexplained, "\n".join(result.lines())
