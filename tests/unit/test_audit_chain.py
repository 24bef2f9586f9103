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


def test_concurrent_writers_links_to_older_entries_verify():
    """Writers that took seqs 3 and 4 together both knew only entry 2 (bzzz.audit.log)."""
    one = make(1, GENESIS)
    two = make(2, one.hash)
    three, four = make(3, two.hash), make(4, two.hash)
    five = make(5, four.hash)  # a writer that knew 4 but not 3
    late = make(6, GENESIS)  # a fresh writer that knew no entry when it took seq 6
    assert finding([one, two, three, four, five, late]) == (6, None)


def test_links_must_point_back_into_the_stream():
    one, two = make(1, GENESIS), make(2, "0" * 63 + "1")
    _, found = finding([one, two])
    assert (found.problem, found.seq) == (Problem.CHANGED, "2")
    assert "not the hash of an earlier entry" in found.reason
    # A link forward (to a later entry) is no earlier entry either.
    entries = chain(3)
    forward = make(2, entries[2].hash)
    _, found = finding([entries[0], forward, entries[2]])
    assert (found.problem, found.seq) == (Problem.CHANGED, "2")
    # The first entry can only link to GENESIS, never to itself or anything else.
    _, found = finding([make(1, entries[0].hash)])
    assert (found.problem, found.seq) == (Problem.CHANGED, "1")


def test_a_deleted_entry_nobody_linked_to_is_still_missing():
    """Under contention no later entry may link to seq 3; the gap in seqs shows it gone."""
    one = make(1, GENESIS)
    two = make(2, one.hash)
    four = make(4, two.hash)  # seq 3 linked to seq 1 and was deleted
    _, found = finding([one, two, four])
    assert (found.problem, found.seq) == (Problem.MISSING, "4")


def test_an_entry_inserted_where_the_next_one_linked_to_an_older_entry():
    """The shifted entry names seq 1, not the one before the forgery: still inserted."""
    one = make(1, GENESIS)
    two, three = make(2, one.hash), make(3, one.hash)
    forged = make(3, two.hash, Signer.generate("mallory"))
    shifted = dataclasses.replace(three, seq=4, seq_text="4")
    _, found = finding([one, two, forged, shifted])
    assert (found.problem, found.seq) == (Problem.INSERTED, "3")
    assert "links to seq 1, past this one" in found.reason
