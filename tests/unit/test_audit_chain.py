"""Chain checks on in-memory entries: each problem named at the right entry, no servers."""

from __future__ import annotations

import dataclasses

from bzzz.audit import GENESIS, Problem, Signer, entry_hash
from bzzz.audit.chain import first_finding
from bzzz.audit.store import Entry

ALICE = Signer.generate("alice")
KEYS = {"alice": ALICE.public_key}


def lookup(entry: Entry) -> str | None:
    return KEYS.get(entry.author)


def make(seq: int, prev: str, signer: Signer = ALICE, seq_text: str = "") -> Entry:
    body = {"stream": "s", "seq": seq, "ts": seq, "author": signer.author,
            "type": "command.run", "data": {"n": seq}, "prev_hash": prev}  # fmt: skip
    digest = entry_hash(body)
    return Entry(**body, hash=digest, signature=signer.sign(digest), seq_text=seq_text or str(seq))


def chain(length: int) -> list[Entry]:
    entries: list[Entry] = []
    for seq in range(1, length + 1):
        entries.append(make(seq, entries[-1].hash if entries else GENESIS))
    return entries


def finding(entries):
    return first_finding("s", entries, lookup)


def test_intact_chain_and_empty_stream():
    assert finding(chain(5)) == (5, None)
    assert finding([]) == (0, None)


def test_each_problem_is_named_at_the_first_bad_entry():
    entries = chain(5)
    cases = {
        Problem.CHANGED: [
            *entries[:2],
            dataclasses.replace(entries[2], data={"n": 9}),
            *entries[3:],
        ],
        Problem.MISSING: entries[:2] + entries[3:],
        Problem.REORDERED: [
            *entries[:2],
            dataclasses.replace(entries[3], seq=3, seq_text="3"),
            dataclasses.replace(entries[2], seq=4, seq_text="4"),
            entries[4],
        ],
        Problem.UNKNOWN_KEY: [*entries, make(6, entries[4].hash, Signer.generate("mallory"))],
        Problem.BAD_SIGNATURE: [*entries, make(6, entries[4].hash, Signer.generate("alice"))],
    }
    expected_seq = {Problem.CHANGED: "3", Problem.MISSING: "4", Problem.REORDERED: "3",
                    Problem.UNKNOWN_KEY: "6", Problem.BAD_SIGNATURE: "6"}  # fmt: skip
    for problem, tampered in cases.items():
        _, found = finding(tampered)
        assert found is not None, problem
        assert (found.problem, found.seq) == (problem, expected_seq[problem]), found


def test_insertions_are_named():
    entries = chain(4)
    forged = make(3, entries[1].hash)
    shifted = [dataclasses.replace(e, seq=e.seq + 1, seq_text=str(e.seq + 1)) for e in entries[2:]]
    good, found = finding([*entries[:2], forged, *shifted])
    assert (good, found.problem, found.seq) == (2, Problem.INSERTED, "3")
    between = make(2, entries[1].hash, seq_text="2.5")
    _, found = finding([*entries[:2], between, *entries[2:]])
    assert (found.problem, found.seq) == (Problem.INSERTED, "2.5")


def test_prev_hash_altered_with_and_without_rehashing():
    entries = chain(3)
    altered = dataclasses.replace(entries[1], prev_hash="f" * 64)
    _, found = finding([entries[0], altered, entries[2]])
    assert (found.problem, found.seq) == (Problem.CHANGED, "2")
    assert "prev_hash altered" in found.reason
    rehashed = dataclasses.replace(altered, hash=entry_hash(altered.body()))
    _, found = finding([entries[0], rehashed, entries[2]])
    assert "re-linked" in found.reason
