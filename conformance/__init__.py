"""Conformance suites: property-based checks that any CRM <-> Books syncer keeps the sync
contract, ``docs/contract.md`` (``zohosim conform --contract``).

- ``scenarios``: the data a world is built from, and the Hypothesis strategies that draw it;
- ``world``: a scenario built into a fresh simulator tenant, and snapshots of both sides;
- ``adapters``: the syncer under test (a Python factory, or a command in any language);
- ``contract``, ``oracle``, ``invariants``: the contract's reading of records, what a run must do,
  and one check per invariant id;
- ``session``: a harness (simulator, adapter) and one scenario's worlds and observed runs;
- ``runner``, ``suite``, ``profiles``: the invariant groups, run as Hypothesis tests;
- ``stateful``: the state machine that interleaves edits, clock moves, faults, kills and syncs;
- ``mutants``: broken syncers that prove the checks can fail;
- ``report``, ``cli``, ``plugin``: failure reports, ``zohosim conform`` and the pytest plugin.
"""
